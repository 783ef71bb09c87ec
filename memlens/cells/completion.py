"""Completing output-cache pins after their cell, on the worker thread.

A cell's result is sized within a short budget when the cell ends
(:data:`~memlens.cells.recorder.OUTPUT_BUDGET_S`); a result too big for it gets a lower
bound and ``output_cache_complete`` False. After each cell the worker thread sizes every
pinned result still a lower bound without that budget, newest first, stopping when the
next cell starts (a result not finished then is tried again after that cell), and
updates the record of the cell that returned it in place: same ``seq``, a larger
``output_cache_delta`` and ``output_cache_complete`` True. Readers see it on their next
``cells`` request (and every ``cells`` reply's ``out_pins`` says which pins are complete).
"""

from __future__ import annotations

from typing import Callable

from ..wire.protocol import CellRecord
from .history import History
from .output_cache import OutputCache


def complete_in_background(
    history: History,
    cache: OutputCache,
    pins: list[tuple[int, int]],
    moved: Callable[[], bool],
) -> None:
    """Size the results ``pins`` (each its id and its key in Out) on the worker thread,
    one after the other, until ``moved()`` (a cell started); complete the pin of the
    newest record of the cell that returned each (its ``execution_count`` is the key)."""
    from ..wire.worker import worker  # here: the worker module imports the recorder

    def job() -> None:
        for identity, key in pins:
            if moved():
                return
            grew = cache.complete(identity, key, moved)
            if grew is not None:
                history.update_newest(_returned(key), _completed(grew))

    worker.submit(job)


def _returned(key: int) -> Callable[[CellRecord], bool]:
    """Whether a record is the incomplete one of the cell whose result is ``Out[key]``."""
    return lambda record: (
        record["execution_count"] == key and record["output_cache_complete"] is False
    )


def _completed(grew: int) -> Callable[[CellRecord], None]:
    def complete(record: CellRecord) -> None:
        delta = record["output_cache_delta"]
        if delta is not None:
            record["output_cache_delta"] = delta + grew
        record["output_cache_complete"] = True

    return complete
