"""One :class:`~memlens.wire.protocol.CellRecord` per executed cell, from IPython's cell hooks.

:class:`CellRecorder` registers ``pre_run_cell`` and ``post_run_cell`` on ``shell.events``
(never ``pre_execute``/``post_execute``: those fire for silent executes and comm traffic
too, while silent executes fire neither of the ``run_cell`` hooks). It measures around
each cell and keeps a bounded history the comm and :func:`memlens.cell_records` read.

What a record's numbers mean (sizes in bytes, deltas are *after - before* of the cell):

``rss_before``, ``rss_after``
    Resident set size (VmRSS) when the cell started and ended.
``rss_peak``
    Highest RSS during the cell. ``peak_method`` says how it was measured: ``"exact"``
    (VmHWM reset through /proc/self/clear_refs at the start, read at the end; a side
    effect user code can see: ``resource.getrusage().ru_maxrss`` and VmHWM then report
    the peak since the cell started; :meth:`CellRecorder.set_peak_reset` turns it off,
    ``%unload_ext memlens`` stops it),
    ``"sampled"`` (a thread polled RSS every ``sample_interval_s`` seconds: a lower bound
    that misses short spikes) or ``"none"`` (then ``rss_peak`` is None).
``python_delta``
    Change in heap memory in use: pymalloc's bytes in allocated blocks (Python objects of
    up to 512 bytes) plus glibc malloc's bytes in use (``mallinfo2`` ``uordblks +
    hblkhd``: larger objects, buffers such as bytes or numpy data, and whatever native
    code mallocs). Live allocations, whoever made them.
``allocator_free_delta``
    Change in memory the allocators hold free: glibc's free chunks (``fordblks``) plus
    pymalloc's free blocks in used pools and its unused pools. Positive after a cell freed
    objects the allocators keep (fragmentation), so RSS did not go down.
``native_delta``
    The rest of the RSS change: ``(rss_after - rss_before) - python_delta -
    allocator_free_delta``. Memory mapped outside the allocators (extension modules'
    own mmaps, thread stacks, loaded libraries, pymalloc arena overheads), minus memory
    allocated but not yet touched (e.g. ``bytes(n)`` and ``numpy.zeros`` get zero pages
    from the OS that are not resident until written), so it can be negative.
``output_cache_delta``
    Bytes IPython's output cache newly keeps alive: the deep size of this cell's result
    when it was stored in ``Out[execution_count]`` and was not pinned already (a lower
    bound if sizing hit its :data:`OUTPUT_BUDGET_S` budget), minus the sizes of earlier
    results that the cell let go of: no longer held by ``Out``, ``_N``, ``_``, ``__`` or
    ``___`` (see :mod:`memlens.cells.output_cache`). It is *not* a part of the three
    numbers above: the result may have existed before the cell (``df`` as the last line
    pins ``df``), and this is memory that stays alive after ``del`` of the user's own
    names. Changes made between cells (by a silent execute) are not counted for any cell.
``output_cache_complete``
    False while ``output_cache_delta`` is a lower bound: this cell's result was not sized
    whole within :data:`OUTPUT_BUDGET_S`, or a lower bound was released. The worker thread
    then sizes the result without that budget (stopping when a cell starts) and updates
    the record (same ``seq``): delta and ``True``. None without an output cache.
``children_peak``
    Memory of the kernel's child processes during the cell, its own figure and never a
    part of the RSS numbers (see :mod:`memlens.cells.children`).
``native_pools``
    Change in the native pools the imported libraries expose, by name (pyarrow's): the
    named part of ``native_delta`` (see :mod:`memlens.libraries.pools`).

The three parts add up to the RSS change by construction. Each is None where its
sources are missing (no glibc 2.33+ for ``mallinfo2``, no readable pymalloc report).

Cost: a trivial cell costs two /proc reads, one VmHWM reset, two ``mallinfo2`` calls and
a few dict lookups (BENCHMARKS.md has the numbers). pymalloc's report walks all its pools,
so in default mode it is read at the end of a cell only when the cell moved RSS, glibc's
bytes in use or its free bytes by at least
:data:`~memlens.cells.heap.PYMALLOC_THRESHOLD` (see :class:`~memlens.cells.heap.HeapTracker`).

Precise mode (:meth:`CellRecorder.set_precise`) adds ``precise``: tracemalloc's view of
the cell. Code in cells runs several times slower while it is on (BENCHMARKS.md says how
much), so memlens traces only while a cell runs. See
:class:`~memlens.cells.precise.PreciseTracer`.

The hooks never raise into the user's cell (a failing probe leaves its fields None),
keep no reference to user objects (records hold numbers and strings only) and touch
neither the user namespace nor ``Out`` or ``execution_count``. Records are read from
other threads (a comm may be served on a subshell thread), under a lock.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Any, Callable

from ..libraries import pools
from ..probes import process
from ..probes.sampler import SAMPLE_INTERVAL_S, PeakSampler
from ..wire.protocol import CellRecord, CellsBody
from . import children
from . import forensics as kernel_record
from .forensics import Forensics
from .heap import HeapTracker
from .live import LiveMonitor
from .output_cache import OutputCache
from .precise import PreciseTracer
from .record import CellStart, new_record, preview

log = logging.getLogger("memlens")

HISTORY = 1000
"""How many records the recorder keeps; older ones are dropped (see ``dropped_before``)."""

OUTPUT_BUDGET_S = 0.005
"""Time allowed for sizing a cell's result in ``Out``, in seconds."""


