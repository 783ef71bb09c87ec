"""What recording costs a cell: memlens beside a bare kernel and its peers, in one run.

Starts one real ipykernel per configuration and times each cell as a frontend sees it,
from sending the execute_request to receiving the execute_reply:

- ``bare``: no memlens.
- ``memlens``: bootstrapped as JupyterLab does (default mode, exact peak included).
- ``memlens-precise``: the same with precise (tracemalloc) mode on.
- ``tracemalloc``: a bare pre/post_run_cell pair that starts tracing, calls
  ``reset_peak()`` and reads ``get_traced_memory()`` (what a tracemalloc-based tool does).
- ``ipython_memory_usage``: the peer (``%load_ext ipython_memory_usage``, ``%imu_start``),
  installed with pip into a scratch directory if it is not importable.

500 trivial cells (``x = 1``) and a few heavy ones
(``heavy = [i + 0.5 for i in range(1_000_000)]``) per configuration, interleaved in
blocks of ten cells across the kernels so that background load falls on all of them alike. Then the
raw costs of memlens' probes, timed inside the memlens kernel.

    .venv/bin/python bench/cell_overhead.py [--cells 500] [--heavy 7] [--json out.json]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests"))

from harness import Flavour, Kernel  # noqa: E402

TRIVIAL = "x = 1"
HEAVY = "heavy = [i + 0.5 for i in range(1_000_000)]"
BLOCK = 10
PEERS_DIR = Path(tempfile.gettempdir()) / "memlens-bench-peers"

TRACEMALLOC_HOOKS = """
import tracemalloc
ip = get_ipython()
def pre(info):
    if not tracemalloc.is_tracing():
        tracemalloc.start()
    tracemalloc.reset_peak()
def post(result):
    tracemalloc.get_traced_memory()
ip.events.register("pre_run_cell", pre)
ip.events.register("post_run_cell", post)
"""

PROBE_TIMING = """
import time
from memlens.cells import recorder
from memlens.probes import allocators, process
from memlens import sizing
from memlens.wire import comm

def per_call(fn, n):
    fn()
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return round((time.perf_counter() - start) / n * 1e6, 2)

rec = recorder.current()

class Info:
    raw_cell = "x = 1"
    cell_id = None

class Result:
    execution_count = None
    success = True

def hooks():
    rec.pre_run_cell(Info)
    rec.post_run_cell(Result)

def request(after):
    return {"v": 1, "type": "request", "id": "b", "command": "cells", "args": {"after": after}}

