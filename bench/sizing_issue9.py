"""Issue #9's runs of ``bench/sizing.py``: its table of deep size over truth on today's
data (``--issue9``), the walks where every object is also held elsewhere, at scale
(``--scale N``), and what the owners table's steps cost an object (``--table-costs``).
BENCHMARKS.md has the results."""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from memlens import sizing  # noqa: E402


def at_scale(count: int) -> list[dict[str, Any]]:
    """Issue #9's worst case at scale: every object also held elsewhere. ``deep_size`` of
    one of two lists sharing ``count`` floats, and ``retained_sizes`` of 20 lists that
    share ``2 * count`` references to them (each float in two lists); one run each (the
    walks take seconds), with objects counted by the walk itself. Wall and CPU time: on a
    machine shared with other work the CPU time is the steadier figure."""
    floats = [float(i) for i in range(count)]
    other = list(floats)
    rows: list[dict[str, Any]] = []
    gc.collect()
    started, cpu = time.perf_counter(), time.process_time()
    report = sizing.measure([[floats]])
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    rows.append(
        {
            "case": f"deep_size: one of two lists sharing {count:,} floats",
            "objects": report.objects,
            "s": seconds,
            "M objects/s": report.objects / seconds / 1e6,
            "cpu s": cpu,
            "M objects/cpu s": report.objects / cpu / 1e6,
            "partial": report.partial,
        }
    )
    names = {f"l{k}": floats[k::10] for k in range(10)}
    names.update({f"m{k}": other[k::10] for k in range(10)})
    del other
    gc.collect()
    started, cpu = time.perf_counter(), time.process_time()
    report = sizing.measure([[value] for value in names.values()])
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    rows.append(
        {
            "case": f"retained_sizes: 20 lists sharing {2 * count:,} references",
            "objects": report.objects,
            "s": seconds,
            "M objects/s": report.objects / seconds / 1e6,
            "cpu s": cpu,
            "M objects/cpu s": report.objects / cpu / 1e6,
            "partial": report.partial,
        }
    )
    return rows


def table_costs(count: int = 3_000_000) -> list[dict[str, Any]]:
    """What the owners table's steps cost an object (ns, CPU time, best of 3): its keys
    (``id >> 4``, or the pointer hash that equals it), a read, a write of one value (through
    the memoryview's own wrappers, or the ``operator`` functions the walk now uses), and
    the read-translate-write that ``claim`` did item by item before (``itertools.tee``),
    each a C-level ``map`` over ``count`` floats' keys on a ``MAP_NORESERVE`` memory map
    as the walk makes it."""
    import collections
    import itertools
    import mmap
    import operator

    floats = [float(i) for i in range(count)]
    table = mmap.mmap(-1, 1 << 43, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | 0x4000)
    view = memoryview(table).cast("B")
    translate = [4] * 8
    keys = list(map(operator.rshift, map(id, floats), itertools.repeat(4)))

    def tee() -> None:
        old, kept = itertools.tee(map(view.__getitem__, keys))
        collections.deque(map(view.__setitem__, keys, map(translate.__getitem__, old)), 0)
        list(kept)

    setitem: Callable[..., None] = operator.setitem
    steps: dict[str, Callable[[], object]] = {
        "keys (id >> 4)": lambda: list(map(operator.rshift, map(id, floats), itertools.repeat(4))),
        "keys (object.__hash__, now)": lambda: list(map(object.__hash__, floats)),
        "read (view.__getitem__)": lambda: list(map(view.__getitem__, keys)),
        "read (operator.getitem, now)": lambda: list(
            map(operator.getitem, itertools.repeat(view), keys)
        ),
        "write one value (view.__setitem__)": lambda: collections.deque(
            map(view.__setitem__, keys, itertools.repeat(5)), 0
        ),
        "write one value (operator.setitem, now)": lambda: collections.deque(
            map(setitem, itertools.repeat(view), keys, itertools.repeat(5)), 0
        ),
        "read-translate-write (tee)": tee,
        "min and max of the keys": lambda: (min(keys), max(keys)),
    }
    rows = []
    for label, step in steps.items():
        best = float("inf")
        for _ in range(3):
            started = time.process_time()
            step()
            best = min(best, time.process_time() - started)
        rows.append({"step": label, "ns an object": best / count * 1e9})
    view.release()
    table.close()
    return rows


def issue9_rows() -> list[dict[str, Any]]:
    """Issue #9's table: memlens' deep size / tracemalloc's truth (pyarrow's pool growth
    added), each object built in this process; needs numpy, pandas 2+ (and numpy 2's
    StringDType)."""
    import collections

    import numpy as np
    import pandas as pd

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "unit"))
    from sizing_truth import built

    class L(list):  # type: ignore[type-arg]
        pass

    class S(set):  # type: ignore[type-arg]
        pass

    class Point:
        def __init__(self, i: int) -> None:
            self.x = i
            self.y = float(i)

    def index() -> Any:
        found = pd.Index(np.random.default_rng(1).permutation(1_000_000))
        found.get_loc(5)
        return found

    def frame() -> Any:
        keys = [f"k{i}" for i in np.random.default_rng(2).permutation(200_000)]
        found = pd.DataFrame({"a": np.arange(200_000)}, index=keys)
        found.loc["k5"]
        return found

    def multi() -> Any:
        found = pd.MultiIndex.from_product([range(1000), [f"s{i}" for i in range(300)]])
        found.get_loc((5, "s7"))
        return found

    def mixed() -> Any:
        found = [Point(i) for i in range(20_000)]
        for point in found[1::2]:
            point.__dict__  # noqa: B018
        return found

    cases: dict[str, Callable[[], Any]] = {
        "pandas Index of 10^6 shuffled ints after get_loc": index,
        "shuffled string-indexed DataFrame after .loc": frame,
        "MultiIndex after get_loc": multi,
        "numpy StringDType array (10^5 strings)": lambda: np.array(
            [f"string number {i} is long" for i in range(100_000)],
            dtype=np.dtypes.StringDType(),
        ),
        "structured array with an object field (to_records)": lambda: pd.DataFrame(
            {"a": np.arange(100_000), "s": [f"str{i}" for i in range(100_000)]}
        ).to_records(),
        "Counter of 10^5 str -> int": lambda: collections.Counter(
            {str(i) * 3: i for i in range(100_000)}
        ),
        "class L(list), 10^5 floats": lambda: L(float(i) for i in range(100_000)),
        "class S(set), 10^5 floats": lambda: S(float(i) for i in range(100_000)),
        "instances of one class, half with __dict__": mixed,
    }
    rows = []
    for name, factory in cases.items():
        obj, truth = built(factory)
        rows.append(
            {"object": name, "truth": truth, "memlens / truth": sizing.deep_size(obj) / truth}
        )
        del obj
    return rows