class CellRecorder:
    """Records every executed cell of one IPython shell. See the module's docstring."""

    is_memlens_recorder = True
    """Marks hooks of a recorder (of any copy of this module) on ``shell.events``."""

    def __init__(self, shell: Any, *, history: int = HISTORY, peak: str = "auto") -> None:
        """``peak``: ``"auto"`` (exact where possible, else sampled), ``"sampled"`` or
        ``"none"`` (for tests and for platforms where even sampling misbehaves)."""
        self.shell = shell
        self.readout: Callable[[CellRecord], None] | None = None
        """Called with each new record on the cell's thread (``%load_ext memlens``)."""
        self._lock = threading.Lock()
        self._history: collections.deque[CellRecord] = collections.deque(maxlen=history)
        self._seq = 0
        self._dropped_before = 0
        self._pending: dict[int, list[CellStart]] = {}
        self._peak_mode = peak
        self._sampler: PeakSampler | None = None
        self._heap = HeapTracker()
        self._want_precise = False
        self._precise: PreciseTracer | None = None
        self._output_cache = OutputCache(shell, budget_s=OUTPUT_BUDGET_S)
        self._registered = False
        self.forensics: Forensics | None = None
        """The kernel record kept current at each cell (see :mod:`.forensics`); None: none."""
        self.live = LiveMonitor(self._live_sample)
        """Live readings while a cell runs (see :mod:`.live`)."""
        self._live_thread: int | None = None
        self.cells_started = 0
        """Cells that started so far: a walk on another thread stops when it moves."""

    # -- registration -------------------------------------------------------------------

    def register(self) -> None:
        """Register the hooks on ``shell.events``; removes stale memlens hooks first."""
        events = self.shell.events
        for name in ("pre_run_cell", "post_run_cell"):
            for callback in list(events.callbacks.get(name, ())):
                owner = getattr(callback, "__self__", None)
                if getattr(owner, "is_memlens_recorder", False):
                    events.unregister(name, callback)
        events.register("pre_run_cell", self.pre_run_cell)
        events.register("post_run_cell", self.post_run_cell)
        self._registered = True

    def unregister(self) -> None:
        """Remove the hooks; the history is kept. Turns precise mode off."""
        events = self.shell.events
        for name, callback in (
            ("pre_run_cell", self.pre_run_cell),
            ("post_run_cell", self.post_run_cell),
        ):
            try:
                events.unregister(name, callback)
            except ValueError:
                pass
        self._registered = False
        self.set_precise(False)

    @property
    def registered(self) -> bool:
        """Whether the hooks are on ``shell.events``."""
        return self._registered

    # -- reading ------------------------------------------------------------------------

    def cells(self, after: int) -> CellsBody:
        """The body of a ``cells`` reply: records with ``seq > after``, oldest first."""
        with self._lock:
            records = [record for record in self._history if record["seq"] > after]
            return {
                "records": records,
                "last_seq": self._seq,
                "dropped_before": self._dropped_before,
                "precise": self._want_precise,
            }

    def records(self) -> list[dict[str, Any]]:
        """Copies of every kept record, oldest first, as plain dicts."""
        with self._lock:
            kept = list(self._history)
        copies: list[dict[str, Any]] = []
        for record in kept:
            copy: dict[str, Any] = dict(record)
            precise = record["precise"]
            if precise is not None:
                copy["precise"] = {**precise, "top": [dict(site) for site in precise["top"]]}
            copies.append(copy)
        return copies

    @property
    def peak_reset(self) -> bool:
        """Whether a cell's peak comes from resetting VmHWM (see :meth:`set_peak_reset`)."""
        return self._peak_mode == "auto"

    def set_peak_reset(self, on: bool) -> bool:
        """Reset VmHWM at each cell for an exact peak (on), or sample the peak (off).

        The reset is a side effect user code can see: it lowers what
        ``resource.getrusage().ru_maxrss`` and ``VmHWM`` report (memlens keeps the
        lifetime peak itself). Off, the peak is a sampled lower bound and those counters
        are left alone. Takes effect from the next cell; returns the new state.
        """
        with self._lock:
            if self._peak_mode != "none":
                self._peak_mode = "auto" if on else "sampled"
            return self._peak_mode == "auto"

    @property
    def precise(self) -> bool:
        """Whether precise (tracemalloc) mode is on."""
        return self._want_precise

    def set_precise(self, on: bool) -> bool:
        """Turn precise mode on or off; returns the new state.

        Takes effect from the next cell (a running cell keeps the mode it started with).
        memlens traces only while a cell runs, so turning it off has nothing else to stop.
        """
        with self._lock:
            self._want_precise = bool(on)
            idle = not any(self._pending.values())
            if not on and idle and self._precise is not None:
                self._precise.stop()
            return self._want_precise

    # -- hooks --------------------------------------------------------------------------

    def pre_run_cell(self, info: Any) -> None:
        """IPython's ``pre_run_cell`` hook. Never raises."""
        self.cells_started += 1
        try:
            self._pre(info)
        except Exception:
            log.debug("memlens: pre_run_cell failed", exc_info=True)

    def post_run_cell(self, result: Any) -> None:
        """IPython's ``post_run_cell`` hook. Never raises."""
        record = None
        thread = threading.get_ident()
        # The live cell is the outermost one of its thread: the last on the stack to end.
        live = self._live_thread == thread and len(self._pending.get(thread, ())) <= 1
        try:
            record = self._post(result)
        except Exception:
            log.debug("memlens: post_run_cell failed", exc_info=True)
        if live:
            try:
                self._live_end(record)
            except Exception:
                log.debug("memlens: the live reading failed to stop", exc_info=True)
        if record is not None and self.readout is not None:
            try:
                self.readout(record)
            except Exception:
                log.debug("memlens: the readout failed", exc_info=True)

    # -- measuring ----------------------------------------------------------------------

    def _sampler_for(self) -> PeakSampler:
        if self._sampler is None:
            self._sampler = PeakSampler(SAMPLE_INTERVAL_S)
        return self._sampler

    def _fold_all(self, size: int | None) -> None:
        """Fold a peak reading into every other running cell (of any thread)."""
        for stack in self._pending.values():
            for start in stack:
                start.fold_peak(size)

    def _pre(self, info: Any) -> None:
        cell_id = getattr(info, "cell_id", None)
        start = CellStart(
            cell_id if isinstance(cell_id, str) else None,
            preview(getattr(info, "raw_cell", "")),
        )
        thread = threading.get_ident()
        with self._lock:  # short: other threads' comm requests wait for it
            nested = bool(self._pending.get(thread))
            try:
                self._measure_peak_start(start)
            except Exception:
                log.debug("memlens: a probe failed at a cell's start", exc_info=True)
            self._pending.setdefault(thread, []).append(start)
        try:
            self._measure_heap_start(start)
        except Exception:
            log.debug("memlens: a probe failed at a cell's start", exc_info=True)
        if not nested and self._live_thread is None:
            self._live_thread = thread
            self._live_start(start, info)
        if self._want_precise and not nested:
            try:
                if self._precise is None:
                    self._precise = PreciseTracer()
                self._precise.start()
                start.precise = True
            except Exception:
                log.debug("memlens: tracemalloc failed to start", exc_info=True)
        start.perf = time.perf_counter()

    def _live_start(self, start: CellStart, info: Any) -> None:
        """Tell the kernel record and the live sampler that a cell started. Never raises."""
        # IPython (8, 9) counts a cell that stores history before pre_run_cell fires.
        count = getattr(self.shell, "execution_count", None)
        if not getattr(info, "store_history", True) or not isinstance(count, int):
            count = None
        else:
            count -= 1
        try:
            if self.forensics is not None:
                self.forensics.cell_started(start.cell_id, count, start.preview, start.rss)
            self.live.cell_started(
                start.cell_id, count, start.rss, exact_peak=start.peak_method == "exact"
            )
        except Exception:
            log.debug("memlens: the live reading failed to start", exc_info=True)

    def _live_sample(self, rss: int | None, peak: int | None) -> None:
        if self.forensics is not None:
            self.forensics.sample(rss, peak)

    def _live_end(self, record: CellRecord | None) -> None:
        self._live_thread = None
        self.live.cell_ended()
        if self.forensics is not None:
            rss = None if record is None else record["rss_after"]
            peak = None if record is None else record["rss_peak"]
            self.forensics.cell_ended(rss, peak)

    def _measure_peak_start(self, start: CellStart) -> None:
        """RSS before, and the peak's starting point (under the lock)."""
        mode = self._peak_mode
        if mode == "auto":
            rss, hwm, reset = process.read_and_reset_hwm()
            self._fold_all(hwm)
            if reset:
                start.peak_method = "exact"
        else:
            rss, hwm = process.rss_and_hwm()
        start.rss = rss
        start.fold_peak(rss)
        if start.peak_method != "exact" and rss is not None and mode != "none":
            sampler = self._sampler_for()
            self._fold_all(sampler.take())
            sampler.start()
            start.peak_method = "sampled"

    def _measure_heap_start(self, start: CellStart) -> None:
        """The allocators' state and the output cache's length."""
        start.heap = self._heap.at_start(start.rss, always=self._want_precise)
        start.out_length = self._output_cache.before_cell()
        start.children_max = children.max_child_rss()
        start.pools = pools.native_pools()

    def _post(self, result: Any) -> CellRecord | None:
        end = time.perf_counter()
        thread = threading.get_ident()
        with self._lock:  # short: other threads' comm requests wait for it
            stack = self._pending.get(thread)
            if not stack:
                return None  # e.g. the cell that ran %load_ext memlens
            start = stack.pop()
            if not stack:
                del self._pending[thread]
            tracer = self._precise if start.precise else None
            if tracer is not None:
                try:
                    tracer.read()
                except Exception:
                    log.debug("memlens: tracemalloc failed", exc_info=True)
            record = new_record(start, result, end)
            try:
                self._measure_peak(start, record)
            except Exception:
                log.debug("memlens: a probe failed at a cell's end", exc_info=True)
        # Slower readings outside the lock: only this thread knows of this cell now.
        try:
            self._split(start, record)
        except Exception:
            log.debug("memlens: a probe failed at a cell's end", exc_info=True)
        try:
            record["output_cache_delta"] = self._output_cache.after_cell(
                record["execution_count"], start.out_length
            )
            record["output_cache_complete"] = self._output_cache.last_complete
        except Exception:
            log.debug("memlens: sizing the output cache failed", exc_info=True)
        try:
            record["children_peak"] = children.children_peak(start.children_max)
            record["native_pools"] = pools.pool_deltas(start.pools, pools.native_pools())
        except Exception:
            log.debug("memlens: a probe failed at a cell's end", exc_info=True)
        if tracer is not None:
            try:
                record["precise"] = tracer.finish()
            except Exception:
                log.debug("memlens: tracemalloc failed", exc_info=True)
                tracer.stop()
        with self._lock:
            self._seq += 1
            record["seq"] = self._seq
            if len(self._history) == self._history.maxlen:
                self._dropped_before = self._history[0]["seq"]
            self._history.append(record)
        if self._output_cache.pending is not None:
            self._complete_in_background(record["seq"], self._output_cache.pending)
        return record

    def _complete_in_background(self, seq: int, pending: tuple[int, int]) -> None:
        """Size the cell's result without the short budget on the worker thread (it stops
        when a cell starts), then make the record's ``output_cache_delta`` complete."""
        from ..wire.worker import worker  # here: the worker module imports this one

        started = self.cells_started
        cache = self._output_cache

        def job() -> None:
            grew = cache.complete(*pending, lambda: self.cells_started != started)
            if grew is None:
                return
            with self._lock:
                for record in self._history:
                    if record["seq"] == seq:
                        delta = record["output_cache_delta"]
                        if delta is not None:
                            record["output_cache_delta"] = delta + grew
                        record["output_cache_complete"] = True
                        break

        worker.submit(job)

    def _measure_peak(self, start: CellStart, record: CellRecord) -> None:
        """RSS after and the peak (under the lock, as resets by other cells are)."""
        rss, hwm = process.rss_and_hwm()
        record["rss_after"] = rss
        if start.peak_method == "exact":
            self._fold_all(hwm)
            start.fold_peak(hwm)
        elif start.peak_method == "sampled":
            record["sample_interval_s"] = SAMPLE_INTERVAL_S
            sampler = self._sampler_for()
            sampled = sampler.take()
            sampler.stop()
            self._fold_all(sampled)
            start.fold_peak(sampled)
        if start.peak_method != "none":
            start.fold_peak(rss)
            start.fold_peak(start.rss)
            record["rss_peak"] = start.peak

    def _split(self, start: CellStart, record: CellRecord) -> None:
        """python_delta, allocator_free_delta and native_delta (see the module docstring)."""
        if start.heap is None:
            return
        split = self._heap.split(start.heap, record["rss_after"], always=start.precise)
        record["python_delta"] = split.python
        record["allocator_free_delta"] = split.allocator_free
        record["native_delta"] = split.native


