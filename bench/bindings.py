"""What finding the names a cell bound costs per cell, by namespace size.

The recorder compares the user namespace's ``name -> id(value)`` after each cell with the
one after the previous cell (:class:`memlens.cells.bindings.Bindings`). This times that
comparison in this process on a namespace of N names (half ints, half lists), for a cell
that rebinds one name (the common path: positions unchanged) and for one that deletes a
name and binds it again (positions shift: the slower path), and prints the median and
90th percentile over ``--repeat`` calls for each N. Run from the repository root::

    .venv/bin/python bench/bindings.py --repeat 200
"""

from __future__ import annotations

import argparse
import statistics
import time
from types import SimpleNamespace
from typing import Any

from memlens.cells.bindings import Bindings


def namespace(size: int) -> dict[str, Any]:
    names: dict[str, Any] = {}
    for i in range(size):
        names[f"v{i}"] = i if i % 2 else [i]
    return names


def timings(size: int, repeat: int, delete: bool) -> list[float]:
    shell = SimpleNamespace(user_ns=namespace(size), user_ns_hidden={})
    bindings = Bindings(shell)
    found: list[float] = []
    for i in range(repeat):
        name = f"v{(i * 7919) % size}"
        if delete:
            del shell.user_ns[name]  # the cell deletes it and binds it again: it moves last
        shell.user_ns[name] = object()
        start = time.perf_counter()
        bound = bindings.after_cell()
        found.append(time.perf_counter() - start)
        assert bound == [name], bound
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1_000, 10_000, 100_000])
    args = parser.parse_args()
    print(f"{'names':>8} {'cell':>16} {'median ms':>10} {'p90 ms':>8}")
    for size in args.sizes:
        for delete in (False, True):
            times = sorted(timings(size, args.repeat, delete))
            median = statistics.median(times) * 1e3
            p90 = times[int(len(times) * 0.9)] * 1e3
            cell = "deletes, rebinds" if delete else "rebinds one"
            print(f"{size:>8} {cell:>16} {median:>10.3f} {p90:>8.3f}")


if __name__ == "__main__":
    main()
