"""A trivial cell during the walks the red-team pass found slow (issue #12, items 1 and 3).

One real kernel (installed flavour) holds ``zeros = [0] * 10**7``, ``ranged =
list(range(10**7))``, ``lists = [list(range(1000)) for _ in range(16384)]`` and ``small =
[list(range(40)) for _ in range(300_000)]``. For each scenario a request is sent (an
``expand`` of a huge list, or a ``variables`` refresh completing the containers, 10 s
budget), then 150 ms later ``x = 1``; the cell is timed from its execute_request to its
execute_reply (median of ``--rounds``), beside ``x = 1`` alone. The kernel's RSS is
sampled from outside every 5 ms during one request of each scenario run to its end.

    .venv/bin/python bench/latency.py [--rounds 7] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests"))

from conftest import make_flavour  # noqa: E402
from harness import Kernel  # noqa: E402

SETUP = (
    "zeros = [0] * 10**7\n"
    "ranged = list(range(10**7))\n"
    "lists = [list(range(1000)) for _ in range(16384)]\n"
    "small = [list(range(40)) for _ in range(300_000)]\n"
)


def _expand(name: str) -> tuple[str, dict[str, Any]]:
    path = [{"kind": "name", "value": name}]
    return "expand", {"path": path, "offset": 0, "limit": 50, "budget_ms": 10_000}


SCENARIOS = {
    "expand zeros = [0] * 10**7": _expand("zeros"),
    "expand ranged = list(range(10**7))": _expand("ranged"),
    "refresh, 16,384 lists of 1,000": ("variables", {"budget_ms": 10_000, "complete": ["lists"]}),
    "refresh, 300,000 lists of 40": ("variables", {"budget_ms": 10_000, "complete": ["small"]}),
}


def _send(kernel: Kernel, comm: str, command: str, args: dict[str, Any]) -> str:
    request_id = f"{command}-{time.monotonic_ns()}"
    data = {"v": 1, "type": "request", "id": request_id, "command": command, "args": args}
    kernel._send_shell("comm_msg", {"comm_id": comm, "data": data})
    return request_id


def _cell(kernel: Kernel) -> float:
    started = time.perf_counter()
    kernel.execute("x = 1")
    return (time.perf_counter() - started) * 1000


def _rss(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * 4096


def _growth(kernel: Kernel, comm: str, command: str, args: dict[str, Any]) -> tuple[float, float]:
    """(MiB the kernel's RSS rose during the request, seconds the request took)."""
    start = peak = _rss(kernel.pid)
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _rss(kernel.pid))
            time.sleep(0.005)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    started = time.perf_counter()
    kernel.wait_for_reply(comm, _send(kernel, comm, command, args), timeout=120)
    elapsed = time.perf_counter() - started
    done.set()
    thread.join()
    return (peak - start) / (1 << 20), elapsed


def run(rounds: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        kernel = Kernel.start(make_flavour("installed", workdir), workdir)
        try:
            kernel.bootstrap()
            kernel.execute(SETUP, silent=True)
            comm, _ = kernel.open_comm()
            alone = statistics.median(_cell(kernel) for _ in range(3 * rounds))
            results["x = 1 alone (ms)"] = round(alone, 1)
            for label, (command, args) in SCENARIOS.items():
                times = []
                for _ in range(rounds):
                    request = _send(kernel, comm, command, args)
                    time.sleep(0.15)
                    times.append(_cell(kernel))
                    kernel.wait_for_reply(comm, request, timeout=120)
                grew, took = _growth(kernel, comm, command, args)
                results[label] = {
                    "x = 1 during (ms)": round(statistics.median(times), 1),
                    "added (ms)": round(statistics.median(times) - alone, 1),
                    "RSS rise during the request, uninterrupted (MiB)": round(grew, 1),
                    "the request, uninterrupted (s)": round(took, 2),
                }
        finally:
            kernel.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    results = run(args.rounds)
    results["machine"] = f"{platform.platform()}, {platform.python_version()}"
    text = json.dumps(results, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
