"""Completion in the background (issue #13), over a real comm in every flavour: ``progress``
reports a running walk's objects and time while it runs, ``cancel`` stops it at once and
the kernel answers the next request, and what a walk finished before a cell started
survives that cell (its variables keep their exact sizes).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from conftest import Booted
from harness import Kernel
from variables_asks import ask_ok, names

from memlens.wire.protocol import validate_reply

SLOW = "k_slow = [(i, str(i), float(i)) for i in range(2_000_000)]"
"""About 8 million objects: a walk of a second or more."""


def _send(kernel: Kernel, comm_id: str, command: str, args: dict[str, Any]) -> str:
    """Send a request without waiting for its reply; return its id."""
    request_id = uuid.uuid4().hex[:12]
    data = {"v": 1, "type": "request", "id": request_id, "command": command, "args": args}
    kernel.client.shell_channel.send(
        kernel.client.session.msg("comm_msg", {"comm_id": comm_id, "data": data})
    )
    return request_id


def _reply(kernel: Kernel, comm_id: str, request_id: str) -> Any:
    reply = kernel.wait_for_reply(comm_id, request_id)["content"]["data"]
    assert validate_reply(reply) == reply
    assert reply["ok"] is True, reply
    return reply["body"]


def _wait_for_walk(kernel: Kernel, comm_id: str, objects: int) -> list[dict[str, Any]]:
    """Poll ``progress`` until the running walk has visited ``objects``; every answer."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body = ask_ok(kernel, comm_id, "progress", {})
        seen.append(body)
        if body["running"] and body["objects"] >= objects:
            return seen
        time.sleep(0.05)
    raise AssertionError(f"the walk never reached {objects} objects: {seen[-3:]}")


def test_progress_grows_and_cancel_stops_the_walk(booted: Booted, comm_id: str) -> None:
    kernel = booted.kernel
    kernel.execute(SLOW, silent=True)
    try:
        idle = ask_ok(kernel, comm_id, "progress", {})
        assert idle["running"] is False and idle["request"] is None
        request = _send(
            kernel, comm_id, "variables", {"budget_ms": 600_000, "complete": ["k_slow"]}
        )
        seen = _wait_for_walk(kernel, comm_id, 1_000_000)
        running = [body for body in seen if body["running"]]
        assert running and all(body["request"] == request for body in running), seen
        assert all(body["command"] == "variables" for body in running)
        counts = [body["objects"] for body in running]
        assert counts == sorted(counts) and counts[-1] >= 1_000_000, counts
        times = [body["elapsed_ms"] for body in running]
        assert times == sorted(times) and times[-1] > 0, times

        assert ask_ok(kernel, comm_id, "cancel", {"request": "not-this-one"}) == {
            "cancelled": False
        }
        started = time.monotonic()
        assert ask_ok(kernel, comm_id, "cancel", {"request": request}) == {"cancelled": True}
        body = _reply(kernel, comm_id, request)
        stopped_in = time.monotonic() - started
        assert stopped_in < 0.2, stopped_in
        row = names(body)["k_slow"]
        assert row["partial"] is True and "interrupted" in row["flags"], row
        assert body["partial"] is True
        # The kernel answers the next request, and nothing runs any more.
        assert ask_ok(kernel, comm_id, "progress", {})["running"] is False
        small = ask_ok(kernel, comm_id, "variables", {"budget_ms": 50, "complete": []})
        assert "k_slow" in names(small)
    finally:
        kernel.execute("del k_slow", silent=True)


def test_what_a_walk_finished_survives_the_next_cell(booted: Booted, comm_id: str) -> None:
    kernel = booted.kernel
    code = (
        "k_first = [str(i) for i in range(200_000)]\n"
        "k_second = {i: str(i) for i in range(100_000)}\n" + SLOW
    )
    kernel.execute(code, silent=True)
    try:
        wanted = ["k_first", "k_second", "k_slow"]
        request = _send(kernel, comm_id, "variables", {"budget_ms": 600_000, "complete": wanted})
        # k_first and k_second are walked first (smaller), then k_slow.
        _wait_for_walk(kernel, comm_id, 1_000_000)
        reply, _ = kernel.execute("k_cell = 1")  # a cell starts: the walk stops
        assert reply["status"] == "ok", reply
        cut = names(_reply(kernel, comm_id, request))
        assert cut["k_slow"]["partial"] is True and "interrupted" in cut["k_slow"]["flags"]
        assert cut["k_first"]["partial"] is False and cut["k_second"]["partial"] is False

        after = names(ask_ok(kernel, comm_id, "variables", {"budget_ms": 5, "complete": []}))
        truth = kernel.evaluate(
            {n: f"__import__('memlens').deep_size({n})" for n in ("k_first", "k_second")}
        )
        for name in ("k_first", "k_second"):
            row = after[name]
            assert row["partial"] is False and "kept_from" in row, row
            assert row["deep"] == int(truth[name]), (row, truth[name])
    finally:
        kernel.execute("del k_first, k_second, k_slow, k_cell", silent=True)
