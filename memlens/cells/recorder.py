"""One :class:`~memlens.wire.protocol.CellRecord` per executed cell, from IPython's cell hooks.

:class:`CellRecorder` registers ``pre_run_cell`` and ``post_run_cell`` on ``shell.events``
(never ``pre_execute``/``post_execute``: those fire for silent executes and comm traffic
too, while silent executes fire neither of the ``run_cell`` hooks). It measures around
each cell and keeps a bounded history the comm and :func:`memlens.cell_records` read.

What a record's numbers mean is in :mod:`memlens.cells.record`; how the peak is measured
in :mod:`memlens.cells.peaks`; the background completion of a result's size in
:mod:`memlens.cells.completion`.

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

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any, Callable

from ..wire.protocol import CellRecord, CellsBody
from . import forensics as kernel_record
from .completion import complete_in_background
from .forensics import Forensics
from .history import HISTORY, History
from .live import LiveMonitor
from .peaks import PeakMeter
from .precise import PreciseTracer
from .readings import CellReadings
from .record import CellStart, new_record, preview

log = logging.getLogger("memlens")

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
        """Guards the running cells and the peak readings (short holds only)."""
        self._history = History(history)
        self._pending: dict[int, list[CellStart]] = {}
        self._peaks = PeakMeter(peak)
        self._want_precise = False
        self._precise: PreciseTracer | None = None
        self._readings = CellReadings(shell, output_budget_s=OUTPUT_BUDGET_S)
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
        records, last_seq, dropped_before = self._history.after(after)
        return {
            "records": records,
            "last_seq": last_seq,
            "dropped_before": dropped_before,
            "precise": self._want_precise,
            "out_pins": self._readings.output_cache.pins(),
        }

    def records(self) -> list[dict[str, Any]]:
        """Copies of every kept record, oldest first, as plain dicts."""
        return self._history.copies()

    def completing_pins(self) -> bool:
        """Whether some output-cache pin is still a lower bound that the worker thread
        will try to complete (see :mod:`.completion`)."""
        return bool(self._readings.output_cache.incomplete())

    @property
    def peak_reset(self) -> bool:
        """Whether a cell's peak comes from resetting VmHWM (see :meth:`set_peak_reset`)."""
        return self._peaks.mode == "auto"

    def set_peak_reset(self, on: bool) -> bool:
        """Reset VmHWM at each cell for an exact peak (on), or sample the peak (off).

        The reset is a side effect user code can see: it lowers what
        ``resource.getrusage().ru_maxrss`` and ``VmHWM`` report (memlens keeps the
        lifetime peak itself). Off, the peak is a sampled lower bound and those counters
        are left alone. Takes effect from the next cell; returns the new state.
        """
        with self._lock:
            if self._peaks.mode != "none":
                self._peaks.mode = "auto" if on else "sampled"
            return self._peaks.mode == "auto"

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

    def _running(self) -> Iterator[CellStart]:
        """Every running cell of every thread (under the lock)."""
        for stack in self._pending.values():
            yield from stack

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
                self._peaks.start(start, self._running())
            except Exception:
                log.debug("memlens: a probe failed at a cell's start", exc_info=True)
            self._pending.setdefault(thread, []).append(start)
        try:
            self._readings.at_start(start, precise=self._want_precise)
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
                self._peaks.end(start, record, self._running())
            except Exception:
                log.debug("memlens: a probe failed at a cell's end", exc_info=True)
        # Slower readings outside the lock: only this thread knows of this cell now.
        self._readings.at_end(start, record)
        if tracer is not None:
            try:
                record["precise"] = tracer.finish()
            except Exception:
                log.debug("memlens: tracemalloc failed", exc_info=True)
                tracer.stop()
        self._history.append(record)
        cache = self._readings.output_cache
        pins = cache.incomplete()  # this cell's result first, then older ones still cut
        if pins:
            started = self.cells_started
            complete_in_background(
                self._history, cache, pins, lambda: self.cells_started != started
            )
        return record


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