results = {
    "VmRSS + VmHWM (pread /proc/self/status)": per_call(process.rss_and_hwm, 5000),
    "read + reset VmHWM (clear_refs)": per_call(process.read_and_reset_hwm, 5000),
    "RSS from /proc/self/statm (sampler)": per_call(process.statm_rss, 5000),
    "glibc mallinfo2()": per_call(allocators.heap_counters, 5000),
    "pymalloc report (_PyObject_DebugMallocStats)": per_call(allocators.pymalloc_stats, 500),
    "deep_size(small int)": per_call(lambda: sizing.deep_size(42), 5000),
    "pre_run_cell + post_run_cell (recorder only)": per_call(hooks, 2000),
}
last = rec.cells(0)["last_seq"]
results["cells request, nothing new (decode, validate, encode)"] = per_call(
    lambda: comm.handle(request(last)), 2000
)
results["cells request, full history of %d records" % len(rec.records())] = per_call(
    lambda: comm.handle(request(0)), 20
)
"""


def evaluate_code(code: str) -> str:
    """A user expression that runs ``code`` in a throwaway namespace, returning ``results``."""
    return f"(lambda ns: (exec({code!r}, ns), ns['results'])[1])({{}})"


def silent(kernel: Kernel, code: str) -> None:
    reply, _ = kernel.execute(code, silent=True, store_history=False)
    if reply["status"] != "ok":
        raise RuntimeError(f"{code[:60]!r} failed: {reply}")


def run(kernel: Kernel, code: str) -> None:
    reply, _ = kernel.execute(code)
    if reply["status"] != "ok":
        raise RuntimeError(f"{code[:60]!r} failed: {reply}")


def timed(kernel: Kernel, code: str) -> float:
    """Seconds from sending an execute_request to receiving its execute_reply."""
    start = time.perf_counter()
    msg_id = kernel.send_execute(code)
    reply = kernel.shell_reply(msg_id)
    elapsed = time.perf_counter() - start
    kernel._iopub_until_idle(msg_id)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"{code!r} failed: {reply['content']}")
    return elapsed


def peers_path() -> str | None:
    """A directory holding ipython_memory_usage, installed there by pip if need be."""
    probe = [sys.executable, "-c", "import ipython_memory_usage, memory_profiler"]
    if subprocess.run(probe, capture_output=True).returncode == 0:
        return ""
    if not (PEERS_DIR / "ipython_memory_usage").is_dir():
        command = [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(PEERS_DIR),
            "ipython_memory_usage",
            "memory_profiler",
        ]
        if subprocess.run(command, capture_output=True).returncode != 0:
            return None
    return str(PEERS_DIR)


def start(name: str, workdir: Path, peers: str | None) -> Kernel:
    directory = workdir / name
    directory.mkdir()
    flavour = Flavour(name, sys.executable, memlens_on_path=True, hide_memlens=False)
    kernel = Kernel.start(flavour, directory)
    if name.startswith("memlens"):
        reply, _ = kernel.bootstrap()
        assert reply["status"] == "ok", reply
        comm, _ = kernel.open_comm()
        if name == "memlens-precise":
            assert kernel.request(comm, "configure", {"precise": True})["body"]["precise"]
    elif name == "tracemalloc":
        silent(kernel, f"exec({TRACEMALLOC_HOOKS!r}, {{'get_ipython': get_ipython}})")
    elif name == "ipython_memory_usage":
        if peers:
            silent(kernel, f"__import__('sys').path.insert(0, {peers!r})")
        run(kernel, "%load_ext ipython_memory_usage")
        run(kernel, "%imu_start")
    return kernel


def machine() -> dict[str, str]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = subprocess.run(
        [
            sys.executable,
            "-c",
            "import IPython, ipykernel, jupyter_client; "
            "print(ipykernel.__version__, IPython.__version__, jupyter_client.__version__)",
        ],
        capture_output=True,
        text=True,
    ).stdout.split()
    return {
        "uname": " ".join(platform.uname()),
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "python": sys.version.split()[0],
        "glibc": " ".join(platform.libc_ver()),
        "ipykernel": versions[0] if versions else "",
        "ipython": versions[1] if len(versions) > 1 else "",
        "jupyter_client": versions[2] if len(versions) > 2 else "",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cells", type=int, default=500, help="trivial cells per kernel")
    parser.add_argument("--heavy", type=int, default=15, help="heavy cells per kernel")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument(
        "--only", nargs="*", help="configurations to run besides bare (default: all)"
    )
    options = parser.parse_args(argv)

    peers = peers_path()
    names = ["bare", "memlens", "memlens-precise", "tracemalloc"]
    if peers is not None:
        names.append("ipython_memory_usage")
    if options.only:
        names = ["bare", *(name for name in names if name in options.only)]
    began = time.perf_counter()
    kernels: dict[str, Kernel] = {}
    trivial: dict[str, list[float]] = {name: [] for name in names}
    heavy: dict[str, list[float]] = {name: [] for name in names}
    try:
        with tempfile.TemporaryDirectory(prefix="memlens-bench-") as scratch:
            for name in names:
                kernels[name] = start(name, Path(scratch), peers)
            for name in names:
                for _ in range(options.warmup):
                    timed(kernels[name], TRIVIAL)
            for _ in range(0, options.cells, BLOCK):
                for name in names:
                    trivial[name] += [timed(kernels[name], TRIVIAL) for _ in range(BLOCK)]
            for _ in range(options.heavy):
                for name in names:
                    heavy[name].append(timed(kernels[name], HEAVY))
            result = kernels["memlens"].evaluate({"r": evaluate_code(PROBE_TIMING)})["r"]
            probe_costs: dict[str, float] = ast.literal_eval(result)
    finally:
        for kernel in kernels.values():
            kernel.stop()

    base_trivial = statistics.median(trivial["bare"])
    base_heavy = statistics.median(heavy["bare"])
    base_heavy_min = min(heavy["bare"])
    rows = []
    for name in names:
        med = statistics.median(trivial[name])
        heavy_med = statistics.median(heavy[name])
        rows.append(
            {
                "config": name,
                "trivial_median_ms": round(med * 1e3, 3),
                "trivial_p90_ms": round(statistics.quantiles(trivial[name], n=10)[-1] * 1e3, 3),
                "added_ms": round((med - base_trivial) * 1e3, 3),
                "heavy_median_s": round(heavy_med, 4),
                "heavy_ratio": round(heavy_med / base_heavy, 3),
                "heavy_min_s": round(min(heavy[name]), 4),
                "heavy_min_ratio": round(min(heavy[name]) / base_heavy_min, 3),
            }
        )
    report = {
        "command": "python bench/cell_overhead.py " + " ".join(argv or sys.argv[1:]),
        "machine": machine(),
        "cells": options.cells,
        "heavy_cells": options.heavy,
        "configs": rows,
        "probe_costs_us": probe_costs,
        "ipython_memory_usage": "measured" if peers is not None else "not installable",
        "seconds": round(time.perf_counter() - began, 1),
    }

    print(f"# {options.cells} x `{TRIVIAL}`, {options.heavy} x `{HEAVY}`\n")
    print(
        "| config | trivial median ms | p90 ms | added ms (median) "
        "| heavy median s | heavy ratio (median) | heavy best s | heavy ratio (best) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(
            f"| {row['config']} | {row['trivial_median_ms']:.3f} | {row['trivial_p90_ms']:.3f} "
            f"| {row['added_ms']:+.3f} | {row['heavy_median_s']:.3f} | {row['heavy_ratio']:.3f} "
            f"| {row['heavy_min_s']:.3f} | {row['heavy_min_ratio']:.3f} |"
        )
    print("\n| probe (in the memlens kernel) | µs per call |\n| --- | ---: |")
    for probe, cost in probe_costs.items():
        print(f"| {probe} | {cost:.2f} |")
    print("\n" + json.dumps(report["machine"], indent=2))
    print(f"\n{report['seconds']} s")
    if options.json:
        options.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
