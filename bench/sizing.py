"""Deep and retained sizes: memlens against pympler, objsize and guppy3, in one run.

1. Speed: objects per second on containers of 10^5 to 10^6 objects, for memlens'
   ``deep_size`` and ``retained_sizes`` (the container split into ten names sharing
   nothing, plus one name aliasing a tenth), pympler's ``asizeof``, objsize's
   ``get_deep_size`` and guppy3's ``iso(obj).domisize``. "Objects" is the number of
   objects memlens counts for the container; each tool's rate is that number over its
   median time.
2. The walker's own memory: tracemalloc's peak during a walk, per object visited.
3. Correctness on the issue's cases: each tool's deep size over the bytes tracemalloc (and
   pyarrow's memory pool) saw allocated while the object was built, and what each does
   with hostile objects.
4. Optionally (``--latency``), how long a cell sent right after a ``variables`` request
   waits in a real kernel (baseline; memlens as shipped; without the pauses).

The peers are imported from this environment or installed with pip into a scratch
directory (``pip install --target``) if missing.

    .venv/bin/python bench/sizing.py [--repeats 5] [--latency] [--json out.json]

Issue #9's runs (:mod:`sizing_issue9`): ``--issue9`` (its table of deep size over truth),
``--scale N`` (the shared-objects walks at scale), ``--table-costs`` (the owners table's
steps per object).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import pickle
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import weakref
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "unit"))

from memlens import sizing  # noqa: E402
from memlens.probes import process as probes  # noqa: E402

sys.path.insert(0, str(REPO / "bench"))
from sizing_issue9 import at_scale, issue9_rows, table_costs  # noqa: E402
from sizing_latency import latency  # noqa: E402

PEERS_DIR = Path(tempfile.gettempdir()) / "memlens-bench-peers"
PEERS = {"pympler": "Pympler", "objsize": "objsize", "guppy": "guppy3"}
SUBMODULES = {"pympler": "pympler.asizeof"}


def ensure_peers() -> dict[str, Any]:
    """The peers' modules by import name (missing ones installed into PEERS_DIR)."""
    found: dict[str, Any] = {}
    missing = []
    for module in PEERS:
        try:
            importlib.import_module(SUBMODULES.get(module, module))
            found[module] = importlib.import_module(module)
        except ImportError:
            missing.append(module)
    if missing:
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(PEERS_DIR)]
        subprocess.run([*command, *(PEERS[m] for m in missing)], capture_output=True)
        sys.path.insert(0, str(PEERS_DIR))
        for module in missing:
            try:
                importlib.import_module(SUBMODULES.get(module, module))
                found[module] = importlib.import_module(module)
            except ImportError:
                print(f"  {PEERS[module]} could not be installed: left out")
    return found


# -- the containers --------------------------------------------------------------------------


@dataclass
class Record:
    key: int
    value: float
    name: str


CONTAINERS: dict[str, Callable[[], Any]] = {
    "10^6 floats in a list": lambda: [i * 0.5 for i in range(1_000_000)],
    "3x10^5 (int, str) tuples": lambda: [(i * 1000, str(i)) for i in range(300_000)],
    "10^5 str -> list of 10 floats": lambda: {
        str(i): [i + j * 0.5 for j in range(10)] for i in range(100_000)
    },
    "2x10^5 dataclasses": lambda: [Record(i * 1000, i * 0.5, str(i)) for i in range(200_000)],
    "10^5 dicts (records)": lambda: [
        {"id": i * 1000, "name": str(i), "score": i * 0.5} for i in range(100_000)
    ],
    "10^5 objects, 10 names": lambda: [[str(i), i * 0.5] for i in range(100_000)],
    "10^6 floats, each also in a 2nd list": lambda: _twice([i * 0.5 for i in range(1_000_000)]),
}

_KEEP: list[Any] = []


def _twice(items: list[Any]) -> list[Any]:
    """``items``, each of which a second list (kept elsewhere) refers to as well: the
    worst case for the walker, which must then remember every object it meets."""
    _KEEP[:] = [list(items)]
    return items


def namespace_of(container: Any) -> dict[str, Any]:
    """Ten names holding disjoint tenths of a container (copies: objects of their own,
    as a namespace has), and one more name bound to the first tenth."""
    items = list(container.values()) if isinstance(container, dict) else list(container)
    names = {f"part_{k}": pickle.loads(pickle.dumps(items[k::10])) for k in range(10)}
    del items
    names["alias"] = names["part_0"]
    return names


