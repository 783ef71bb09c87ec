"""The kernel side over a real comm, in every kernel flavour (see conftest.py).

A frontend's view: bootstrap with a silent execute, open a comm on target ``memlens``,
send requests as comm_msg, read replies from iopub.
"""

from __future__ import annotations

import time
from typing import Any

import psutil
import pytest
from conftest import Booted
from harness import Kernel

from memlens import __version__
from memlens.wire.protocol import validate_reply

PROBE_NAMES = [
    "rss",
    "exact_peak",
    "mallinfo2",
    "malloc_trim",
    "psutil",
    "cgroup",
    "tracemalloc",
    "pymalloc",
]
QUIET = {"status"}
"""The only iopub messages a silent bootstrap may cause."""


def close_to(a: int, b: int, *, rel: float, floor: int = 4 << 20) -> bool:
    return abs(a - b) <= max(rel * max(a, b), floor)


# -- the bootstrap ------------------------------------------------------------------------


def test_bootstrap_succeeds_without_output(booted: Booted) -> None:
    for reply, iopub, _ in booted.runs:
        assert reply["status"] == "ok", reply
        assert {m["msg_type"] for m in iopub} <= QUIET, [m["msg_type"] for m in iopub]


def test_bootstrap_leaves_namespace_and_history_alone(booted: Booted) -> None:
    for _, _, after in booted.runs:
        assert after == booted.before
    # The state really was the user's: the names, the output cache and history.
    assert "'x'" in booted.before["names"]
    assert booted.before["_"] == "42"
    assert booted.before["Out"] == "[(2, 42)]"
    assert booted.before["_i"] == "'x + 41'"
    assert booted.before["In"] == "['', 'x = 1', 'x + 41', \"print('hello')\"]"


def test_bootstrap_does_not_move_execution_count(booted: Booted) -> None:
    assert booted.next_count == booted.last_count + 1


def test_bootstrap_source(booted: Booted) -> None:
    names = booted.kernel.evaluate(
        {
            "flag": "getattr(__import__('sys').modules['memlens'], '__memlens_injected__', False)",
            "first": "type(__import__('sys').meta_path[0]).__name__",
            "finders": "sum(getattr(f, 'is_memlens_source_finder', False) "
            "for f in __import__('sys').meta_path)",
        }
    )
    if booted.flavour.name == "installed":
        assert names["flag"] == "False"
        assert names["finders"] == "0"
    else:
        assert names["flag"] == "True"
        assert names["first"] == "'SourceFinder'"
        assert names["finders"] == "1", "running the bootstrap twice installs one finder"


# -- requests -----------------------------------------------------------------------------


def test_hello(booted: Booted, comm_id: str) -> None:
    kernel = booted.kernel
    reply = kernel.request(comm_id, "hello", request_id="hello-1")
    assert validate_reply(reply) == reply
    assert reply["ok"] is True
    body = reply["body"]
    assert body["pid"] == kernel.pid
    assert body["source"] == ("installed" if booted.flavour.name == "installed" else "injected")
    assert body["protocol_version"] == 1
    assert body["memlens_version"] == __version__
    expected_major = "6." if booted.flavour.name == "ipykernel6" else "7."
    assert body["ipykernel_version"].startswith(expected_major)
    assert body["ipython_version"]
    assert body["system"] == "Linux"
    assert [p["name"] for p in body["probes"]] == PROBE_NAMES
    observed = psutil.Process(kernel.pid).memory_info().rss
    assert close_to(body["memory"]["rss"], observed, rel=0.05), (body["memory"], observed)


def test_snapshot(booted: Booted, comm_id: str) -> None:
    kernel = booted.kernel
    reply = kernel.request(comm_id, "snapshot")
    observed = psutil.Process(kernel.pid).memory_info().rss
    assert validate_reply(reply) == reply
    body = reply["body"]
    assert abs(body["time"] - time.time()) < 10
    assert close_to(body["rss"], observed, rel=0.05), (body, observed)
    assert body["rss_peak"] >= body["rss"]


def test_snapshot_follows_the_kernels_memory(booted: Booted, comm_id: str) -> None:
    kernel = booted.kernel
    before = kernel.request(comm_id, "snapshot")["body"]["rss"]
    reply, _ = kernel.execute("_memlens_test_block = b'\\x01' * (100 << 20)", silent=True)
    assert reply["status"] == "ok"
    try:
        after = kernel.request(comm_id, "snapshot")["body"]["rss"]
        assert close_to(after - before, 100 << 20, rel=0.1), (before, after)
    finally:
        kernel.execute("del _memlens_test_block", silent=True)


