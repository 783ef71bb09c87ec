"""How fast ``cancel`` stops a running "Complete sizes" walk, and what ``progress`` costs.

One real kernel (installed flavour, bootstrapped, a memlens comm open) holding about 8
million objects (``k_slow``, as in tests/kernel/test_variables_progress.py). Each round
starts a ``variables`` request completing ``k_slow``, waits until ``progress`` says the
walk visited 500,000 objects, times one more ``progress`` round trip, then times
``cancel`` until the walk's reply arrives.

    .venv/bin/python bench/variables_cancel.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests"))
sys.path.insert(0, str(REPO_ROOT / "tests" / "kernel"))

from conftest import make_flavour  # noqa: E402
from harness import Kernel  # noqa: E402
from test_variables_progress import SLOW, _reply, _send, _wait_for_walk  # noqa: E402
from variables_asks import ask_ok  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    print(f"# {platform.platform()}, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        kernel = Kernel.start(make_flavour("installed", workdir), workdir)
        try:
            kernel.bootstrap()
            comm, _ = kernel.open_comm()
            kernel.execute(SLOW, silent=True)
            stops, polls = [], []
            for _ in range(rounds):
                args = {"budget_ms": 600_000, "complete": ["k_slow"]}
                request = _send(kernel, comm, "variables", args)
                _wait_for_walk(kernel, comm, 500_000)
                started = time.monotonic()
                ask_ok(kernel, comm, "progress", {})
                polls.append(time.monotonic() - started)
                started = time.monotonic()
                ask_ok(kernel, comm, "cancel", {"request": request})
                _reply(kernel, comm, request)
                stops.append(time.monotonic() - started)
            print(
                f"cancel to the walk's reply: median {statistics.median(stops) * 1000:.0f} ms,"
                f" max {max(stops) * 1000:.0f} ms ({rounds} rounds)"
            )
            print(
                f"progress round trip during the walk: median"
                f" {statistics.median(polls) * 1000:.0f} ms, max {max(polls) * 1000:.0f} ms"
            )
        finally:
            kernel.stop()


if __name__ == "__main__":
    main()
