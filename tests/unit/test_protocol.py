"""memlens/protocol.py against protocol/messages.json, the examples src/protocol.ts checks too."""

from __future__ import annotations

import copy
import json
import re
from typing import Any, Callable

import pytest
from harness import REPO_ROOT

from memlens.wire import protocol
from memlens.wire.protocol import (
    ProtocolError,
    error_address,
    make_error,
    make_event,
    make_reply,
    make_request,
    parse_event,
    parse_open,
    parse_request,
    validate_reply,
)

PARSERS: dict[str, Callable[[object], Any]] = {
    "open": parse_open,
    "request": parse_request,
    "reply": validate_reply,
    "event": parse_event,
}


def entries(kind: str) -> list[Any]:
    data = json.loads((REPO_ROOT / "protocol" / "messages.json").read_text())
    return [pytest.param(entry, id=entry["name"]) for entry in data[kind]]


@pytest.mark.parametrize("entry", entries("valid"))
def test_valid_examples_are_accepted_as_their_kind(entry: dict[str, Any]) -> None:
    message = copy.deepcopy(entry["message"])
    assert PARSERS[entry["kind"]](message) == entry["message"]
    assert message == entry["message"], "validators do not change their input"


@pytest.mark.parametrize("entry", entries("invalid"))
def test_invalid_examples_are_rejected_with_their_code(entry: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError) as raised:
        PARSERS[entry["kind"]](entry["message"])
    assert raised.value.code == entry["error_code"]
    assert raised.value.message


def test_fixture_agrees_with_constants(messages: dict[str, Any]) -> None:
    assert messages["protocol_version"] == protocol.PROTOCOL_VERSION
    assert messages["target"] == protocol.COMM_TARGET
    codes = {entry["error_code"] for entry in messages["invalid"]}
    assert codes <= set(protocol.ERROR_CODES)
    requests = [e["message"] for e in messages["valid"] if e["kind"] == "request"]
    assert {r["command"] for r in requests} == set(protocol.COMMANDS)


def test_typescript_constants_match() -> None:
    """The constants src/protocol.ts declares are the same as these."""
    source = (REPO_ROOT / "src" / "protocol.ts").read_text()

    def constant(name: str) -> str:
        found = re.search(rf"export const {name} = ([^;]+);", source)
        assert found, f"src/protocol.ts declares no {name}"
        return found.group(1).strip()

    assert constant("PROTOCOL_VERSION") == str(protocol.PROTOCOL_VERSION)
    assert constant("COMM_TARGET") == f"'{protocol.COMM_TARGET}'"
    assert constant("MAX_ID_LENGTH") == str(protocol.MAX_ID_LENGTH)


# -- constructors -------------------------------------------------------------------------


def hello_body(messages: dict[str, Any]) -> dict[str, Any]:
    return next(e["message"]["body"] for e in messages["valid"] if e["name"] == "hello reply")


def roundtrip(message: Any) -> Any:
    return json.loads(json.dumps(message))


def test_request_round_trip() -> None:
    request = make_request("r-1", "snapshot", {})
    assert parse_request(roundtrip(request)) == request


def test_reply_round_trips(messages: dict[str, Any]) -> None:
    body = hello_body(messages)
    for reply in (
        make_reply("r1", "hello", body),  # type: ignore[arg-type]
        make_reply("r2", "snapshot", body["memory"]),
        make_error("r3", "frobnicate", "unknown_command", "unknown command 'frobnicate'"),
        make_error(None, None, "bad_request", "message is not an object"),
    ):
        assert validate_reply(roundtrip(reply)) == reply


def test_event_round_trip() -> None:
    event = make_event("cell", {"execution_count": 3})
    assert parse_event(roundtrip(event)) == event
    with pytest.raises(ProtocolError):
        parse_event({"v": 1, "type": "event", "event": "cell"})


def test_reply_with_the_wrong_body_for_its_command(messages: dict[str, Any]) -> None:
    body = hello_body(messages)
    with pytest.raises(ProtocolError):
        validate_reply(make_reply("r1", "snapshot", body))  # type: ignore[arg-type]
    with pytest.raises(ProtocolError):
        validate_reply(make_reply("r1", "hello", body["memory"]))


# -- numbers as JSON has them -------------------------------------------------------------


@pytest.mark.parametrize(
    ("v", "accepted"),
    [(1, True), (1.0, True), (True, False), (2, False), ("1", False), (None, False)],
)
def test_version_is_the_number_one(v: Any, accepted: bool) -> None:
    request = {"v": v, "type": "request", "id": "r", "command": "hello", "args": {}}
    if accepted:
        assert parse_request(request)["v"] == 1
        assert parse_open({"v": v}) == {"v": 1}
    else:
        for check, data in ((parse_request, request), (parse_open, {"v": v})):
            with pytest.raises(ProtocolError) as raised:
                check(data)
            assert raised.value.code == "protocol_mismatch"


@pytest.mark.parametrize(
    ("field", "value", "accepted"),
    [
        ("rss", 0, True),
        ("rss", 2**70, True),
        ("rss", 5.0, True),
        ("rss", 5.5, False),
        ("rss", True, False),
        ("rss", float("inf"), False),
        ("rss", "5", False),
        ("time", 0, True),
        ("time", float("nan"), False),
        ("time", None, False),
        ("time", False, False),
    ],
)
def test_snapshot_numbers(field: str, value: Any, accepted: bool) -> None:
    body = {"time": 1.5, "rss": None, "rss_peak": None, "cgroup_current": 1, "cgroup_limit": None}
    body[field] = value
    reply = make_reply("r", "snapshot", body)  # type: ignore[arg-type]
    if accepted:
        assert validate_reply(reply) == reply
    else:
        with pytest.raises(ProtocolError):
            validate_reply(reply)


def test_snapshot_sizes_must_be_present() -> None:
    body = {"time": 1.5, "rss": None, "rss_peak": None, "cgroup_current": None}
    with pytest.raises(ProtocolError):
        validate_reply(make_reply("r", "snapshot", body))  # type: ignore[arg-type]


# -- error replies ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "address"),
    [
        ("hello", (None, None)),
        ({"id": "r1", "command": "frobnicate"}, ("r1", "frobnicate")),
        ({"id": "", "command": "hello"}, (None, "hello")),
        ({"id": "x" * 65, "command": "x" * 65}, (None, None)),
        ({"id": 5, "command": ["hello"]}, (None, None)),
    ],
)
def test_error_address(data: Any, address: tuple[Any, Any]) -> None:
    assert error_address(data) == address


def test_error_reply_needs_id_and_command_keys() -> None:
    reply = make_error(None, None, "internal", "boom")
    del reply["id"]  # type: ignore[misc]
    with pytest.raises(ProtocolError):
        validate_reply(reply)


def test_unknown_command_message_is_clipped() -> None:
    with pytest.raises(ProtocolError) as raised:
        parse_request({"v": 1, "type": "request", "id": "r", "command": "x" * 10_000, "args": {}})
    assert raised.value.code == "unknown_command"
    assert len(raised.value.message) < 200