def malformed(messages: dict[str, Any]) -> list[tuple[str, Any, str, str | None]]:
    """(name, data, error code, id the reply must carry) of each bad request."""
    cases = []
    for entry in messages["invalid"]:
        if entry["kind"] == "request":
            message = entry["message"]
            request_id = message.get("id") if isinstance(message, dict) else None
            if not (isinstance(request_id, str) and 0 < len(request_id) <= 64):
                request_id = None
            cases.append((entry["name"], message, entry["error_code"], request_id))
    huge = "x" * (1 << 20)
    hello = {"v": 1, "type": "request", "command": "hello", "args": {}}
    cases += [
        ("null", None, "bad_request", None),
        ("number", 42, "bad_request", None),
        ("huge string", huge, "bad_request", None),
        ("huge id", {**hello, "id": huge}, "bad_request", None),
        ("huge command", {**hello, "id": "h1", "command": huge}, "unknown_command", "h1"),
        ("command not a string", {**hello, "id": "h2", "command": 7}, "bad_request", "h2"),
        ("boolean version", {**hello, "id": "h3", "v": True}, "protocol_mismatch", "h3"),
        (
            "deeply nested args",
            {**hello, "id": "h4", "args": [[[[[]]]]] * 1000},
            "bad_request",
            "h4",
        ),
        ("empty object", {}, "protocol_mismatch", None),
    ]
    return cases


def test_malformed_requests_get_error_replies(
    booted: Booted, comm_id: str, messages: dict[str, Any]
) -> None:
    kernel = booted.kernel
    for name, data, code, request_id in malformed(messages):
        replies = kernel.send(comm_id, data)
        assert len(replies) == 1, (name, replies)
        reply = replies[0]
        assert validate_reply(reply) == reply, name
        assert reply["ok"] is False, name
        assert reply["error"]["code"] == code, (name, reply)
        assert reply["id"] == request_id, (name, reply)
        assert len(reply["error"]["message"]) < 1000, name
    assert kernel.manager.is_alive()
    assert kernel.request(comm_id, "hello")["ok"] is True
    assert "Traceback" not in kernel.stderr()


@pytest.mark.parametrize(
    ("data", "code"),
    [({"v": 2}, "protocol_mismatch"), ({}, "protocol_mismatch"), ("v1", "bad_request")],
)
def test_bad_open_data_is_answered_and_the_comm_stays_usable(
    booted: Booted, data: Any, code: str
) -> None:
    kernel = booted.kernel
    comm, replies = kernel.open_comm(data)
    assert len(replies) == 1, replies
    assert validate_reply(replies[0]) == replies[0]
    assert replies[0]["id"] is None
    assert replies[0]["error"]["code"] == code
    assert kernel.request(comm, "hello")["ok"] is True
    future = kernel.send(comm, {"v": 2, "type": "request", "id": "f1", "command": "hello"})
    assert [(r["id"], r["error"]["code"]) for r in future] == [("f1", "protocol_mismatch")]
    kernel.close_comm(comm)


def comm_count(kernel: Kernel) -> int:
    expression = "__import__('memlens.wire.comm', fromlist=['comm']).open_comm_count()"
    return int(kernel.evaluate({"n": expression})["n"])


def test_second_comm_and_close(booted: Booted, comm_id: str) -> None:
    kernel = booted.kernel
    count = comm_count(kernel)
    other, replies = kernel.open_comm()
    assert replies == []
    assert comm_count(kernel) == count + 1
    assert kernel.request(other, "hello")["ok"] is True
    assert kernel.request(comm_id, "snapshot")["ok"] is True
    kernel.close_comm(other)
    assert comm_count(kernel) == count
    assert kernel.request(comm_id, "hello")["ok"] is True


@pytest.mark.parametrize("booted", ["installed", "injected"], indirect=True)
def test_requests_on_a_subshell_are_answered_while_a_cell_runs(booted: Booted) -> None:
    """ipykernel 7 runs a subshell's comm messages on another thread, beside the user's cell
    (ipykernel 6 has no subshells).

    A fresh comm: ipykernel 7.4 routes a comm's incoming messages to the subshell it last
    published from, whatever their header says, so a comm once answered from the main
    shell stays there (see memlens/comm.py).
    """
    kernel = booted.kernel
    comm_id, _ = kernel.open_comm()
    subshell = kernel.create_subshell()
    cell = kernel.client.execute(
        "_memlens_blocks = []\n"
        "for _memlens_i in range(40):\n"
        "    _memlens_blocks.append(b'\\x01' * (1 << 20)); __import__('time').sleep(0.05)\n"
        "del _memlens_blocks, _memlens_i",
        silent=True,
    )
    started = time.monotonic()
    rss = []
    for _ in range(10):
        reply = kernel.request(comm_id, "snapshot", subshell_id=subshell)
        assert validate_reply(reply) == reply
        rss.append(reply["body"]["rss"])
        time.sleep(0.1)
    assert kernel.request(comm_id, "hello", subshell_id=subshell)["ok"] is True
    answered = time.monotonic() - started
    assert kernel.shell_reply(cell)["content"]["status"] == "ok"
    finished = time.monotonic() - started
    assert answered < finished - 0.3, (answered, finished)
    assert rss[-1] > rss[0], "the cell allocated while the subshell read"
    kernel.close_comm(comm_id)
