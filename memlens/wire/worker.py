"""The background thread that answers the commands which walk the object graph.

A walk can take up to its time budget (seconds, for "complete sizes"). Answered from this
thread, it lets the comm handler return at once, so the kernel goes on with its next
message and the user's next cell never waits for a walk. The walk shares the GIL with the
cell, so it also gets out of the way: it sleeps briefly after each stretch of
:data:`PAUSE_EVERY_S` seconds of work (so that a thread waiting for the GIL gets it at
once rather than after the interpreter's switch interval), and it stops as soon as a cell
starts or a ``cancel`` comes (its rows are then partial and flagged ``interrupted``; the
frontend refreshes after each cell anyway, and the variables the walk finished keep their
sizes: :mod:`memlens.variables.kept`). :mod:`.running` says how far it got. BENCHMARKS.md
has the delay a cell sees.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any, Callable

from ..cells import recorder
from . import running
from .handlers import Options

log = logging.getLogger("memlens")

PAUSE_EVERY_S = 0.002
"""A background walk sleeps briefly after each stretch of this many seconds of work."""


def until_a_cell_starts() -> Callable[[], bool] | None:
    """A test that says whether a cell started since now (None without a recorder)."""
    active = recorder.current()
    if active is None:
        return None
    started = active.cells_started
    return lambda: active.cells_started != started


def background_options(shell: Any) -> Options:
    """Options of a walk on the worker: it yields the GIL, stops when a cell starts or a
    ``cancel`` comes, and tells :mod:`.running` how far it got (for ``progress``)."""
    cell_started = until_a_cell_starts()

    def should_stop() -> bool:
        return running.cancelled() or (cell_started is not None and cell_started())

    return Options(
        shell,
        should_stop=should_stop,
        pause_every_s=PAUSE_EVERY_S,
        progress=running.note_objects,
        track=running.track,
    )


class Worker:
    """One daemon thread running jobs in order (started on first use)."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, job: Callable[[], None]) -> None:
        """Run ``job`` on the worker thread after the jobs submitted before it."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="memlens-sizing", daemon=True
                )
                self._thread.start()
        self._jobs.put(job)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                job()
            except BaseException:
                log.exception("memlens: a background job failed")
            del job


worker = Worker()
"""The one worker of this kernel."""
