"""``variables`` and ``expand`` over a real comm under the walker's memory cap, and how long
a cell waits while a walk runs.

The replies come from memlens' background thread, after the comm_msg's idle status, so
they are awaited by request id (``Kernel.ask``).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Booted, make_flavour
from harness import Kernel
from variables_asks import ask_ok, names

from memlens.sizing import CHUNK
from memlens.wire.protocol import validate_reply

# -- the cap on the walker's own memory (the setting "Variables: memory cap (MiB)") ----------

CAP = 4 << 20
"""A cap the walk over ``crowded`` reaches midway: sizing it whole takes ~6 MiB, and the
walker's estimate passes ~2 MiB at its first chunk of ``shared`` (its table of shared
objects is a dict until then), so it stops well after that and well before the end."""

STEP_BYTES = 32 * CHUNK
"""What one step of the walk may add to its estimate of its own memory (sizing's
``_check``), its table of shared objects being in the memory map: 8 bytes of stack for
each of the referents of a chunk of a big container, and the map's pages for the
chunk's objects (lying close together, as here). Seen: up to ~300 KiB."""

TINY_CAP = 64 << 10
"""Less than the walker's table takes before it reaches any variable."""


@pytest.fixture
def crowded(booted: Booted) -> Iterator[Kernel]:
    """600,000 objects with two referrers each, which the walker must remember."""
    kernel = booted.kernel
    code = (
        "table = {str(i): [i * 0.5, str(i)] for i in range(300_000)}\nshared = list(table.values())"
    )
    reply, _ = kernel.execute(code, silent=True)
    assert reply["status"] == "ok", reply
    yield kernel
    kernel.execute("del table, shared", silent=True)


def test_a_memory_cap_stops_the_walk(booted: Booted, comm_id: str, crowded: Kernel) -> None:
    args = {"budget_ms": 20_000, "complete": []}
    body = ask_ok(crowded, comm_id, "variables", {**args, "cap_bytes": CAP})
    stats = body["stats"]
    assert stats["capped"] is True, stats
    assert body["partial"] is True
    rows = names(body)
    for name in ("table", "shared"):
        assert rows[name]["partial"] is True, rows[name]
        assert "capped" in rows[name]["flags"], rows[name]
        assert "budget" not in rows[name]["flags"], rows[name]
    # It stopped at the first check past its cap.
    assert CAP < stats["walker_peak_bytes"] <= CAP + STEP_BYTES, stats

    whole = ask_ok(crowded, comm_id, "variables", args)
    assert whole["stats"]["capped"] is False, whole["stats"]
    assert whole["partial"] is False
    rows = names(whole)
    for name in ("table", "shared"):
        assert rows[name]["partial"] is False and rows[name]["flags"] == [], rows[name]
    assert whole["stats"]["walker_peak_bytes"] > CAP + STEP_BYTES, whole["stats"]
    assert stats["objects"] < whole["stats"]["objects"] / 2, (stats, whole["stats"])

    null = ask_ok(crowded, comm_id, "variables", {**args, "cap_bytes": None})
    assert null["stats"]["capped"] is False, null["stats"]
    # Nothing changed since the complete walk: its sizes are kept, no walk, no cap reached.
    kept = ask_ok(crowded, comm_id, "variables", {**args, "cap_bytes": TINY_CAP})
    assert kept["stats"]["capped"] is False and kept["stats"]["objects"] == 0, kept["stats"]
    for name in ("table", "shared"):
        row = names(kept)[name]
        assert "kept_from" in row and row["deep"] == rows[name]["deep"], row

    # New objects (the same data): walked again, and the tiny cap stops that walk.
    crowded.execute("table = dict(table)\nshared = list(shared)", silent=True)
    tiny = ask_ok(crowded, comm_id, "variables", {**args, "cap_bytes": TINY_CAP})
    assert tiny["stats"]["capped"] is True, tiny["stats"]
    assert all("capped" in names(tiny)[name]["flags"] for name in ("table", "shared"))


