"""tracemalloc around one cell: precise mode's reading of a cell."""

from __future__ import annotations

import os
import re
import sys
from typing import Any

from ..wire.protocol import AllocationSite, PreciseReading

TOP_SITES = 5
"""Allocation sites a precise record lists."""

PACKAGE_DIRECTORY = os.path.dirname(os.path.dirname((lambda: 0).__code__.co_filename))
"""memlens' own directory (installed or injected): its lines are left out of the sites."""


_OLD_CELL_FILE = re.compile(r"^<ipython-input-(\d+)-[0-9a-f]+>$")
"""IPython 7's cell file names: ``<ipython-input-N-hash>``."""


def cell_numbers() -> dict[str, int]:
    """Cell file name -> the execution count of its cell, from IPython's compiler.

    IPython 8+ keeps this map (``CachingCompiler._filename_map``) for its own tracebacks;
    it is read here, never changed, and no user code runs. Empty outside IPython.
    """
    module = sys.modules.get("IPython.core.getipython")
    get_ipython = getattr(module, "get_ipython", None)
    shell = get_ipython() if callable(get_ipython) else None
    mapping = getattr(getattr(shell, "compile", None), "_filename_map", None)
    if not isinstance(mapping, dict):
        return {}
    return {
        name: number
        for name, number in mapping.items()
        if isinstance(name, str) and type(number) is int and number >= 0
    }


def cell_of(filename: str, numbers: dict[str, int]) -> int | None:
    """The execution count of the cell whose file is ``filename``; None for other files."""
    if filename in numbers:
        return numbers[filename]
    match = _OLD_CELL_FILE.match(filename)
    return int(match.group(1)) if match else None


class PreciseTracer:
    """tracemalloc around one cell.

    If tracemalloc is not tracing when a cell starts, memlens starts it then and stops it
    when the cell ends, so that only cells are traced (not silent executes, comm traffic
    or idle time) and each cell starts from an empty trace table:

    - ``python_delta``: bytes of Python allocations made during the cell and still alive
      at its end (frees of memory allocated before the cell are not seen);
    - ``python_peak``: the highest such total at any moment of the cell;
    - ``top``: the :data:`TOP_SITES` source lines whose allocations of the cell hold the
      most bytes at its end (file, line, bytes, number of blocks, and the execution count
      of the cell when the file is a cell's), memlens' own lines left out. Only the
      innermost frame is kept (tracemalloc's default of one frame), so an
      allocation inside a library names the library's line.

    Collecting the sites takes time in proportion to the allocations that survive the cell
    (see BENCHMARKS.md).

    A user's own tracing is never stopped and its traces are kept: ``python_delta`` is
    then the net change of all traced bytes over the cell, ``python_peak`` the peak above
    the start (``reset_peak`` is called, which resets the user's peak too), and ``top`` is
    empty, since a user's trace table can be very large.
    """

    def __init__(self) -> None:
        import tracemalloc

        self.tracemalloc = tracemalloc
        self.ours = False
        self.before = 0
        self.traced: tuple[int, int] | None = None

    def start(self) -> None:
        tracemalloc = self.tracemalloc
        if not tracemalloc.is_tracing():
            tracemalloc.start()
            self.ours = True
        tracemalloc.reset_peak()
        self.before = tracemalloc.get_traced_memory()[0]

    def read(self) -> None:
        """Take the cell's traced totals: the first thing when it ends."""
        tracemalloc = self.tracemalloc
        self.traced = tracemalloc.get_traced_memory() if tracemalloc.is_tracing() else None

    def finish(self) -> PreciseReading | None:
        """The reading of the cell (after :meth:`read`); stops memlens' own tracing."""
        traced, self.traced = self.traced, None
        top: list[AllocationSite] = []
        if self.ours:
            top = self._top_sites()
        if traced is None:
            return None
        current, peak = traced
        return {
            "python_delta": current - self.before,
            "python_peak": max(0, peak - self.before),
            "top": top,
        }

    def _top_sites(self) -> list[AllocationSite]:
        tracemalloc = self.tracemalloc
        get_traces = getattr(tracemalloc, "_get_traces", None)
        try:
            traces = get_traces() if callable(get_traces) and tracemalloc.is_tracing() else []
        finally:
            self.stop()  # before counting, so that counting is not traced
        sizes: dict[Any, int] = {}
        counts: dict[Any, int] = {}
        for trace in traces:  # (domain, size, frames, ...), frames innermost first
            frames = trace[2]
            sizes[frames] = sizes.get(frames, 0) + trace[1]
            counts[frames] = counts.get(frames, 0) + 1
        del traces
        top: list[AllocationSite] = []
        own = (PACKAGE_DIRECTORY + os.sep, tracemalloc.__file__)
        numbers = cell_numbers()
        for frames in sorted(sizes, key=sizes.__getitem__, reverse=True):
            if not frames:
                continue
            filename, lineno = frames[0]
            if filename.startswith(own[0]) or filename == own[1]:
                continue
            top.append(
                {
                    "file": filename,
                    "line": lineno,
                    "size": sizes[frames],
                    "count": counts[frames],
                    "cell": cell_of(filename, numbers),
                }
            )
            if len(top) == TOP_SITES:
                break
        return top

    def stop(self) -> None:
        """Stop tracing if memlens started it."""
        if self.ours:
            self.ours = False
            self.tracemalloc.stop()
