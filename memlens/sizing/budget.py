"""When a walk must stop: its time budget (shared out among roots), the cap on the
walker's own memory, and the caller's stop request; and its pauses for other threads."""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from typing import Callable

from .report import BUDGET, CAPPED, INTERRUPTED

PAUSE_S = 0.0005
"""How long a walk on a background thread sleeps after each stretch of work, in seconds."""


def physical_memory() -> int:
    """The machine's memory in bytes (1 TiB where it cannot be read)."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return 1 << 40


def available_memory() -> int | None:
    """MemAvailable from /proc/meminfo, in bytes; None where there is none."""
    try:
        with open("/proc/meminfo", "rb") as meminfo:
            for line in meminfo:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


_cap: tuple[float, int] = (-1.0, 0)


def default_cap_bytes() -> int:
    """The default cap on the walker's own memory: 10 % of the memory still available
    (``MemAvailable``), at most 1 GiB, at least 16 MiB; 256 MiB where that is unknown.
    Read at most once a second."""
    global _cap
    now = time.monotonic()
    if now - _cap[0] < 1.0:
        return _cap[1]
    available = available_memory()
    if available is None:
        cap = 256 << 20
    else:
        cap = max(16 << 20, min(available // 10, 1 << 30))
    _cap = (now, cap)
    return cap


class Stop(Exception):
    """Ends the walk of a root (or of all roots): its flag says why."""

    def __init__(self, flag: str, *, everything: bool) -> None:
        super().__init__(flag)
        self.flag = flag
        self.everything = everything


class Limits:
    """The limits of one walk, checked between batches (every few milliseconds)."""

    def __init__(
        self,
        *,
        budget_s: float | None,
        shares: Sequence[float],
        cap_bytes: int,
        should_stop: Callable[[], bool] | None,
        pause_every_s: float | None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.budget_s = budget_s
        self.shares = [float(weight) for weight in shares]
        self.cap_bytes = cap_bytes
        self.should_stop = should_stop
        self.pause_every_s = pause_every_s
        self.deadline: float | None = None
        self.root_deadline: float | None = None
        self.last_pause = 0.0
        self.peak_bytes = 0
        """The most the walker's memory estimate reached, in bytes."""
        self.capped = False
        self.progress = progress
        """Called at each check with the objects visited so far (``walked``)."""
        self.walked: Callable[[], int] | None = None
        """Objects visited so far; set by whoever runs the walk."""

    def start(self, started: float) -> None:
        """The walk starts now (``time.perf_counter()``)."""
        self.deadline = None if self.budget_s is None else started + self.budget_s
        self.last_pause = started

    def start_root(self, index: int) -> None:
        """Root ``index`` may use its share of the time left (roots are walked in order;
        a root of share 0 gets whatever the others leave)."""
        deadline = self.deadline
        self.root_deadline = None
        if deadline is None:
            return
        now = time.perf_counter()
        weights = self.shares[index:]
        total = sum(weights)
        if total <= 0 or weights[0] <= 0:
            self.root_deadline = deadline
        else:
            self.root_deadline = now + max(0.0, deadline - now) * weights[0] / total

    def check(self, used_bytes: int) -> None:
        """Raise :class:`Stop` past the memory cap (``used_bytes``: the walker's estimate
        of its own memory now), the budget or a stop request; pause if it is time."""
        if used_bytes > self.peak_bytes:
            self.peak_bytes = used_bytes
        if used_bytes > self.cap_bytes:
            self.capped = True
            raise Stop(CAPPED, everything=True)
        now = time.perf_counter()
        if self.deadline is not None and now > self.deadline:
            raise Stop(BUDGET, everything=True)
        if self.root_deadline is not None and now > self.root_deadline:
            raise Stop(BUDGET, everything=False)
        if self.should_stop is not None and self.should_stop():
            raise Stop(INTERRUPTED, everything=True)
        if self.progress is not None and self.walked is not None:
            self.progress(self.walked())
        if self.pause_every_s is not None and now - self.last_pause > self.pause_every_s:
            time.sleep(PAUSE_S)
            self.last_pause = time.perf_counter()