def test_a_memory_cap_applies_to_expand(booted: Booted, comm_id: str, crowded: Kernel) -> None:
    """Expanding walks the rest of the namespace too (for retained sizes): under a tiny
    cap that walk stops, and the page is partial."""
    args = {"path": [{"kind": "name", "value": "shared"}], "offset": 0, "limit": 10}
    page = ask_ok(crowded, comm_id, "expand", {**args, "budget_ms": 20_000, "cap_bytes": TINY_CAP})
    assert page["partial"] is True, page
    assert len(page["children"]) == 10
    page = ask_ok(crowded, comm_id, "expand", {**args, "budget_ms": 20_000})
    assert page["partial"] is False, page


@pytest.mark.parametrize("command", ["variables", "expand"])
@pytest.mark.parametrize("cap", [0, -1, 65536.5, True, "65536", [65536]])
def test_a_bad_memory_cap_gets_an_error_reply(
    booted: Booted, comm_id: str, command: str, cap: Any
) -> None:
    kernel = booted.kernel
    args: dict[str, Any] = {"budget_ms": 500, "cap_bytes": cap}
    if command == "variables":
        args["complete"] = []
    else:
        args.update(path=[{"kind": "name", "value": "x"}], offset=0, limit=10)
    reply = kernel.request(comm_id, command, args)  # refused at once, not in the background
    assert validate_reply(reply) == reply
    assert reply["ok"] is False
    assert reply["error"]["code"] == "bad_request"
    assert "cap_bytes" in reply["error"]["message"], reply["error"]
    assert kernel.manager.is_alive()
    assert kernel.request(comm_id, "hello")["ok"] is True
    assert "Traceback" not in kernel.stderr()


# -- the next cell does not wait --------------------------------------------------------------


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Kernel, str]]:
    """A kernel of its own (installed flavour) holding ~4 million objects, with a comm."""
    workdir = tmp_path_factory.mktemp("kernel-loaded")
    kernel = Kernel.start(make_flavour("installed", workdir), workdir)
    try:
        kernel.bootstrap()
        code = "table = {str(i): [i * 0.5, str(i), (i, i + 1)] for i in range(1_000_000)}"
        reply, _ = kernel.execute(code)
        assert reply["status"] == "ok"
        comm, _ = kernel.open_comm()
        yield kernel, comm
    finally:
        kernel.stop()


def cell_time(kernel: Kernel, code: str = "x = 1") -> float:
    started = time.perf_counter()
    reply, _ = kernel.execute(code)
    assert reply["status"] == "ok"
    return time.perf_counter() - started


def test_a_cell_right_after_a_variables_request_does_not_wait(
    loaded: tuple[Kernel, str], tmp_path: Path
) -> None:
    """A request that would walk for seconds, then a cell: the cell is answered about as
    fast as without the walk, and the walk stops for it (its rows are ``interrupted``)."""
    kernel, comm = loaded
    baseline = statistics.median(cell_time(kernel) for _ in range(10))
    delays = []
    for _ in range(5):
        args = {"budget_ms": 10_000, "complete": ["table"]}
        request_id = f"walk-{time.monotonic_ns()}"
        data = {"v": 1, "type": "request", "id": request_id, "command": "variables", "args": args}
        kernel._send_shell("comm_msg", {"comm_id": comm, "data": data})
        time.sleep(0.15)  # the walk is well under way
        delays.append(cell_time(kernel))
        reply = kernel.wait_for_reply(comm, request_id)["content"]["data"]
        assert validate_reply(reply) == reply
        row = names(reply["body"])["table"]
        assert row["partial"] is True and "interrupted" in row["flags"], row
    delay = statistics.median(delays)
    report = os.environ.get("MEMLENS_LATENCY_REPORT")
    if report:
        text = f"baseline {baseline * 1000:.1f} ms, during a walk {delay * 1000:.1f} ms\n"
        Path(report).write_text(text)
    assert delay - baseline < 0.05, (baseline, delays)


def test_the_walk_finishes_when_no_cell_comes(loaded: tuple[Kernel, str]) -> None:
    kernel, comm = loaded
    body = ask_ok(kernel, comm, "variables", {"budget_ms": 10_000, "complete": ["table"]})
    row = names(body)["table"]
    assert row["partial"] is False and row["flags"] == []
    assert body["stats"]["objects"] > 5_000_000
    assert body["stats"]["walker_peak_bytes"] < 40 * body["stats"]["objects"]
