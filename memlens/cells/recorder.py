"""One :class:`~memlens.protocol.CellRecord` per executed cell, from IPython's cell hooks.

:class:`CellRecorder` registers ``pre_run_cell`` and ``post_run_cell`` on ``shell.events``
(never ``pre_execute``/``post_execute``: those fire for silent executes and comm traffic
too, while silent executes fire neither of the ``run_cell`` hooks). It measures around
each cell and keeps a bounded history the comm and :func:`memlens.cell_records` read.

What a record's numbers mean (sizes in bytes, deltas are *after - before* of the cell):

``rss_before``, ``rss_after``
    Resident set size (VmRSS) when the cell started and ended.
``rss_peak``
    Highest RSS during the cell. ``peak_method`` says how it was measured: ``"exact"``
    (VmHWM reset through /proc/self/clear_refs at the start, read at the end),
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
    bound if sizing hit its ~5 ms budget), minus the sizes of earlier results that the
    cell let go of: no longer held by ``Out``, ``_N``, ``_``, ``__`` or ``___`` (see
    :mod:`memlens.output_cache`). It is *not* a part of the three numbers above: the
    result may have existed before the cell (``df`` as the last line pins ``df``), and
    this is memory that stays alive after ``del`` of the user's own names. Changes made
    between cells (by a silent execute) are not counted for any cell.

The three parts add up to the RSS change by construction. Each is None where its
sources are missing (no glibc 2.33+ for ``mallinfo2``, no readable pymalloc report).

Cost: trivial cells are cheap (two /proc reads, one VmHWM reset, two ``mallinfo2``
calls, a few dict lookups: tens of µs). pymalloc's report walks all its pools, so in
default mode it is read at the end of a cell only when the cell moved RSS, glibc's
bytes in use or its free bytes by at least :data:`PYMALLOC_THRESHOLD`; otherwise
pymalloc's own change counts as 0 (an error below ~1 MiB, which ``native_delta``
absorbs). The baseline is the last report read, refreshed when a cell starts after
memory moved by that much since.

Precise mode (:meth:`CellRecorder.set_precise`) adds ``precise``: tracemalloc's view of
the cell. Code in cells runs several times slower while it is on (the benchmark's
list-building cell: ~18x, collecting the top sites included); memlens traces only
while a cell runs. See :class:`_Precise`.

The hooks never raise into the user's cell (a failing probe leaves its fields None),
keep no reference to user objects (records hold numbers and strings only) and touch
neither the user namespace nor ``Out`` or ``execution_count``. Records are read from
other threads (a comm may be served on a subshell thread), under a lock.
"""

from __future__ import annotations

import collections
import logging
import os
import threading
import time
from typing import Any, Callable

from ..measure import probes
from ..wire.protocol import AllocationSite, CellRecord, CellsBody, PeakMethod, PreciseReading
from .output_cache import OutputCache

log = logging.getLogger("memlens")

HISTORY = 1000
"""How many records the recorder keeps; older ones are dropped (see ``dropped_before``)."""

PYMALLOC_THRESHOLD = 1 << 20
"""In default mode, pymalloc's report is read only when a cell moved this many bytes."""

OUTPUT_BUDGET_S = 0.005
"""Time allowed for sizing a cell's result in ``Out``."""

SAMPLE_INTERVAL_S = 0.01
"""How often the sampler polls RSS where there is no exact peak."""

PREVIEW_LENGTH = 80
"""Longest cell preview, in characters."""

TOP_SITES = 5
"""Allocation sites a precise record lists."""

_THIS_DIRECTORY = os.path.dirname((lambda: 0).__code__.co_filename)


def preview(source: object) -> str:
    """The first non-empty line of a cell's source, stripped, at most 80 characters."""
    if not isinstance(source, str):
        return ""
    for line in source.splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= PREVIEW_LENGTH else line[: PREVIEW_LENGTH - 1] + "\u2026"
    return ""


def _delta(after: int | None, before: int | None) -> int | None:
    return None if after is None or before is None else after - before


def _total(*parts: int | None) -> int | None:
    """The sum of the known parts; None if none is known."""
    known = [part for part in parts if part is not None]
    return sum(known) if known else None


