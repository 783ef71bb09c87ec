"""``bench/sizing.py --latency``: how long a cell sent right after a ``variables`` request
waits in a real kernel (baseline; memlens as shipped; without the walk's pauses)."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))


def latency(rounds: int) -> dict[str, float]:
    """Median ms of ``x = 1`` alone, and sent 150 ms into a 10 s ``variables`` walk."""
    from conftest import make_flavour
    from harness import Kernel

    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        kernel = Kernel.start(make_flavour("installed", workdir), workdir)
        try:
            kernel.bootstrap()
            kernel.execute(
                "table = {str(i): [i * 0.5, str(i), (i, i + 1)] for i in range(1_000_000)}"
            )
            comm, _ = kernel.open_comm()

            def cell() -> float:
                started = time.perf_counter()
                kernel.execute("x = 1")
                return (time.perf_counter() - started) * 1000

            results["x = 1 alone"] = statistics.median(cell() for _ in range(3 * rounds))
            for label, pause in (
                ("during a walk (as shipped)", "0.002"),
                ("during a walk, no pauses", "None"),
            ):
                kernel.execute(
                    f"import memlens.wire.comm; memlens.wire.comm.PAUSE_EVERY_S = {pause}",
                    silent=True,
                )
                times = []
                for n in range(rounds):
                    request = f"walk-{n}-{pause}"
                    data = {
                        "v": 1,
                        "type": "request",
                        "id": request,
                        "command": "variables",
                        "args": {"budget_ms": 10_000, "complete": ["table"]},
                    }
                    kernel._send_shell("comm_msg", {"comm_id": comm, "data": data})
                    time.sleep(0.15)
                    times.append(cell())
                    kernel.wait_for_reply(comm, request)
                results[label] = statistics.median(times)
            kernel.execute("memlens.wire.comm.PAUSE_EVERY_S = 0.002", silent=True)
            started = time.perf_counter()
            reply, _ = kernel.ask(comm, "variables", {"budget_ms": 10_000, "complete": ["table"]})
            results["the full walk of that namespace (ms)"] = (time.perf_counter() - started) * 1000
            results["objects in it"] = reply["body"]["stats"]["objects"]
        finally:
            kernel.stop()
    return results
