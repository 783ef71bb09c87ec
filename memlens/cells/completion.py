"""Completing a cell's output-cache pin after the cell, on the worker thread.

A cell's result is sized within a short budget when the cell ends
(:data:`~memlens.cells.recorder.OUTPUT_BUDGET_S`); a result too big for it gets a lower
bound and ``output_cache_complete`` False. The worker thread then sizes it without that
budget, stopping when the next cell starts (the size then stays a lower bound), and
updates the record in place: same ``seq``, a larger ``output_cache_delta`` and
``output_cache_complete`` True. Readers that hold the record see it change on their next
``cells`` request.
"""

from __future__ import annotations

from typing import Callable

from ..wire.protocol import CellRecord
from .history import History
from .output_cache import OutputCache


def complete_in_background(
    history: History,
    cache: OutputCache,
    seq: int,
    pending: tuple[int, int],
    moved: Callable[[], bool],
) -> None:
    """Size the result ``pending`` (its id, its key in Out) on the worker thread until
    ``moved()`` (a cell started), then complete record ``seq``'s pin."""
    from ..wire.worker import worker  # here: the worker module imports the recorder

    def job() -> None:
        grew = cache.complete(*pending, moved)
        if grew is None:
            return

        def complete(record: CellRecord) -> None:
            delta = record["output_cache_delta"]
            if delta is not None:
                record["output_cache_delta"] = delta + grew
            record["output_cache_complete"] = True

        history.update(seq, complete)

    worker.submit(job)
