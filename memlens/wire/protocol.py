"""The memlens comm protocol: check what the kernel receives, build what it sends.

The message shapes live once, in ``protocol/schema.json``; :mod:`memlens.wire.messages` is
generated from it (types and the schema itself) and :mod:`memlens.wire.validate` checks
values against it. ``src/wire/protocol.ts`` is the frontend's side of the same functions;
both are checked against ``protocol/messages.json``. Pure: no IO.

A message that breaks the schema is refused with an error code: ``protocol_mismatch`` when
its ``v`` is wrong (checked first), ``unknown_command`` when a request's command is a string
that names no command, else ``bad_request``. Echoed request text is clipped to
MAX_ECHO_LENGTH characters, on both sides alike.
"""

from __future__ import annotations

import json
from typing import Any, cast

from . import validate
from .messages import (
    COMM_TARGET,
    COMMANDS,
    ERROR_CODES,
    MAX_ECHO_LENGTH,
    MAX_EXPAND_LIMIT,
    MAX_ID_LENGTH,
    PEAK_METHODS,
    PROTOCOL_VERSION,
    SCHEMA,
    STEP_KINDS,
    AllocationSite,
    CellRecord,
    CellsBody,
    ChildRow,
    Command,
    ConfigureBody,
    ErrorCode,
    ErrorInfo,
    ErrorReply,
    ExpandBody,
    KernelInfo,
    MemorySnapshot,
    OkReply,
    OpenData,
    PathStep,
    PeakMethod,
    PreciseReading,
    Probe,
    Reply,
    ReplyBody,
    Request,
    Sizes,
    Source,
    VariableRow,
    VariablesBody,
    WalkStats,
)

__all__ = [
    "COMMANDS",
    "COMM_TARGET",
    "ERROR_CODES",
    "MAX_ECHO_LENGTH",
    "MAX_EXPAND_LIMIT",
    "MAX_ID_LENGTH",
    "PEAK_METHODS",
    "PROTOCOL_VERSION",
    "STEP_KINDS",
    "AllocationSite",
    "CellRecord",
    "CellsBody",
    "ChildRow",
    "Command",
    "ConfigureBody",
    "ErrorCode",
    "ErrorInfo",
    "ErrorReply",
    "ExpandBody",
    "KernelInfo",
    "MemorySnapshot",
    "OkReply",
    "OpenData",
    "PathStep",
    "PeakMethod",
    "PreciseReading",
    "Probe",
    "ProtocolError",
    "Reply",
    "ReplyBody",
    "Request",
    "Sizes",
    "Source",
    "VariableRow",
    "VariablesBody",
    "WalkStats",
    "clip",
    "error_address",
    "make_error",
    "make_reply",
    "make_request",
    "parse_open",
    "parse_request",
    "validate_record",
    "validate_reply",
]


class ProtocolError(Exception):
    """A message that does not follow the protocol, and the error code to answer it with."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: ErrorCode = code
        self.message = message

    def __repr__(self) -> str:
        return f"ProtocolError({self.code!r}, {self.message!r})"


def clip(text: str, limit: int = MAX_ECHO_LENGTH) -> str:
    """``text`` cut to ``limit`` characters, with ``...`` when cut (as src/wire/protocol.ts)."""
    return text if len(text) <= limit else text[:limit] + "..."


def check(data: object, definition: str) -> dict[str, Any]:
    """Check ``data`` against the schema's ``$defs/<definition>``; raise ProtocolError.

    Returns ``data`` as an object (every message is one).
    """
    try:
        validate.validate(data, validate.definition(SCHEMA, definition), SCHEMA)
    except validate.SchemaError as error:
        raise _refusal(data, definition, error) from None
    return cast(dict[str, Any], data)


# -- what the kernel receives ---------------------------------------------------------------


def parse_open(data: object) -> OpenData:
    """Check ``comm_open`` data."""
    check(data, "OpenData")
    return {"v": PROTOCOL_VERSION}


def parse_request(data: object) -> Request:
    """Check a request and return it normalized; raise ProtocolError if it is not one."""
    obj = check(data, "Request")
    return {
        "v": PROTOCOL_VERSION,
        "type": "request",
        "id": obj["id"],
        "command": obj["command"],
        "args": obj["args"],
    }


def error_address(data: object) -> tuple[str | None, str | None]:
    """The ``(id, command)`` an error reply to ``data`` should carry.

    Each is echoed only when usable: an id as ``parse_request`` would accept it, a command
    name that is a string of at most MAX_ECHO_LENGTH characters; otherwise None. Never raises.
    """
    if not isinstance(data, dict):
        return None, None
    request_id = data.get("id")
    command = data.get("command")
    usable_id = isinstance(request_id, str) and 0 < len(request_id) <= MAX_ID_LENGTH
    return (
        request_id if usable_id else None,
        command if isinstance(command, str) and len(command) <= MAX_ECHO_LENGTH else None,
    )


# -- what the frontend receives (checked here too: tests, and replies before they leave) -----


def validate_reply(data: object) -> Reply:
    """Check a reply, including its body's shape for its command; raise ProtocolError if not."""
    obj = check(data, "Reply")
    if obj["ok"]:
        return {
            "v": PROTOCOL_VERSION,
            "type": "reply",
            "id": obj["id"],
            "command": obj["command"],
            "ok": True,
            "body": obj["body"],
        }
    return {
        "v": PROTOCOL_VERSION,
        "type": "reply",
        "id": obj["id"],
        "command": obj["command"],
        "ok": False,
        "error": {"code": obj["error"]["code"], "message": obj["error"]["message"]},
    }


def validate_record(value: object) -> CellRecord:
    """Check one cell record: every key present, each of its type; raise ProtocolError."""
    return cast(CellRecord, check(value, "CellRecord"))


# -- constructors -------------------------------------------------------------------------


def make_request(request_id: str, command: Command, args: dict[str, Any]) -> Request:
    """Build a request (what the frontend sends; used by tests and tools)."""
    return {
        "v": PROTOCOL_VERSION,
        "type": "request",
        "id": request_id,
        "command": command,
        "args": args,
    }


def make_reply(request_id: str, command: Command, body: ReplyBody) -> OkReply:
    """Build a successful reply to the request ``request_id``."""
    return {
        "v": PROTOCOL_VERSION,
        "type": "reply",
        "id": request_id,
        "command": command,
        "ok": True,
        "body": body,
    }


def make_error(
    request_id: str | None, command: str | None, code: ErrorCode, message: str
) -> ErrorReply:
    """Build an error reply; pass None for an id or command the request had none usable of."""
    return {
        "v": PROTOCOL_VERSION,
        "type": "reply",
        "id": request_id,
        "command": command,
        "ok": False,
        "error": {"code": code, "message": message},
    }


def _refusal(data: object, definition: str, error: validate.SchemaError) -> ProtocolError:
    """The ProtocolError that answers ``data``, which broke ``$defs/<definition>`` as
    ``error`` says."""
    obj = data if isinstance(data, dict) else {}
    if error.path == ("v",):
        shown = clip(json.dumps(obj["v"])) if "v" in obj else "missing"
        return ProtocolError(
            "protocol_mismatch", f"protocol version {shown} is not {PROTOCOL_VERSION}"
        )
    command = obj.get("command")
    named = definition == "Request" and error.path == ("command",)
    if named and isinstance(command, str) and command not in COMMANDS:
        return ProtocolError("unknown_command", f"unknown command '{clip(command)}'")
    return ProtocolError("bad_request", error.message)
