"""The Variables refresh after a cell that touched nothing: full re-walk vs kept sizes.

One real kernel (installed flavour, bootstrapped, a memlens comm open) holding a namespace
like issue #13's: a frame with two string columns (object dtype), a 500 MB numpy array, a
dict of frames and a merge left as a cell's value (in ``Out``). Each round runs a cell that
touches none of it (``print``), then times a ``variables`` request from send to reply:

- *before*: the kept sizes are forgotten first (as memlens did before), so the request
  walks everything again: with the sidebar's default budget (300 ms; most sizes come back
  as lower bounds) and with no practical budget (600 s; every size exact);
- *after*: the sizes of one complete walk are kept (the default 300 ms budget).

Median of ``--rounds`` rounds each.

    .venv/bin/python bench/variables_kept.py [--rows 2000000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests"))

from conftest import make_flavour  # noqa: E402
from harness import Kernel  # noqa: E402

SETUP = """
import numpy as np, pandas as pd
df = pd.DataFrame({{
    "id": np.arange({rows}),
    "city": pd.Series([("city%d" % (i % 5000)) * 2 for i in range({rows})], dtype=object),
    "name": pd.Series([str(i) * 3 for i in range({rows})], dtype=object),
    "x": np.random.default_rng(0).random({rows}),
}})
big = np.ones(500 * 10**6 // 8)
by_city = {{c: g.copy() for c, g in df.head(50_000).groupby("city")}}
df2 = df[["id", "city"]].copy()
df.merge(df2.head(200_000), on="id")
"""

FORGET = "__import__('memlens.variables.kept', fromlist=['STORE']).STORE.clear()"


def ask(kernel: Kernel, comm: str, budget_ms: int, complete: list[str]) -> tuple[float, Any]:
    started = time.perf_counter()
    reply, _ = kernel.ask(comm, "variables", {"budget_ms": budget_ms, "complete": complete})
    took = time.perf_counter() - started
    assert reply["ok"], reply
    return took, reply["body"]


def untouched_cell(kernel: Kernel) -> None:
    reply, _ = kernel.execute("print('a cell that touches no variable')")
    assert reply["status"] == "ok", reply


def forget(kernel: Kernel) -> None:
    reply, _ = kernel.execute("", silent=True, store_history=False, user_expressions={"f": FORGET})
    assert reply["user_expressions"]["f"]["status"] == "ok", reply


def describe(label: str, runs: list[tuple[float, Any]]) -> None:
    took = statistics.median(t for t, _ in runs) * 1000
    body = runs[-1][1]
    lower = [r["name"] for r in body["rows"] if r["partial"]]
    kept = [r["name"] for r in body["rows"] if "kept_from" in r]
    out = body["output_cache"]
    print(
        f"{label}: {took:.0f} ms (median of {len(runs)}), {body['stats']['objects']:,} objects;"
        f" lower bounds: {lower + (['Out'] if out and out['partial'] else []) or 'none'};"
        f" kept: {kept + (['Out'] if out and 'kept_from' in out else []) or 'none'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    options = parser.parse_args()
    print(f"# {platform.platform()}, Python {platform.python_version()}, {psutil.cpu_count()} CPUs")
    print(f"# {options.rows:,} rows")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        kernel = Kernel.start(make_flavour("installed", workdir), workdir)
        try:
            kernel.bootstrap()
            comm, _ = kernel.open_comm()
            reply, _ = kernel.execute(SETUP.format(rows=options.rows))
            assert reply["status"] == "ok", reply
            names = ["df", "big", "by_city", "df2", "Out"]
            for budget_ms, label in ((300, "before, 300 ms budget"), (600_000, "before, 600 s")):
                runs = []
                for _ in range(options.rounds):
                    untouched_cell(kernel)
                    forget(kernel)
                    runs.append(ask(kernel, comm, budget_ms, []))
                describe(label, runs)
            took, _ = ask(kernel, comm, 600_000, names)
            print(f"one complete walk: {took * 1000:.0f} ms")
            runs = []
            for _ in range(options.rounds):
                untouched_cell(kernel)
                runs.append(ask(kernel, comm, 300, []))
            describe("after, 300 ms budget", runs)
        finally:
            kernel.stop()


if __name__ == "__main__":
    main()
