"""Live readings while a cell runs (pushed as events, and the ``live`` request), the
peak-reset setting, and ``%unload_ext`` leaving the process's own peak counters alone
(real kernels)."""

from __future__ import annotations

import ast
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import make_flavour
from harness import Kernel

from memlens.wire.protocol import validate_reply
from memlens.wire.push import validate_event

MiB = 1 << 20
HWM = "int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0]) * 1024"
MAXRSS = "__import__('resource').getrusage(__import__('resource').RUSAGE_SELF).ru_maxrss * 1024"


@pytest.fixture(params=["installed", "injected", "ipykernel6"])
def kernel(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Kernel]:
    started = Kernel.start(make_flavour(request.param, tmp_path), tmp_path)
    try:
        reply, _ = started.bootstrap()
        assert reply["status"] == "ok", reply
        yield started
    finally:
        started.stop()


def _peaks(kernel: Kernel) -> tuple[int, int]:
    values = kernel.evaluate({"hwm": HWM, "maxrss": MAXRSS})
    return int(values["hwm"]), int(values["maxrss"])


GROW_CELL = (
    "import time\nblocks = []\nfor _ in range(40):\n"
    "    blocks.append(b'x' * (8 << 20)); time.sleep(0.075)"
)
"""A cell that grows the kernel by 320 MiB over about 3 s."""


def _events(messages: list[dict[str, Any]], comm_id: str) -> list[tuple[float, dict[str, Any]]]:
    """(arrival time, event) of each ``live`` event on ``comm_id`` among iopub messages."""
    found = []
    for message in messages:
        content = message["content"]
        data = content.get("data") if message["msg_type"] == "comm_msg" else None
        if content.get("comm_id") == comm_id and isinstance(data, dict):
            if data.get("type") == "event":
                found.append((message["arrived"], data))
    return found


def _iopub_while(kernel: Kernel, msg_id: str) -> list[dict[str, Any]]:
    """Every iopub message until ``msg_id``'s idle status, each stamped with its arrival."""
    messages = []
    while True:
        message = kernel.client.get_iopub_msg(timeout=30)
        message["arrived"] = time.monotonic()
        messages.append(message)
        parent = message["parent_header"].get("msg_id")
        if parent == msg_id and message["msg_type"] == "status":
            if message["content"]["execution_state"] == "idle":
                return messages


def test_live_events_while_a_cell_runs(kernel: Kernel) -> None:
    main, _ = kernel.open_comm()
    other, _ = kernel.open_comm()
    reply = kernel.request(main, "configure", {"precise": False, "live": True})
    assert validate_reply(reply) == reply and reply["body"]["live"] is True
    started = time.monotonic()
    msg_id = kernel.send_execute(GROW_CELL, cell_id="cell-live")
    messages = _iopub_while(kernel, msg_id)
    assert kernel.shell_reply(msg_id)["content"]["status"] == "ok"
    events = _events(messages, main)
    assert len(events) >= 3, messages
    for _, event in events:
        assert validate_event(event) == event
    bodies = [event["body"] for _, event in events]
    assert {b["cell_id"] for b in bodies} == {"cell-live"}
    assert all(b["running"] and b["rss_peak"] >= b["rss"] for b in bodies)
    rss = [b["rss"] for b in bodies]
    assert rss == sorted(rss) and rss[-1] - rss[0] >= 100 * MiB, rss
    # At least once a second on screen: the first within a second of the start, then
    # no gap over a second (0.2 s of slack for a loaded machine).
    arrivals = [started] + [arrived for arrived, _ in events]
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:])]
    assert max(gaps) < 1.2, gaps
    # Every open memlens comm gets the same events; none carries a parent (no future of
    # the frontend's takes them for its own).
    assert [e for _, e in _events(messages, other)] == [e for _, e in events]
    ours = [
        m
        for m in messages
        if m["msg_type"] == "comm_msg" and m["content"]["data"].get("type") == "event"
    ]
    assert all(m["parent_header"] == {} for m in ours)
    # The comm still answers at once after the cell (the push did not reroute it).
    assert kernel.request(main, "live")["body"]["running"] is False


def test_no_live_events_unless_asked_or_after_turned_off(kernel: Kernel) -> None:
    comm, _ = kernel.open_comm()
    msg_id = kernel.send_execute(GROW_CELL, cell_id="quiet")
    assert _events(_iopub_while(kernel, msg_id), comm) == []
    kernel.shell_reply(msg_id)
    assert kernel.request(comm, "configure", {"precise": False, "live": True})["body"]["live"]
    reply = kernel.request(comm, "configure", {"precise": False, "live": False})
    assert reply["body"]["live"] is False
    msg_id = kernel.send_execute(GROW_CELL, cell_id="quiet-again")
    assert _events(_iopub_while(kernel, msg_id), comm) == []
    kernel.shell_reply(msg_id)