class _Precise:
    """tracemalloc around one cell.

    If tracemalloc is not tracing when a cell starts, memlens starts it then and stops it
    when the cell ends, so that only cells are traced (not silent executes, comm traffic
    or idle time) and each cell starts from an empty trace table:

    - ``python_delta``: bytes of Python allocations made during the cell and still alive
      at its end (frees of memory allocated before the cell are not seen);
    - ``python_peak``: the highest such total at any moment of the cell;
    - ``top``: the five source lines whose allocations of the cell hold the most bytes at
      its end (file, line, bytes, number of blocks), memlens' own lines left out. Only the
      innermost frame is kept (tracemalloc's default of one frame), so an allocation inside
      a library names the library's line.

    Collecting the sites costs about 0.5 s per million surviving allocations.

    A user's own tracing is never stopped and its traces are kept: ``python_delta`` is
    then the net change of all traced bytes over the cell, ``python_peak`` the peak above
    the start (``reset_peak`` is called, which resets the user's peak too), and ``top`` is
    empty, since a user's trace table can be very large.
    """

    def __init__(self) -> None:
        import tracemalloc

        self.tracemalloc = tracemalloc
        self.ours = False
        self.before = 0
        self.traced: tuple[int, int] | None = None

    def start(self) -> None:
        tracemalloc = self.tracemalloc
        if not tracemalloc.is_tracing():
            tracemalloc.start()
            self.ours = True
        tracemalloc.reset_peak()
        self.before = tracemalloc.get_traced_memory()[0]

    def read(self) -> None:
        """Take the cell's traced totals: the first thing when it ends."""
        tracemalloc = self.tracemalloc
        self.traced = tracemalloc.get_traced_memory() if tracemalloc.is_tracing() else None

    def finish(self) -> PreciseReading | None:
        """The reading of the cell (after :meth:`read`); stops memlens' own tracing."""
        traced, self.traced = self.traced, None
        top: list[AllocationSite] = []
        if self.ours:
            top = self._top_sites()
        if traced is None:
            return None
        current, peak = traced
        return {
            "python_delta": current - self.before,
            "python_peak": max(0, peak - self.before),
            "top": top,
        }

    def _top_sites(self) -> list[AllocationSite]:
        tracemalloc = self.tracemalloc
        get_traces = getattr(tracemalloc, "_get_traces", None)
        try:
            traces = get_traces() if callable(get_traces) and tracemalloc.is_tracing() else []
        finally:
            self.stop()  # before counting, so that counting is not traced
        sizes: dict[Any, int] = {}
        counts: dict[Any, int] = {}
        for trace in traces:  # (domain, size, frames, ...), frames innermost first
            frames = trace[2]
            sizes[frames] = sizes.get(frames, 0) + trace[1]
            counts[frames] = counts.get(frames, 0) + 1
        del traces
        top: list[AllocationSite] = []
        own = (_THIS_DIRECTORY + os.sep, tracemalloc.__file__)
        for frames in sorted(sizes, key=sizes.__getitem__, reverse=True):
            if not frames:
                continue
            filename, lineno = frames[0]
            if filename.startswith(own[0]) or filename == own[1]:
                continue
            top.append(
                {"file": filename, "line": lineno, "size": sizes[frames], "count": counts[frames]}
            )
            if len(top) == TOP_SITES:
                break
        return top

    def stop(self) -> None:
        """Stop tracing if memlens started it."""
        if self.ours:
            self.ours = False
            self.tracemalloc.stop()


class _Start:
    """What the recorder knew when a cell started: numbers and strings only."""

    __slots__ = (
        "cell_id",
        "heap",
        "out_length",
        "peak",
        "peak_method",
        "perf",
        "precise",
        "preview",
        "pymalloc",
        "rss",
        "started",
    )

    def __init__(self, cell_id: str | None, preview: str) -> None:
        self.cell_id = cell_id
        self.preview = preview
        self.started = time.time()
        self.perf = time.perf_counter()
        self.rss: int | None = None
        self.peak: int | None = None
        self.peak_method: PeakMethod = "none"
        self.heap: tuple[int, int] | None = None
        self.pymalloc: probes.PymallocStats | None = None
        self.out_length = -1
        self.precise = False

    def fold_peak(self, size: int | None) -> None:
        if size is not None and (self.peak is None or size > self.peak):
            self.peak = size


class _PymallocBaseline:
    """The last pymalloc report read, and RSS and glibc's counters at that moment."""

    __slots__ = ("heap", "rss", "stats")

    def __init__(
        self, stats: probes.PymallocStats | None, rss: int | None, heap: tuple[int, int] | None
    ) -> None:
        self.stats = stats
        self.rss = rss
        self.heap = heap


