"""The readings taken around a cell outside the recorder's lock, and how they fill a record.

At a cell's start: the allocators' state, ``len(Out)``, the largest child's peak and the
native pools. At its end: the heap split (``python_delta``, ``allocator_free_delta``,
``native_delta``), the output-cache pin, ``children_peak``, ``native_pools``, the names
the cell bound (``bound``, :mod:`.bindings`) and the GPU reading. Each
reading that fails leaves its fields None and never reaches the user's cell. A new
per-cell reading goes here: a field on :class:`~memlens.cells.record.CellStart` for its
starting point, one ``try`` block in :meth:`CellReadings.at_end`.
"""

from __future__ import annotations

import logging
from typing import Any

from ..kernel import gpu_cells
from ..libraries import pools
from ..wire.protocol import CellRecord
from . import children
from .bindings import Bindings
from .heap import HeapTracker
from .output_cache import OutputCache
from .record import CellStart

log = logging.getLogger("memlens")


class CellReadings:
    """The heap tracker and output cache of one shell, read at each cell's start and end."""

    def __init__(self, shell: Any, *, output_budget_s: float) -> None:
        self.heap = HeapTracker()
        self.output_cache = OutputCache(shell, budget_s=output_budget_s)
        self.gpu_start: dict[str, gpu_cells.DeviceStart] = {}
        self.bindings = Bindings(shell)
        """The names each cell bound (see :mod:`.bindings`); what is bound now is no cell's."""
        """The GPU devices in use at the running cell's start (see :mod:`..kernel.gpu_cells`)."""

    def at_start(self, start: CellStart, *, precise: bool) -> None:
        """The allocators' state and the output cache's length; raises on a failed probe."""
        start.heap = self.heap.at_start(start.rss, always=precise)
        start.out_length = self.output_cache.before_cell()
        start.children_max = children.cell_started(start)  # also samples live children
        start.pools = pools.native_pools()
        self.gpu_start = gpu_cells.cell_started()  # {} unless a library uses a GPU already

    def at_end(self, start: CellStart, record: CellRecord) -> None:
        """Fill ``record``'s heap split, output-cache pin, children, pools, the names the
        cell bound and its GPU reading. Never raises."""
        try:
            self._split(start, record)
        except Exception:
            log.debug("memlens: a probe failed at a cell's end", exc_info=True)
        try:
            record["output_cache_delta"] = self.output_cache.after_cell(
                record["execution_count"], start.out_length
            )
            record["output_cache_complete"] = self.output_cache.last_complete
        except Exception:
            log.debug("memlens: sizing the output cache failed", exc_info=True)
        try:
            record["children_peak"] = children.children_peak(start.children_max, start)
            record["native_pools"] = pools.pool_deltas(start.pools, pools.native_pools())
        except Exception:
            log.debug("memlens: a probe failed at a cell's end", exc_info=True)
        try:
            record["bound"] = self.bindings.after_cell()
        except Exception:
            log.debug("memlens: comparing the namespace failed", exc_info=True)
        gpu = gpu_cells.cell_ended(self.gpu_start)  # never raises; None without a device
        if gpu:
            record["gpu"] = gpu  # type: ignore[typeddict-item]

    def _split(self, start: CellStart, record: CellRecord) -> None:
        """python_delta, allocator_free_delta and native_delta (see :mod:`.record`)."""
        if start.heap is None:
            return
        split = self.heap.split(start.heap, record["rss_after"], always=start.precise)
        record["python_delta"] = split.python
        record["allocator_free_delta"] = split.allocator_free
        record["native_delta"] = split.native
