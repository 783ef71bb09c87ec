"""The memory of the kernel's child processes during a cell.

Children (``subprocess``, ``!command``, ``os.fork``, multiprocessing pools, DataLoader
workers, joblib) count against the container's memory limit but not in the kernel's RSS.
Two readings, both standard library and /proc only:

- ``getrusage(RUSAGE_CHILDREN).ru_maxrss``: the peak RSS of the largest descendant that
  was waited for (a ``subprocess.run``, a joined pool worker, a reaped fork child). It is
  a running maximum over the kernel's life: it rises during a cell only when a child of
  that cell peaked above every earlier one, so a rise is that child's peak.
- the summed RSS of the children still alive at the cell's end (``/proc/<pid>/task/*/
  children``, recursively): a pool's workers, a server started in the background.

A cell's ``children_peak`` is the larger of the two (0 when neither), shown as its own
line, never added to the kernel's RSS. Lower bound: a short-lived child that peaked below
an earlier child's peak and was reaped is not seen.
"""

from __future__ import annotations

import os

try:
    import resource
except ImportError:  # not on Windows
    resource = None  # type: ignore[assignment]

MOST_CHILDREN = 4096
"""Most descendants whose RSS is read at a cell's end."""
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


def children_peak(max_before: int | None) -> int | None:
    """A cell's ``children_peak`` (see the module), given :func:`max_child_rss` at its start."""
    after = max_child_rss()
    live = live_children_rss()
    if after is None and live is None:
        return None
    rose = after - max_before if after is not None and max_before is not None else 0
    waited = after if rose > 0 and after is not None else 0
    return max(waited, live or 0)
