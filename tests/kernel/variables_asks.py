"""Asking a kernel's memlens comm for variables, for the kernel tests of the Variables
section."""

from __future__ import annotations

from typing import Any

from harness import Kernel

from memlens.wire.protocol import validate_reply


def names(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in body["rows"]}


def ask_ok(kernel: Kernel, comm_id: str, command: str, args: dict[str, Any]) -> Any:
    reply, message = kernel.ask(comm_id, command, args)
    assert validate_reply(reply) == reply
    assert reply["ok"] is True, reply
    assert message["parent_header"].get("msg_id") == message["request_msg_id"], (
        "the reply carries the request's parent header"
    )
    return reply["body"]