@pytest.fixture(params=["installed", "injected"])
def kernel7(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Kernel]:
    started = Kernel.start(make_flavour(request.param, tmp_path), tmp_path)
    try:
        reply, _ = started.bootstrap()
        assert reply["status"] == "ok", reply
        yield started
    finally:
        started.stop()


def test_the_live_request_answers_on_a_subshell_while_a_cell_runs(kernel7: Kernel) -> None:
    """ipykernel 7 only: the ``live`` request itself, on a subshell (ipykernel 6 has none;
    the frontend uses the events above on both)."""
    kernel = kernel7
    main, _ = kernel.open_comm()
    idle = kernel.request(main, "live")
    assert validate_reply(idle) == idle
    assert idle["body"]["running"] is False and idle["body"]["limit"] > 0
    # A fresh comm for the subshell: ipykernel 7.4 routes a comm's messages to the subshell
    # it last published from (see test_kernel_comm's subshell test).
    comm, _ = kernel.open_comm()
    subshell = kernel.create_subshell()
    cell = kernel.send_execute(
        "import time\nblocks = []\nfor _ in range(30):\n"
        "    blocks.append(b'x' * (8 << 20)); time.sleep(0.05)",
        cell_id="cell-live",
    )
    readings = []
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        reply = kernel.request(comm, "live", subshell_id=subshell)
        assert validate_reply(reply) == reply
        if reply["body"]["running"]:
            readings.append(reply["body"])
        time.sleep(0.3)
    kernel.shell_reply(cell)
    assert len(readings) >= 3, readings
    assert {r["cell_id"] for r in readings} == {"cell-live"}
    rss = [r["rss"] for r in readings]
    assert rss[-1] - rss[0] >= 48 * MiB, rss
    assert all(r["rss_peak"] >= r["rss"] for r in readings)
    # Readings are fresh: the kernel thread re-reads a few times a second.
    assert all(r["time"] - r["started"] < 3.0 for r in readings)
    assert kernel.request(main, "live")["body"]["running"] is False


def test_the_peak_reset_can_be_turned_off_and_configure_sets_the_guard(kernel: Kernel) -> None:
    comm, _ = kernel.open_comm()
    reply = kernel.request(
        comm, "configure", {"precise": False, "peak_reset": False, "guard_share": 0.9}
    )
    assert validate_reply(reply) == reply
    assert reply["body"] == {"precise": False, "peak_reset": False, "guard_share": 0.9}
    kernel.execute("big = b'x' * (200 << 20)")
    kernel.execute("del big")
    hwm, maxrss = _peaks(kernel)
    reply, _ = kernel.execute("small = 1")
    after_hwm, after_maxrss = _peaks(kernel)
    assert after_hwm >= hwm >= 200 * MiB and after_maxrss >= maxrss >= 200 * MiB
    records = kernel.request(comm, "cells", {"after": 0})["body"]["records"]
    assert records[-1]["peak_method"] == "sampled"
    reply = kernel.request(comm, "configure", {"precise": False, "guard_share": None})
    assert reply["body"] == {"precise": False, "guard_share": None}


def test_after_unload_the_peak_counters_are_the_process_s_own(kernel: Kernel) -> None:
    reply, _ = kernel.execute("%load_ext memlens")
    assert reply["status"] == "ok"
    kernel.execute("big = b'x' * (200 << 20)")
    kernel.execute("del big")
    hwm_before, _ = _peaks(kernel)
    kernel.execute("x = 1")
    hwm_reset, _ = _peaks(kernel)
    assert hwm_reset < hwm_before - 100 * MiB, "loaded: memlens resets VmHWM at each cell"
    kernel.execute("%unload_ext memlens")
    kernel.execute("big = b'x' * (200 << 20)")
    kernel.execute("del big")
    seen = [_peaks(kernel)]
    for _ in range(3):
        reply, iopub = kernel.execute("y = 2")
        assert "[memlens]" not in kernel.stream_text(iopub)
        seen.append(_peaks(kernel))
    hwms = [hwm for hwm, _ in seen]
    assert hwms == sorted(hwms) and hwms[0] >= 200 * MiB, hwms
    assert kernel.evaluate({"n": "len(__import__('memlens').cell_records())"})["n"] == "0"
    hooks = kernel.evaluate(
        {
            "n": "sum(getattr(getattr(c, '__self__', None), 'is_memlens_recorder', False) "
            "for c in get_ipython().events.callbacks['pre_run_cell'])"
        }
    )
    assert hooks["n"] == "0"


def test_last_exit_over_the_comm_is_null_for_a_fresh_kernel(kernel: Kernel) -> None:
    comm, _ = kernel.open_comm()
    reply = kernel.request(comm, "last_exit")
    assert validate_reply(reply) == reply
    assert reply["body"] == {"report": None}
    assert (
        ast.literal_eval(kernel.evaluate({"e": "__import__('memlens').last_exit()"})["e"]) is None
    )
