"""Live readings while a cell runs: RSS and the peak so far, a few times a second.

One daemon thread sleeps on a condition while no cell runs (no wake-ups at all) and, while
one runs, reads /proc/self/status every :data:`LIVE_INTERVAL_S` seconds: RSS, and the
peak so far (VmHWM when the recorder reset it at the cell's start, else the highest RSS
read). Each reading goes to the kernel record (:mod:`memlens.cells.forensics`), to the
guard (:mod:`memlens.cells.guard`), to :meth:`LiveMonitor.reading`, which the ``live``
command serves, and to :attr:`LiveMonitor.listener` when the frontend asked for ``live``
events (:mod:`memlens.wire.push`).

The thread needs the GIL for a few microseconds per reading; a C call that holds the GIL
delays the reading until it returns (so a sampled peak is a lower bound).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Optional

from ..probes import process
from ..probes.limits import memory_limit
from .guard import interrupt_thread, should_stop

log = logging.getLogger("memlens")

LIVE_INTERVAL_S = 0.25
"""Seconds between live readings while a cell runs."""

_limit_cache: list[Any] = [0.0, None]


def cached_limit() -> int | None:
    """:func:`~memlens.probes.limits.memory_limit`, re-read at most once a second."""
    now = time.monotonic()
    if now - _limit_cache[0] > 1.0:
        _limit_cache[:] = [now, memory_limit().limit]
    value = _limit_cache[1]
    return value if isinstance(value, int) else None


Sink = Callable[[Optional[int], Optional[int]], None]


class LiveMonitor:
    """Samples RSS while a cell runs; see the module's docstring."""

    def __init__(
        self,
        sink: Sink | None = None,
        *,
        interval: float = LIVE_INTERVAL_S,
        read: Callable[[], tuple[int | None, int | None]] = process.rss_and_hwm,
    ) -> None:
        self.interval = interval
        self._sink = sink
        self._read = read
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self._cell: dict[str, Any] | None = None
        self._exact = False
        self._thread_id = 0
        self.guard_share: float | None = None
        """Interrupt a cell at this share of the limit (0 < share < 1); None: off."""
        self.limit: Callable[[], int | None] = cached_limit
        """The limit the guard compares against (the cgroup's, else the machine's)."""
        self.guard_fired = 0
        """How many cells the guard interrupted."""
        self.listener: Callable[[dict[str, Any]], None] | None = None
        """Called on the sampler thread with a copy of each reading (the ``live`` events,
        :mod:`memlens.wire.push`); None: nobody listens."""

    def cell_started(
        self,
        cell_id: str | None,
        execution_count: int | None,
        rss: int | None,
        *,
        exact_peak: bool,
    ) -> None:
        """A cell started on the calling thread; readings begin."""
        with self._lock:
            self._cell = {
                "cell_id": cell_id,
                "execution_count": execution_count,
                "started": time.time(),
                "rss": rss,
                "rss_peak": rss,
                "time": time.time(),
                "guarded": False,
            }
            self._exact = exact_peak
            self._thread_id = threading.get_ident()
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="memlens-live", daemon=True)
                self._thread.start()
            self._wake.notify_all()

    def cell_ended(self) -> None:
        """The cell ended: the thread goes back to sleep."""
        with self._lock:
            self._cell = None

    def reading(self) -> dict[str, Any] | None:
        """The running cell's latest reading (a copy), or None when no cell runs."""
        with self._lock:
            return None if self._cell is None else dict(self._cell)

    def _loop(self) -> None:
        while True:
            with self._lock:
                while self._cell is None:
                    self._wake.wait()
            time.sleep(self.interval)
            try:
                self.sample_once()
            except Exception:
                log.debug("memlens: a live reading failed", exc_info=True)

    def sample_once(self) -> None:
        """Take one reading of the running cell (the thread's step; callable in tests)."""
        rss, hwm = self._read()
        with self._lock:
            cell = self._cell
            if cell is None:
                return
            peak = cell["rss_peak"]
            for value in (rss, hwm if self._exact else None):
                if value is not None and (peak is None or value > peak):
                    peak = value
            cell.update(rss=rss, rss_peak=peak, time=time.time())
            guarded, thread_id = cell["guarded"], self._thread_id
            reading = dict(cell)
        if self._sink is not None:
            self._sink(rss, peak)
        listener = self.listener
        if listener is not None:
            listener(reading)
        share = self.guard_share
        if share is not None and not guarded and rss is not None:
            limit = self.limit()
            if limit is not None and should_stop(rss, limit, share):
                with self._lock:
                    if self._cell is not cell:
                        return
                    cell["guarded"] = True
                if interrupt_thread(thread_id, rss, limit):
                    self.guard_fired += 1