def domisize(heap: Any, obj: object) -> int:
    return int(heap.iso(obj).domisize)


def median_time(function: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times = []
    result = None
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def speed(repeats: int, peers: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, factory in CONTAINERS.items():
        container = factory()
        objects = sizing.measure([[container]]).objects
        row: dict[str, Any] = {"container": name, "objects": objects}
        seconds, _ = median_time(partial(sizing.deep_size, container), repeats)
        row["memlens deep"] = objects / seconds
        names = namespace_of(container)
        walked = sizing.measure([[v] for v in names.values()]).objects
        seconds, _ = median_time(partial(sizing.retained_sizes, names), repeats)
        row["memlens retained"] = walked / seconds
        row["memlens retained s"] = seconds
        if "pympler" in peers:
            asizeof = peers["pympler"].asizeof.asizeof
            seconds, _ = median_time(partial(asizeof, container), max(1, repeats // 2))
            row["pympler asizeof"] = objects / seconds
        if "objsize" in peers:
            get = peers["objsize"].get_deep_size
            seconds, _ = median_time(partial(get, container), max(1, repeats // 2))
            row["objsize"] = objects / seconds
        if "guppy" in peers:
            heap = peers["guppy"].hpy()
            seconds, _ = median_time(partial(domisize, heap, container), 1)
            row["guppy3 domisize"] = objects / seconds
        rows.append(row)
        print(f"  {name}: {objects:,} objects", flush=True)
    return rows


def walker_memory() -> list[dict[str, Any]]:
    """Per object visited: the walker's peak Python allocations (tracemalloc) and, over
    a second walk without tracemalloc, the growth of the process's peak RSS (VmHWM reset
    through /proc/self/clear_refs), which also sees the pages of the walker's
    address-keyed memory map; and the walker's own estimate."""
    rows = []
    for name, factory in CONTAINERS.items():
        container = factory()
        row: dict[str, Any] = {"container": name}
        for label in ("deep", "retained"):
            if label == "deep":
                roots = [[container]]
            else:
                roots = [[value] for value in namespace_of(container).values()]
            gc.collect()
            tracemalloc.start()
            before = tracemalloc.get_traced_memory()[0]
            report = sizing.measure(roots)
            traced = tracemalloc.get_traced_memory()[1] - before
            tracemalloc.stop()
            gc.collect()
            rss, _, reset = probes.read_and_reset_hwm()
            sizing.measure(roots)
            _, hwm = probes.rss_and_hwm()
            grown = hwm - rss if reset and hwm is not None and rss is not None else float("nan")
            row[f"{label} traced B/obj"] = traced / report.objects
            row[f"{label} RSS peak B/obj"] = grown / report.objects
            row[f"{label} estimate B/obj"] = report.walker_peak_bytes / report.objects
            del roots
        rows.append(row)
        del container
    return rows


# -- correctness -----------------------------------------------------------------------------


def cases() -> dict[str, Callable[[], Any]]:
    import sizing_truth

    chosen = dict(sizing_truth.CASES)
    try:
        import numpy as np
        import pandas as pd

        chosen["numpy float array"] = lambda: np.arange(1_000_000, dtype=np.float64)
        chosen["numpy object array"] = lambda: np.array(
            [str(i) * 3 for i in range(100_000)], dtype=object
        )
        chosen["pandas frame (float, object, string, category)"] = lambda: pd.DataFrame(
            {
                "number": np.arange(100_000, dtype=np.float64),
                "object": pd.Series([f"o{i}" for i in range(100_000)], dtype=object),
                "string": pd.array([f"s{i}" for i in range(100_000)], dtype="string"),
                "category": pd.Categorical([("a", "b", "c")[i % 3] for i in range(100_000)]),
            }
        )
    except ImportError:
        pass
    text = "payload-" * 1000
    chosen["one string referenced 10^5 times"] = lambda: [text] * 100_000
    return chosen


def hostile() -> dict[str, Callable[[], Any]]:
    import sizing_truth as t

    return {
        "__sizeof__ raises": lambda: [t.SizeofRaises()],
        "__sizeof__ negative": lambda: [t.SizeofNegative()],
        "__sizeof__ absurd": lambda: [t.SizeofAbsurd()],
        "__getattr__ raises": lambda: [t.GetattrRaises()],
        "__getattr__ returns self": lambda: [t.GetattrSelf()],
        "proxy": lambda: [t.Proxy(list(range(1000))), weakref.proxy(t.Point)],
    }


def tools(peers: dict[str, Any]) -> dict[str, Callable[[Any], int]]:
    chosen: dict[str, Callable[[Any], int]] = {"memlens": sizing.deep_size}
    if "pympler" in peers:
        chosen["pympler"] = peers["pympler"].asizeof.asizeof
    if "objsize" in peers:
        chosen["objsize"] = peers["objsize"].get_deep_size
    if "guppy" in peers:
        heap = peers["guppy"].hpy()
        chosen["guppy3"] = lambda obj: int(heap.iso(obj).domisize)
    return chosen


def correctness(peers: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    measured = []
    sizers = tools(peers)
    import sizing_truth

    for name, factory in cases().items():
        # tracemalloc's count, plus pyarrow's pool (pandas' string columns live there)
        obj, truth = sizing_truth.built(factory)
        row: dict[str, Any] = {"case": name, "truth": truth}
        for tool, size in sizers.items():
            try:
                row[tool] = size(obj) / truth
            except BaseException as error:  # RecursionError and friends
                row[tool] = f"raises {type(error).__name__}"
        measured.append(row)
        del obj
    behaved = []
    for name, factory in hostile().items():
        row = {"case": name}
        for tool, size in sizers.items():
            obj = factory()
            try:
                result = size(obj)
                row[tool] = f"{result} B"
                if tool == "memlens":
                    flags = sizing.measure([[obj]]).roots[0].flags
                    row[tool] += f" {flags}" if flags else ""
            except BaseException as error:
                row[tool] = f"raises {type(error).__name__}"
        behaved.append(row)
    return measured, behaved


# -- a cell during a walk ----------------------------------------------------------------------


# -- output --------------------------------------------------------------------------------------


def table(rows: list[dict[str, Any]], formats: dict[str, str]) -> str:
    columns = list(rows[0])
    for row in rows[1:]:
        columns += [key for key in row if key not in columns]
    lines = ["| " + " | ".join(columns) + " |", "| " + " | ".join("---" for _ in columns) + " |"]
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column, "")
            spec = formats.get(column, "")
            if isinstance(value, float) and not spec:
                spec = ".2f"
            cells.append(
                format(value, spec) if spec and isinstance(value, (int, float)) else str(value)
            )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--latency", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--scale",
        type=int,
        default=0,
        help="only the shared-objects walks at this many floats (issue #9: 30000000)",
    )
    parser.add_argument("--issue9", action="store_true", help="only issue #9's table")
    parser.add_argument(
        "--table-costs", action="store_true", help="only the owners table's steps, per object"
    )
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {platform.platform()}")
    if args.issue9:
        print(table(issue9_rows(), {"truth": ",", "memlens / truth": ".3f"}))
        return
    if args.table_costs:
        print(table(table_costs(), {"ns an object": ".0f"}))
        return
    if args.scale:
        rows = at_scale(args.scale)
        spec = {"objects": ",", "s": ".2f", "M objects/s": ".2f", "cpu s": ".2f"}
        print(table(rows, {**spec, "M objects/cpu s": ".2f"}))
        if args.json:
            args.json.write_text(json.dumps(rows, indent=1))
        return
    peers = ensure_peers()
    versions = {name: getattr(module, "__version__", "?") for name, module in peers.items()}
    print("peers:", versions)
    print("speed (million objects per second, median):")
    fast = speed(args.repeats, peers)
    shown = [
        {k: v / 1e6 if isinstance(v, float) and not k.endswith(" s") else v for k, v in row.items()}
        for row in fast
    ]
    print(table(shown, {"objects": ",", "memlens retained s": ".3f"}))
    print("\nthe walker's own peak memory, bytes per object visited:")
    memory = walker_memory()
    print(table(memory, {}))
    print("\ncorrectness: deep size / bytes tracemalloc saw allocated while building:")
    measured, behaved = correctness(peers)
    print(table(measured, {"truth": ","}))
    print("\nhostile objects:")
    print(table(behaved, {}))
    waits: dict[str, float] = {}
    if args.latency:
        print("\na cell during a walk (ms, median):")
        waits = latency(7)
        for label, value in waits.items():
            print(f"  {label}: {value:,.1f}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "speed": fast,
                    "memory": memory,
                    "correctness": measured,
                    "hostile": behaved,
                    "latency": waits,
                },
                indent=1,
                default=str,
            )
        )


if __name__ == "__main__":
    main()
