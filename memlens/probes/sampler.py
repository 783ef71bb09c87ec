"""The sampled peak where there is no exact one: a daemon thread polls RSS."""

from __future__ import annotations

import threading
import time
from typing import Callable

from .process import statm_rss

SAMPLE_INTERVAL_S = 0.01
"""How often, in seconds, a sampler polls RSS by default."""


class PeakSampler:
    """Polls RSS on a daemon thread and keeps the highest reading.

    Used only where VmHWM cannot be reset. The thread polls every ``interval`` seconds
    while :meth:`start` is in effect and sleeps otherwise. It needs the GIL to run, so it
    misses peaks shorter than the interval and peaks inside long C calls that hold the
    GIL: a sampled peak is a lower bound.
    """

    def __init__(
        self,
        interval: float = SAMPLE_INTERVAL_S,
        read: Callable[[], int | None] = statm_rss,
    ) -> None:
        self.interval = interval
        self._read = read
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._running = 0
        self._highest: int | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin (or keep) polling; calls nest with :meth:`stop`."""
        with self._lock:
            self._running += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="memlens-peak-sampler", daemon=True
                )
                self._thread.start()
            self._wake.notify_all()

    def stop(self) -> None:
        """Undo one :meth:`start`; the thread sleeps when none is left."""
        with self._lock:
            self._running = max(0, self._running - 1)

    def take(self) -> int | None:
        """The highest RSS polled since the last take, in bytes; None if none was polled."""
        with self._lock:
            highest, self._highest = self._highest, None
        return highest

    def _loop(self) -> None:
        while True:
            with self._lock:
                while not self._running:
                    self._wake.wait()
            try:
                size = self._read()
            except Exception:
                size = None
            if size is not None:
                with self._lock:
                    if self._highest is None or size > self._highest:
                        self._highest = size
            time.sleep(self.interval)
