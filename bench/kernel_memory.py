"""What ``kernel_memory`` costs and how its parts compare with outside measurements.

One real kernel (installed flavour, bootstrapped, a memlens comm open). For each workload
a cell runs, then ``kernel_memory`` is asked (20 s budget) ``--rounds`` times; printed:
the reply's RSS against psutil's reading of the kernel from outside, the part the
workload should land in against the RSS change psutil saw, and the answer's time
(``elapsed_s``, median). Then ``free_memory trim`` after the fragmenting workload: its
``gave_back`` against the RSS drop psutil saw.

    .venv/bin/python bench/kernel_memory.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import psutil

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests"))

from conftest import make_flavour  # noqa: E402
from harness import Kernel  # noqa: E402

MiB = 1 << 20
WORKLOADS = [
    ("500 MiB numpy array", "import numpy as np\nbig = np.ones(500 * 2**20 // 8)", "variables"),
    (
        "2,000,000 small objects (dicts of a str and a float)",
        "rows = [{'name': str(i), 'value': i / 3} for i in range(2_000_000)]",
        "variables",
    ),
    ("100 MiB pinned by Out", "memoryview(bytearray(100 * 2**20))", "output_cache"),
    (
        "fragmented heap (7 of 8 malloc'd blocks freed)",
        "frag = [b'x' * (1024 + i % 3072) for i in range(200_000)]\nfrag = frag[::8]",
        "allocators_free",
    ),
]


def ask(kernel: Kernel, comm: str, command: str, args: dict[str, Any]) -> dict[str, Any]:
    reply, _ = kernel.ask(comm, command, args, timeout=120)
    assert reply["ok"], reply
    body: dict[str, Any] = reply["body"]
    return body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    print(f"# {platform.platform()}, Python {platform.python_version()}, {psutil.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        kernel = Kernel.start(make_flavour("installed", workdir), workdir)
        try:
            kernel.bootstrap()
            comm, _ = kernel.open_comm()
            process = psutil.Process(kernel.pid)
            for name, code, part in WORKLOADS:
                before = ask(kernel, comm, "kernel_memory", {"budget_ms": 20_000})
                rss_before = process.memory_info().rss
                reply, _ = kernel.execute(code)
                assert reply["status"] == "ok", reply
                rss_after = process.memory_info().rss
                answers = [
                    ask(kernel, comm, "kernel_memory", {"budget_ms": 20_000}) for _ in range(rounds)
                ]
                last = answers[-1]
                grew = last["parts"][part] - before["parts"][part]
                elapsed = statistics.median(a["elapsed_s"] for a in answers)
                print(
                    f"{name}: RSS {last['rss'] / MiB:.1f} MiB (psutil {rss_after / MiB:.1f});"
                    f" {part} +{grew / MiB:.1f} MiB vs RSS change"
                    f" {(rss_after - rss_before) / MiB:+.1f} MiB;"
                    f" answer {elapsed * 1000:.0f} ms (median of {rounds});"
                    f" lower bounds {last['lower_bounds']}"
                )
            rss_before = process.memory_info().rss
            trim = ask(kernel, comm, "free_memory", {"action": "trim"})
            drop = rss_before - process.memory_info().rss
            print(
                f"trim: gave_back {trim['gave_back'] / MiB:.1f} MiB,"
                f" psutil saw RSS drop {drop / MiB:.1f} MiB"
            )
        finally:
            kernel.stop()


if __name__ == "__main__":
    main()