_install_lock = threading.Lock()
_recorder: CellRecorder | None = None


def install(shell: Any) -> CellRecorder:
    """The recorder of ``shell``, created and registered on first use (idempotent)."""
    global _recorder
    with _install_lock:
        recorder = _recorder
        if recorder is not None and recorder.shell is shell:
            if not recorder.registered:
                recorder.register()
            return recorder
        if recorder is not None:
            recorder.unregister()
        recorder = CellRecorder(shell)
        recorder.register()
        try:
            recorder.forensics = kernel_record.forensics()
        except Exception:
            log.debug("memlens: the kernel record could not be started", exc_info=True)
        _recorder = recorder
        return recorder


def uninstall() -> None:
    """Unregister the installed recorder, if any, and forget it; stop the kernel record.

    After this memlens no longer resets VmHWM (``ru_maxrss`` and ``VmHWM`` are the
    process's own again) and runs nothing at a cell's start or end.
    """
    global _recorder
    with _install_lock:
        if _recorder is not None:
            _recorder.unregister()
            _recorder.forensics = None
            _recorder.live.cell_ended()
        _recorder = None
        kernel_record.stop()


def current() -> CellRecorder | None:
    """The installed recorder, if any."""
    return _recorder


def empty_cells_body() -> CellsBody:
    """The ``cells`` body of a kernel that records nothing."""
    return {"records": [], "last_seq": 0, "dropped_before": 0, "precise": False}
