"""What one reading of the kernel's live children costs (memlens/cells/children.py).

The sampler reads ``/proc/<pid>/task/*/children`` for each of the kernel's threads and
``statm`` of each descendant every ``CHILDREN_INTERVAL_S`` while a cell runs. This runs
the reading in a process with as many threads as a kernel has (ipykernel 6/7: 8-10),
with 0, 2 and 8 live children, and prints microseconds a reading and the share of one
core it takes at the sampling interval.

    .venv/bin/python bench/children_cost.py
"""

from __future__ import annotations

import platform
import statistics
import subprocess
import sys
import threading
import time

from memlens.cells import children

THREADS = 9
"""Threads besides the main one, as in a kernel with a comm open."""
READINGS = 2000


def per_reading(rounds: int = 5) -> float:
    """Median over ``rounds`` of the mean seconds per reading."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(READINGS):
            children.live_children_rss()
        times.append((time.perf_counter() - started) / READINGS)
    return statistics.median(times)


def main() -> None:
    print(f"python {platform.python_version()}, {platform.platform()}")
    stop = threading.Event()
    threads = [threading.Thread(target=stop.wait, daemon=True) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    interval = children.CHILDREN_INTERVAL_S
    print(f"| live children | µs a reading | share of a core at {interval * 1000:.0f} ms |")
    print("| ---: | ---: | ---: |")
    for count in (0, 2, 8):
        code = "import time; time.sleep(60)"
        procs = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(count)]
        time.sleep(0.5)
        try:
            seconds = per_reading()
        finally:
            for proc in procs:
                proc.kill()
                proc.wait()
        print(f"| {count} | {seconds * 1e6:,.0f} | {seconds / interval:.2%} |")
    stop.set()


if __name__ == "__main__":
    main()
