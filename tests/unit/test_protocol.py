"""The kernel side of the wire against protocol/schema.json and protocol/messages.json.

Every example is checked twice: against the schema through memlens.wire.validate (both
directions, though the kernel receives only requests and open data) and through the public
functions of memlens.wire.protocol. spec/wire/protocol.spec.ts does the same for the frontend.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from typing import Any, Callable

import pytest
from harness import REPO_ROOT

from memlens.wire import messages, protocol, validate
from memlens.wire.protocol import (
    ProtocolError,
    error_address,
    make_error,
    make_reply,
    make_request,
    parse_open,
    parse_request,
    validate_record,
    validate_reply,
)
from memlens.wire.push import validate_event

SCHEMA_FILE = json.loads((REPO_ROOT / "protocol" / "schema.json").read_text())
PARSERS: dict[str, Callable[[object], Any]] = {
    "open": parse_open,
    "request": parse_request,
    "reply": validate_reply,
    "record": validate_record,
    "event": validate_event,
}
DEFINITIONS = {
    "open": "OpenData",
    "request": "Request",
    "reply": "Reply",
    "record": "CellRecord",
    "event": "Event",
}


def entries(kind: str) -> list[Any]:
    data = json.loads((REPO_ROOT / "protocol" / "messages.json").read_text())
    return [pytest.param(entry, id=entry["name"]) for entry in data[kind]]


def against_schema(entry: dict[str, Any]) -> None:
    node = validate.definition(messages.SCHEMA, DEFINITIONS[entry["kind"]])
    validate.validate(entry["message"], node, messages.SCHEMA)


# -- the schema ---------------------------------------------------------------------------


def test_the_generated_schema_is_the_schema_file() -> None:
    assert messages.SCHEMA == SCHEMA_FILE


def test_the_schema_uses_only_keywords_the_validators_understand() -> None:
    assert validate.unsupported_keywords(SCHEMA_FILE) == []


def test_an_unknown_keyword_is_reported() -> None:
    schema = {"$defs": {"A": {"type": "object", "patternProperties": {}, "$ref": "other.json"}}}
    assert validate.unsupported_keywords(schema) == [
        "#/$defs/A: patternProperties",
        "#/$defs/A: $ref other.json",
    ]
    assert validate.unsupported_keywords({"type": "decimal"}) == ["#: type decimal"]


def test_generated_files_are_up_to_date() -> None:
    done = subprocess.run(
        [sys.executable, "scripts/generate_protocol.py", "--check"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_check_names_a_stale_file(tmp_path: Any) -> None:
    (tmp_path / "protocol").mkdir()
    (tmp_path / "protocol" / "schema.json").write_text(json.dumps(SCHEMA_FILE))
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "generate_protocol.py"), "--check"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "src/wire/schema.generated.ts is stale" in done.stderr
    assert "memlens/wire/messages.py is stale" in done.stderr


def test_step_kinds_match_the_step_definitions() -> None:
    pinned = [
        validate.definition(SCHEMA_FILE, ref["$ref"].rsplit("/", 1)[1])["properties"]["kind"][
            "const"
        ]
        for ref in SCHEMA_FILE["$defs"]["PathStep"]["oneOf"]
    ]
    assert pinned == list(protocol.STEP_KINDS)


# -- the examples -------------------------------------------------------------------------


@pytest.mark.parametrize("entry", entries("valid"))
def test_valid_examples_match_the_schema(entry: dict[str, Any]) -> None:
    against_schema(entry)


@pytest.mark.parametrize("entry", entries("invalid"))
def test_invalid_examples_break_the_schema(entry: dict[str, Any]) -> None:
    with pytest.raises(validate.SchemaError):
        against_schema(entry)


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
    if "error_message" in entry:
        assert raised.value.message == entry["error_message"]


def test_fixture_agrees_with_constants(messages: dict[str, Any]) -> None:
    assert messages["protocol_version"] == protocol.PROTOCOL_VERSION
    assert messages["target"] == protocol.COMM_TARGET
    codes = {entry["error_code"] for entry in messages["invalid"]}
    assert codes <= set(protocol.ERROR_CODES)
    requests = [e["message"] for e in messages["valid"] if e["kind"] == "request"]
    assert {r["command"] for r in requests} == set(protocol.COMMANDS)
    replies = [e["message"] for e in messages["valid"] if e["kind"] == "reply"]
    assert {r["command"] for r in replies if r["ok"]} == set(protocol.COMMANDS)
    assert {r["error"]["code"] for r in replies if not r["ok"]} == set(protocol.ERROR_CODES)


def test_constants_come_from_the_schema() -> None:
    defs = SCHEMA_FILE["$defs"]
    assert protocol.PROTOCOL_VERSION == defs["ProtocolVersion"]["const"]
    assert protocol.COMM_TARGET == defs["CommTarget"]["const"]
    assert protocol.MAX_ID_LENGTH == defs["Id"]["maxLength"]
    assert protocol.MAX_EXPAND_LIMIT == defs["ExpandArgs"]["properties"]["limit"]["maximum"]
    assert protocol.COMMANDS == tuple(defs["Command"]["enum"])
    assert protocol.ERROR_CODES == tuple(defs["ErrorCode"]["enum"])


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
