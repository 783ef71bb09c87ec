"""What ``live`` events cost a running cell: a heavy cell with and without them.

Starts a real kernel (this Python's ipykernel, memlens installed from the repository, or
``--python`` for another environment's), loads memlens as the frontend does, opens a comm,
and runs the same CPU-bound cell in alternating pairs: live events off, then on
(``configure`` ``live``). Prints the median wall time of each, their ratio, and how many
events a cell got. Run from the repository root::

    .venv/bin/python bench/live_push.py --pairs 8
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent / "tests")]

from harness import Flavour, Kernel  # noqa: E402

HEAVY = "s = 0\nfor i in range(12_000_000):\n    s += i * i"
"""About a second of pure Python on a 2-core VM: the GIL is what a push competes for."""


def timed(kernel: Kernel, comm: str) -> tuple[float, int]:
    """Wall seconds of one heavy cell, and how many live events arrived on ``comm``."""
    start = time.perf_counter()
    msg_id = kernel.send_execute(HEAVY, cell_id="bench")
    kernel.shell_reply(msg_id)
    elapsed = time.perf_counter() - start
    messages = kernel._iopub_until_idle(msg_id) + kernel.pending
    kernel.pending.clear()
    events = sum(
        1
        for m in messages
        if m["msg_type"] == "comm_msg"
        and m["content"].get("comm_id") == comm
        and m["content"]["data"].get("type") == "event"
    )
    return elapsed, events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=8)
    parser.add_argument("--python", default=sys.executable)
    options = parser.parse_args()
    workdir = Path(tempfile.mkdtemp())
    flavour = Flavour("bench", options.python, memlens_on_path=True, hide_memlens=False)
    kernel = Kernel.start(flavour, workdir)
    try:
        kernel.bootstrap()
        comm, _ = kernel.open_comm()
        timed(kernel, comm)  # warm up
        off, on, events = [], [], []
        for _ in range(options.pairs):
            kernel.request(comm, "configure", {"precise": False, "live": False})
            off.append(timed(kernel, comm)[0])
            kernel.request(comm, "configure", {"precise": False, "live": True})
            seconds, count = timed(kernel, comm)
            on.append(seconds)
            events.append(count)
        median_off, median_on = statistics.median(off), statistics.median(on)
        print(f"heavy cell, live events off: median {median_off:.3f} s (best {min(off):.3f})")
        print(f"heavy cell, live events on:  median {median_on:.3f} s (best {min(on):.3f})")
        print(f"ratio on/off: median {median_on / median_off:.3f}, best {min(on) / min(off):.3f}")
        print(f"events per cell: {events}")
    finally:
        kernel.stop()


if __name__ == "__main__":
    main()
