"""A cell's record: what was known when it started, and the record it ends with."""

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
