"""A cell's record: what was known when it started, and the record it ends with.

What a record's numbers mean (sizes in bytes, deltas are *after - before* of the cell):

``rss_before``, ``rss_after``
    Resident set size (VmRSS) when the cell started and ended.
``rss_peak``
    Highest RSS during the cell. ``peak_method`` says how it was measured: ``"exact"``
    (VmHWM reset through /proc/self/clear_refs at the start, read at the end; a side
    effect user code can see: ``resource.getrusage().ru_maxrss`` and VmHWM then report
    the peak since the cell started;
    :meth:`~memlens.cells.recorder.CellRecorder.set_peak_reset` turns it off,
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
    bound if sizing hit its :data:`~memlens.cells.recorder.OUTPUT_BUDGET_S` budget),
    minus the sizes of earlier results that the cell let go of: no longer held by
    ``Out``, ``_N``, ``_``, ``__`` or ``___`` (see :mod:`memlens.cells.output_cache`).
    It is *not* a part of the three numbers above: the result may have existed before
    the cell (``df`` as the last line pins ``df``), and this is memory that stays alive
    after ``del`` of the user's own names. Changes made between cells (by a silent
    execute) are not counted for any cell.
``output_cache_complete``
    False while ``output_cache_delta`` is a lower bound: this cell's result was not sized
    whole within :data:`~memlens.cells.recorder.OUTPUT_BUDGET_S`, or a lower bound was
    released. The worker thread then sizes the result without that budget (stopping when
    a cell starts) and updates the record (same ``seq``): delta and ``True`` (see
    :mod:`memlens.cells.completion`). None without an output cache.
``children_peak``
    Memory of the kernel's child processes during the cell, its own figure and never a
    part of the RSS numbers (see :mod:`memlens.cells.children`).
``native_pools``
    Change in the native pools the imported libraries expose, by name (pyarrow's): the
    named part of ``native_delta`` (see :mod:`memlens.libraries.pools`).
``bound``
    The names the cell bound or rebound to another object, in the namespace's order
    (None: not compared); see :mod:`memlens.cells.bindings`.

The three parts add up to the RSS change by construction. Each is None where its
sources are missing (no glibc 2.33+ for ``mallinfo2``, no readable pymalloc report).
"""

from __future__ import annotations

import time
from typing import Any

from ..wire.protocol import CellRecord, PeakMethod
from .heap import HeapStart

PREVIEW_LENGTH = 80
"""Longest cell preview, in characters."""


def preview(source: object) -> str:
    """The first non-empty line of a cell's source, stripped, at most PREVIEW_LENGTH
    characters (a longer line ends with an ellipsis)."""
    if not isinstance(source, str):
        return ""
    for line in source.splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= PREVIEW_LENGTH else line[: PREVIEW_LENGTH - 1] + "\u2026"
    return ""


class CellStart:
    """What the recorder knew when a cell started: numbers and strings only."""

    __slots__ = (
        "cell_id",
        "children_max",
        "heap",
        "out_length",
        "peak",
        "peak_method",
        "perf",
        "pools",
        "precise",
        "preview",
        "rss",
        "started",
    )

    def __init__(self, cell_id: str | None, preview: str) -> None:
        self.cell_id = cell_id
        self.preview = preview
        self.started = time.time()
        """Wall-clock start, in seconds since the epoch."""
        self.perf = time.perf_counter()
        """``perf_counter`` when the cell's own code started (the duration's origin)."""
        self.rss: int | None = None
        self.peak: int | None = None
        """The highest RSS seen so far for this cell, in bytes."""
        self.peak_method: PeakMethod = "none"
        self.heap: HeapStart | None = None
        self.out_length = -1
        """``len(Out)`` at the start; -1 without an output cache."""
        self.precise = False
        self.children_max: int | None = None
        """The largest waited-for child's peak RSS at the start (RUSAGE_CHILDREN)."""
        self.pools: dict[str, int] | None = None
        """The native pools' allocated bytes at the start, by library."""

    def fold_peak(self, size: int | None) -> None:
        """Raise the peak to ``size`` if it is higher."""
        if size is not None and (self.peak is None or size > self.peak):
            self.peak = size


def new_record(start: CellStart, result: Any, end: float) -> CellRecord:
    """The record of a cell that started at ``start`` and ended at ``perf_counter()``
    ``end`` with IPython's ``result``; measurements not yet taken are None."""
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
        "output_cache_complete": None,
        "children_peak": None,
        "native_pools": None,
        "precise": None,
    }
