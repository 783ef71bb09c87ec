"""How a cell's RSS change splits between the heap in use, the allocators' free memory
and the rest (see :mod:`memlens.cells.recorder` for what each part means)."""

from __future__ import annotations

from ..probes import allocators
from ..probes.allocators import PymallocStats

PYMALLOC_THRESHOLD = 1 << 20
"""In default mode, pymalloc's report is read only when a cell moved this many bytes."""

HeapCounters = tuple[int, int]
"""glibc malloc's ``(in use, held free)`` in bytes, as
:func:`~memlens.probes.allocators.heap_counters` reads them."""


def delta(after: int | None, before: int | None) -> int | None:
    """``after - before``; None if either is unknown."""
    return None if after is None or before is None else after - before


def total(*parts: int | None) -> int | None:
    """The sum of the known parts; None if none is known."""
    known = [part for part in parts if part is not None]
    return sum(known) if known else None


def moved(
    rss: tuple[int | None, int | None],
    heap: tuple[HeapCounters | None, HeapCounters | None],
) -> bool:
    """Whether RSS or glibc's in-use or free bytes moved by PYMALLOC_THRESHOLD or more."""
    change = delta(*rss)
    if change is None or abs(change) >= PYMALLOC_THRESHOLD:
        return True
    after, before = heap
    if after is None or before is None:
        return False
    return (
        abs(after[0] - before[0]) >= PYMALLOC_THRESHOLD
        or abs(after[1] - before[1]) >= PYMALLOC_THRESHOLD
    )


class HeapStart:
    """The allocators' state when a cell started."""

    __slots__ = ("heap", "pymalloc", "rss")

    def __init__(
        self, rss: int | None, heap: HeapCounters | None, pymalloc: PymallocStats | None
    ) -> None:
        self.rss = rss
        self.heap = heap
        self.pymalloc = pymalloc


class HeapSplit:
    """The three parts of a cell's RSS change, in bytes; None where a source is missing."""

    __slots__ = ("allocator_free", "native", "python")

    def __init__(self, python: int | None, allocator_free: int | None, native: int | None):
        self.python = python
        self.allocator_free = allocator_free
        self.native = native


class HeapTracker:
    """Reads the allocators around cells, keeping the last pymalloc report as a baseline.

    pymalloc's report walks all its pools, so it is read again only when memory moved by
    :data:`PYMALLOC_THRESHOLD` since the report at hand (or when asked to, in precise
    mode); otherwise pymalloc's own change counts as 0, an error ``native`` absorbs.
    """

    def __init__(self) -> None:
        self._baseline: HeapStart | None = None

    def at_start(self, rss: int | None, *, always: bool = False) -> HeapStart:
        """The allocators' state as a cell starts at RSS ``rss``."""
        heap = allocators.heap_counters()
        baseline = self._baseline
        if baseline is None or always or moved((rss, baseline.rss), (heap, baseline.heap)):
            baseline = self._baseline = HeapStart(rss, heap, allocators.pymalloc_stats())
        return HeapStart(rss, heap, baseline.pymalloc)

    def split(self, start: HeapStart, rss: int | None, *, always: bool = False) -> HeapSplit:
        """The parts of the change from ``start`` to now, when RSS is ``rss``."""
        heap = allocators.heap_counters()
        before = start.pymalloc
        after = None
        if before is not None and (always or moved((rss, start.rss), (heap, start.heap))):
            after = allocators.pymalloc_stats()
            self._baseline = HeapStart(rss, heap, after)
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
        python = total(glibc_used, pymalloc_used)
        free = total(glibc_free, pymalloc_free)
        change = delta(rss, start.rss)
        native = None
        if change is not None and python is not None and free is not None:
            native = change - python - free
        return HeapSplit(python, free, native)
