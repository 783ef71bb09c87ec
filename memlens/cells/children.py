"""The memory of the kernel's child processes during a cell.

Children (``subprocess``, ``!command``, ``os.fork``, multiprocessing pools, DataLoader
workers, joblib) count against the container's memory limit but not in the kernel's RSS.
Three readings, all standard library and /proc only:

- ``getrusage(RUSAGE_CHILDREN).ru_maxrss``: the peak RSS of the largest descendant that
  was waited for (a ``subprocess.run``, a joined pool worker, a reaped fork child). It is
  a running maximum over the kernel's life: it rises during a cell only when a child of
  that cell peaked above every earlier one, so a rise is that child's exact peak.
- the summed RSS of the live descendants (``/proc/<pid>/task/*/children``, recursively),
  sampled every :data:`CHILDREN_INTERVAL_S` seconds by one daemon thread while a cell
  runs (:class:`ChildrenSampler`): a child of a later cell that peaks below an earlier
  child's peak is seen here, and children alive at once are summed.
- the same sum at the cell's end: a pool's workers, a server started in the background.

A cell's ``children_peak`` is the largest of the three (0 when no child was seen), its
own figure, never added to the kernel's RSS. What is exact and what is not: a rise of
``ru_maxrss`` is one child's exact peak, the sums are exact at the moments they are read;
the peak of all children together lies between readings, so ``children_peak`` is a
**lower bound** whenever it is above 0. Missed entirely: a child shorter than the
sampling interval that peaked below an earlier child's peak, children reaped
automatically (``SIGCHLD`` ignored), and daemons that left the kernel's process tree.
RSS counts pages a ``fork`` child still shares with the kernel (copy-on-write), which
the container charges once.

Cost: one reading lists the kernel's threads and reads one small /proc file per thread
and two per descendant (BENCHMARKS.md has the time); the thread sleeps while no cell runs.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Callable

try:
    import resource
except ImportError:  # not on Windows
    resource = None  # type: ignore[assignment]

log = logging.getLogger("memlens")

MOST_CHILDREN = 4096
"""Most descendants whose RSS is read in one reading."""
CHILDREN_INTERVAL_S = 0.05
"""Seconds between two readings of the live descendants while a cell runs."""
MOST_WATCHES = 64
"""Most cells watched at once (nested cells, cells on other threads); a cell whose end
never came is forgotten after this many more started."""
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def max_child_rss() -> int | None:
    """``ru_maxrss`` of RUSAGE_CHILDREN in bytes (Linux reports KiB); None if unreadable."""
    if resource is None:
        return None
    try:
        return int(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) * 1024
    except (OSError, ValueError):
        return None


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                found += [int(child) for child in handle.read().split()]
        except (OSError, ValueError):
            continue
    return found


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


def live_children_rss(pid: int | None = None) -> int | None:
    """Summed RSS of the live descendants of ``pid`` (this process); None without /proc."""
    root = os.getpid() if pid is None else pid
    if not os.path.isdir(f"/proc/{root}/task"):
        return None
    total = 0
    seen = {root}
    pending = _children(root)
    while pending and len(seen) <= MOST_CHILDREN:
        child = pending.pop()
        if child in seen:
            continue
        seen.add(child)
        total += _rss(child)
        pending += _children(child)
    return total


class ChildrenSampler:
    """Reads the live descendants' summed RSS on a daemon thread while a cell runs and
    keeps, for each running cell, the highest sum read since it began.

    Cells are keyed by any object (the recorder's per-cell start); nested cells and cells
    on other threads each keep their own highest reading. The thread needs the GIL for a
    reading; a C call holding the GIL delays it (one more reason the peak is a lower
    bound). It waits on a condition, with no wake-ups, while no cell runs.
    """

    def __init__(
        self,
        interval: float = CHILDREN_INTERVAL_S,
        read: Callable[[], int | None] = live_children_rss,
    ) -> None:
        self.interval = interval
        self._read = read
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._highest: dict[int, int | None] = {}
        """Per watched cell (by the id of its key): the highest reading so far."""
        self._keys: dict[int, object] = {}
        """The keys themselves, held so that their ids stay theirs while watched."""
        self._thread: threading.Thread | None = None
        self.readings = 0
        """Readings taken so far (for tests and the bench)."""

    def begin(self, key: object) -> None:
        """Start watching a cell (keyed by ``key``); starts the thread on first use."""
        with self._lock:
            while len(self._keys) >= MOST_WATCHES:
                oldest = next(iter(self._keys))
                del self._keys[oldest], self._highest[oldest]
            self._keys[id(key)] = key
            self._highest[id(key)] = None
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="memlens-children", daemon=True
                )
                self._thread.start()
            self._wake.notify_all()

    def end(self, key: object) -> int | None:
        """Stop watching ``key``'s cell; its highest reading (None: none was taken)."""
        with self._lock:
            if self._keys.get(id(key)) is not key:
                return None
            del self._keys[id(key)]
            return self._highest.pop(id(key))

    @property
    def watching(self) -> int:
        """How many cells are watched now."""
        with self._lock:
            return len(self._keys)

    def sample_once(self) -> None:
        """Take one reading and fold it into every watched cell (the thread's step)."""
        size = self._read()
        with self._lock:
            self.readings += 1
            if size is None:
                return
            for watched, highest in self._highest.items():
                if highest is None or size > highest:
                    self._highest[watched] = size

    def _loop(self) -> None:
        while True:
            with self._lock:
                while not self._keys:
                    self._wake.wait()
            try:
                self.sample_once()
            except Exception:
                log.debug("memlens: reading the child processes failed", exc_info=True)
            time.sleep(self.interval)


sampler = ChildrenSampler()
"""The one sampler of this kernel's cells."""


def cell_started(key: object) -> int | None:
    """A cell (keyed by ``key``) started: watch its children; returns :func:`max_child_rss`
    now, for :func:`children_peak` at its end."""
    sampler.begin(key)
    return max_child_rss()


def children_peak(max_before: int | None, key: object = None) -> int | None:
    """A cell's ``children_peak`` (see the module), given :func:`max_child_rss` at its
    start and the key :func:`cell_started` was given (None: no sampled readings)."""
    sampled = None if key is None else sampler.end(key)
    after = max_child_rss()
    live = live_children_rss()
    if after is None and live is None and sampled is None:
        return None
    rose = after - max_before if after is not None and max_before is not None else 0
    waited = after if rose > 0 and after is not None else 0
    return max(waited, live or 0, sampled or 0)