def _moved(
    rss: tuple[int | None, int | None],
    heap: tuple[tuple[int, int] | None, tuple[int, int] | None],
) -> bool:
    """Whether RSS or glibc's in-use or free bytes moved by PYMALLOC_THRESHOLD or more."""
    change = _delta(*rss)
    if change is None or abs(change) >= PYMALLOC_THRESHOLD:
        return True
    after, before = heap
    if after is None or before is None:
        return False
    return (
        abs(after[0] - before[0]) >= PYMALLOC_THRESHOLD
        or abs(after[1] - before[1]) >= PYMALLOC_THRESHOLD
    )


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
        self._pending: dict[int, list[_Start]] = {}
        self._peak_mode = peak
        self._sampler: probes.PeakSampler | None = None
        self._baseline: _PymallocBaseline | None = None
        self._want_precise = False
        self._precise: _Precise | None = None
        self._output_cache = OutputCache(shell, budget_s=OUTPUT_BUDGET_S)
        self._registered = False
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
        try:
            record = self._post(result)
        except Exception:
            log.debug("memlens: post_run_cell failed", exc_info=True)
        if record is not None and self.readout is not None:
            try:
                self.readout(record)
            except Exception:
                log.debug("memlens: the readout failed", exc_info=True)

    # -- measuring ----------------------------------------------------------------------

    def _sampler_for(self) -> probes.PeakSampler:
        if self._sampler is None:
            self._sampler = probes.PeakSampler(SAMPLE_INTERVAL_S)
        return self._sampler

    def _fold_all(self, size: int | None) -> None:
        """Fold a peak reading into every other running cell (of any thread)."""
        for stack in self._pending.values():
            for start in stack:
                start.fold_peak(size)

    def _pre(self, info: Any) -> None:
        cell_id = getattr(info, "cell_id", None)
        start = _Start(
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
        if self._want_precise and not nested:
            try:
                if self._precise is None:
                    self._precise = _Precise()
                self._precise.start()
                start.precise = True
            except Exception:
                log.debug("memlens: tracemalloc failed to start", exc_info=True)
        start.perf = time.perf_counter()

    def _measure_peak_start(self, start: _Start) -> None:
        """RSS before, and the peak's starting point (under the lock)."""
        mode = self._peak_mode
        if mode == "auto":
            rss, hwm, reset = probes.read_and_reset_hwm()
            self._fold_all(hwm)
            if reset:
                start.peak_method = "exact"
        else:
            rss, hwm = probes.rss_and_hwm()
        start.rss = rss
        start.fold_peak(rss)
        if start.peak_method != "exact" and rss is not None and mode != "none":
            sampler = self._sampler_for()
            self._fold_all(sampler.take())
            sampler.start()
            start.peak_method = "sampled"

    def _measure_heap_start(self, start: _Start) -> None:
        """The allocators' counters, the pymalloc baseline and the output cache's state."""
        start.heap = probes.heap_counters()
        baseline = self._baseline
        if (
            baseline is None
            or self._want_precise
            or _moved((start.rss, baseline.rss), (start.heap, baseline.heap))
        ):
            baseline = self._baseline = _PymallocBaseline(
                probes.pymalloc_stats(), start.rss, start.heap
            )
        start.pymalloc = baseline.stats
        start.out_length = self._output_cache.before_cell()

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
            record = self._new_record(start, result, end)
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
        except Exception:
            log.debug("memlens: sizing the output cache failed", exc_info=True)
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
        return record

    def _new_record(self, start: _Start, result: Any, end: float) -> CellRecord:
        count = getattr(result, "execution_count", None)
        success = getattr(result, "success", None)
        return {
            "seq": 0,
            "cell_id": start.cell_id,
            "execution_count": count if isinstance(count, int) else None,
            "preview": start.preview,
            "started": start.started,
            "duration_s": max(0.0, end - start.perf),
            "success": success if isinstance(success, bool) else True,
            "rss_before": start.rss,
            "rss_after": None,
            "rss_peak": None,
            "peak_method": start.peak_method,
            "sample_interval_s": None,
            "python_delta": None,
            "native_delta": None,
            "allocator_free_delta": None,
            "output_cache_delta": None,
            "precise": None,
        }

    def _measure_peak(self, start: _Start, record: CellRecord) -> None:
        """RSS after and the peak (under the lock, as resets by other cells are)."""
        rss, hwm = probes.rss_and_hwm()
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

    def _split(self, start: _Start, record: CellRecord) -> None:
        """python_delta, allocator_free_delta and native_delta (see the module docstring)."""
        rss = record["rss_after"]
        heap = probes.heap_counters()
        before = start.pymalloc
        after = None
        if before is not None and (start.precise or _moved((rss, start.rss), (heap, start.heap))):
            after = probes.pymalloc_stats()
            self._baseline = _PymallocBaseline(after, rss, heap)
        if before is None:
            pymalloc_used = pymalloc_free = None
        elif after is None:
            pymalloc_used = pymalloc_free = 0  # not re-read: below the threshold
        else:
            pymalloc_used = after.allocated - before.allocated
            pymalloc_free = after.free - before.free
        glibc_used = glibc_free = None
        if heap is not None and start.heap is not None:
            glibc_used = heap[0] - start.heap[0]
            glibc_free = heap[1] - start.heap[1]
        python = _total(glibc_used, pymalloc_used)
        free = _total(glibc_free, pymalloc_free)
        change = _delta(rss, start.rss)
        record["python_delta"] = python
        record["allocator_free_delta"] = free
        if change is not None and python is not None and free is not None:
            record["native_delta"] = change - python - free


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
        _recorder = recorder
        return recorder


def current() -> CellRecorder | None:
    """The installed recorder, if any."""
    return _recorder


def empty_cells_body() -> CellsBody:
    """The ``cells`` body of a kernel that records nothing."""
    return {"records": [], "last_seq": 0, "dropped_before": 0, "precise": False}
