"""Issue #12, item 9 and the rest of the red-team pass kept as a test: a few thousand
fuzzed messages (fixed seed) on a real comm, in every kernel flavour. Every message gets
exactly one reply, nothing lands in the user's streams, and the user's state is unchanged.
"""

from __future__ import annotations

import copy
import random
from collections import Counter
from typing import Any

from conftest import Booted
from harness import TIMEOUT

from memlens.wire.protocol import MAX_ID_LENGTH, validate_reply

SEED = 12
COUNT = 3000
MAX_REPLY_CHARS = 20_000
"""No reply may be bigger than this: echoed request data is clipped."""


def _value(rng: random.Random, depth: int = 0) -> Any:
    """A random JSON value: the odd ones (huge, negative, nested, wrong type) often."""
    choice = rng.randrange(14 if depth < 2 else 9)
    if choice == 0:
        return None
    if choice == 1:
        return rng.choice([True, False])
    if choice == 2:
        return rng.choice([0, 1, -1, 7, 2**31, 2**63, -(2**70), 10**30])
    if choice == 3:
        return rng.choice([0.5, -0.0, 1e308, -1e308, 3.0, 1e-300])
    if choice == 4:
        return rng.choice(["", "x", "hello", "variables", "expand", "\u0000", "\ud7ff" * 3])
    if choice == 5:
        return "y" * rng.choice([65, 1000, 200_000])
    if choice == 6:
        return rng.choice(["x", "y", "In", "Out", "_", "__class__", "get_ipython"])
    if choice == 7:
        return rng.randrange(-5, 2000)
    if choice == 8:
        return [{"kind": "name", "value": rng.choice(["x", "y", "Out"])}]
    if choice in (9, 10):
        return [_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    return {rng.choice(["kind", "value", "index", "a", "v"]): _value(rng, depth + 1)}


def _mutate(rng: random.Random, base: dict[str, Any], index: int) -> Any:
    message = copy.deepcopy(base)
    message["id"] = f"f{index}"
    for _ in range(rng.randrange(1, 4)):
        how = rng.randrange(8)
        if how == 0:
            return _value(rng)  # not a request at all
        target = message
        if how >= 4 and isinstance(message.get("args"), dict) and message["args"]:
            target = message["args"]
        keys = list(target) or ["args"]
        key = rng.choice(keys)
        if how in (1, 4):
            target[key] = _value(rng)
        elif how in (2, 5):
            target.pop(key, None)
        elif how == 6:
            target[rng.choice(["extra", "path", "budget_ms", "cap_bytes", "limit"])] = _value(rng)
        else:
            message["command"] = rng.choice([["variables"], {"expand": 1}, "expan", 3, None])
    return message


def _directed() -> list[Any]:
    """The red-team pass's findings, always among the messages."""
    huge = "y" * 200_000
    path = [{"kind": "name", "value": huge}]
    expand = {"path": path, "offset": 0, "limit": 5, "budget_ms": 100}
    return [
        {"v": 1, "type": "request", "id": "d1", "command": ["variables"], "args": {}},
        {"v": 1, "type": "request", "id": "d2", "command": {"expand": 1}, "args": {}},
        {"v": 1, "type": "request", "id": "d3", "command": "expand", "args": expand},
        {
            "v": 1,
            "type": "request",
            "id": "d4",
            "command": "variables",
            "args": {"budget_ms": 1e308, "complete": []},
        },
        {
            "v": 1,
            "type": "request",
            "id": "d5",
            "command": "variables",
            "args": {"budget_ms": 10, "complete": [], "cap_bytes": 1e308},
        },
        {"v": 1, "type": "request", "id": "d6", "command": huge, "args": {}},
    ]


def _messages(bases: list[dict[str, Any]]) -> list[Any]:
    rng = random.Random(SEED)
    return _directed() + [_mutate(rng, rng.choice(bases), index) for index in range(COUNT)]


def _usable_id(message: Any) -> str | None:
    if not isinstance(message, dict):
        return None
    found = message.get("id")
    return found if isinstance(found, str) and 0 < len(found) <= MAX_ID_LENGTH else None


def test_fuzzed_messages_each_get_one_reply(
    booted: Booted, comm_id: str, messages: dict[str, Any]
) -> None:
    kernel = booted.kernel
    bases = [
        {**entry["message"], "args": entry["message"].get("args", {})}
        for entry in messages["valid"]
        if entry["kind"] == "request"
    ]
    fuzzed = _messages(bases)
    precise = kernel.request(comm_id, "cells", {"after": 0})["body"]["precise"]
    try:
        before = kernel.state()
        kernel.pending.clear()
        for message in fuzzed:
            kernel._send_shell("comm_msg", {"comm_id": comm_id, "data": message})
        # The worker answers in order: once this one is answered, every earlier one is too.
        last = {"budget_ms": 50, "complete": []}
        sentinel = {
            "v": 1,
            "type": "request",
            "id": "sentinel",
            "command": "variables",
            "args": last,
        }
        kernel._send_shell("comm_msg", {"comm_id": comm_id, "data": sentinel})
        kernel.wait_for_reply(comm_id, "sentinel", timeout=max(TIMEOUT, 300))
        received = list(kernel.pending)
        kernel.pending.clear()
        replies = [
            m["content"]["data"]
            for m in received
            if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == comm_id
        ]
        assert len(replies) == len(fuzzed), (len(replies), len(fuzzed))
        for reply in replies:
            assert validate_reply(reply) == reply
            assert len(repr(reply)) <= MAX_REPLY_CHARS, repr(reply)[:300]
        expected = Counter(_usable_id(message) for message in fuzzed)
        assert Counter(reply["id"] for reply in replies) == expected
        codes = Counter(reply["error"]["code"] for reply in replies if not reply["ok"])
        assert "internal" not in codes, codes
        refused = {reply["id"] for reply in replies if not reply["ok"]}
        assert {"d1", "d2", "d3", "d4", "d5"} <= refused, "absurd budgets and caps are refused"
        printed = [m for m in received if m["msg_type"] in ("stream", "error", "display_data")]
        assert printed == [], printed[:3]
        assert kernel.state() == before
    finally:
        # fuzzed configure requests may have turned precise mode on: as it was
        kernel.request(comm_id, "configure", {"precise": precise})
