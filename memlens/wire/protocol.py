"""The memlens comm protocol: message shapes, validators and constructors.

Mirrors ``src/protocol.ts``; both are checked against ``protocol/messages.json``.
Pure: no IO; only the standard library's typing and math.

Numbers follow JSON's (and so JavaScript's) idea of a number, so that both sides
accept the same messages: ``1`` and ``1.0`` are the same version, a count is any
integral number, and ``True`` is not a number.
"""

from __future__ import annotations

import math
from typing import Any, Literal, TypedDict, Union, cast

PROTOCOL_VERSION = 1
"""The protocol's major version; every message carries it as ``v``."""

COMM_TARGET = "memlens"
"""The one comm target the kernel side registers."""

MAX_ID_LENGTH = 64
"""Longest request id the kernel accepts."""

MAX_ECHO_LENGTH = 64
"""Longest command name an error reply echoes back; longer ones are replaced by null."""

ErrorCode = Literal["bad_request", "protocol_mismatch", "unknown_command", "internal"]
Command = Literal["hello", "snapshot", "cells", "configure", "variables", "expand"]
Source = Literal["installed", "injected"]
PeakMethod = Literal["exact", "sampled", "none"]

ERROR_CODES: tuple[ErrorCode, ...] = (
    "bad_request",
    "protocol_mismatch",
    "unknown_command",
    "internal",
)
COMMANDS: tuple[Command, ...] = (
    "hello",
    "snapshot",
    "cells",
    "configure",
    "variables",
    "expand",
)
STEP_KINDS = ("name", "attr", "index", "key", "column")
"""How a path steps into an object: see :class:`PathStep`."""

MAX_EXPAND_LIMIT = 1000
"""Largest page an ``expand`` request may ask for."""
PEAK_METHODS: tuple[PeakMethod, ...] = ("exact", "sampled", "none")


class OpenData(TypedDict):
    """Data sent with ``comm_open``."""

    v: int


class Request(TypedDict):
    """A request from the frontend."""

    v: int
    type: Literal["request"]
    id: str
    command: Command
    args: dict[str, Any]


class Probe(TypedDict):
    """One thing this kernel can (or cannot) measure, and how."""

    name: str
    available: bool
    method: str
    """How the reading is taken, e.g. ``/proc/self/status VmRSS``."""
    detail: str
    """Why it is missing, or a version."""


class MemorySnapshot(TypedDict):
    """Process memory at one moment: sizes in bytes, None where unavailable."""

    time: float
    """Unix time in seconds."""
    rss: int | None
    rss_peak: int | None
    """Highest RSS so far (VmHWM)."""
    cgroup_current: int | None
    cgroup_limit: int | None
    """The tightest memory limit over the process's cgroup and its ancestors; None if none."""


class KernelInfo(TypedDict):
    """The body of the ``hello`` reply: who the kernel is and what it can measure."""

    protocol_version: int
    memlens_version: str
    source: Source
    pid: int
    python_version: str
    implementation: str
    platform: str
    system: str
    ipykernel_version: str
    ipython_version: str
    probes: list[Probe]
    memory: MemorySnapshot


class AllocationSite(TypedDict):
    """A source line that allocated memory during a cell (precise mode, tracemalloc)."""

    file: str
    line: int
    size: int
    """Bytes allocated there during the cell and still alive at its end."""
    count: int
    """Memory blocks those bytes are in."""


class PreciseReading(TypedDict):
    """What tracemalloc saw during one cell (precise mode only; see memlens.recorder)."""

    python_delta: int
    """Bytes of Python allocations made during the cell and alive at its end."""
    python_peak: int
    """The highest that total was during the cell."""
    top: list[AllocationSite]
    """At most five sites, largest first."""


class CellRecord(TypedDict):
    """What one executed cell did to the kernel's memory: sizes in bytes.

    The meaning of each number is documented in :mod:`memlens.recorder`.
    """

    seq: int
    """1, 2, 3, ... per kernel process."""
    cell_id: str | None
    """The frontend's cell id (JupyterLab sends it as ``cellId`` metadata)."""
    execution_count: int | None
    preview: str
    """The first non-empty line of the cell's source, at most 80 characters."""
    started: float
    """Unix time in seconds."""
    duration_s: float
    success: bool
    rss_before: int | None
    rss_after: int | None
    rss_peak: int | None
    peak_method: PeakMethod
    sample_interval_s: float | None
    python_delta: int | None
    native_delta: int | None
    allocator_free_delta: int | None
    output_cache_delta: int | None
    precise: PreciseReading | None


class CellsBody(TypedDict):
    """The body of a ``cells`` reply."""

    records: list[CellRecord]
    """The kept records with ``seq`` above the request's ``after``, oldest first."""
    last_seq: int
    """The ``seq`` of the newest record (0 if none)."""
    dropped_before: int
    """Records with ``seq`` up to this fell out of the bounded history (0 if none did)."""
    precise: bool
    """Whether precise (tracemalloc) mode is on."""


class ConfigureBody(TypedDict):
    """The body of a ``configure`` reply: the kernel's settings after the change."""

    precise: bool


class PathStep(TypedDict, total=False):
    """One step from a variable into its contents; the kernel never evaluates text.

    ``{"kind": "name", "value": str}`` (a variable; only first), ``{"kind": "attr",
    "value": str}`` (an instance attribute), ``{"kind": "index", "index": n}`` (the nth
    item of a list, tuple, deque, set or object array, in iteration order; the nth
    unnamed referent of another object), ``{"kind": "key", "index": n}`` (the value of
    the nth entry of a dict, in iteration order), ``{"kind": "column", "index": n}``
    (the nth column of a DataFrame).
    """

    kind: str
    value: str
    index: int


class Sizes(TypedDict):
    """Sizes of one object, in bytes (mirrors ``ISizes`` in src/protocol.ts)."""

    type: str
    """``list`` for builtins, else ``module.qualname`` (``numpy.ndarray``, ``pandas.DataFrame``)."""
    shape: str | None
    """``(1000, 3)`` for arrays and frames, ``len N`` for sized containers, else None."""
    getsizeof: int | None
    """What ``sys.getsizeof`` says; None when it raised."""
    deep: int
    """Bytes reachable from the object (see :mod:`memlens.sizing`)."""
    retained: int
    """Bytes that deleting it would free."""
    partial: bool
    """The walk was cut short: ``deep`` and ``retained`` are lower bounds."""
    flags: list[str]
    expandable: bool


class VariableRow(Sizes):
    """A user variable (or the output cache) and its sizes."""

    name: str


class ChildRow(Sizes):
    """A part of an expanded object: an item, an entry, an attribute, a column."""

    label: str
    """``[3]``, ``'apple'``, ``.weights``: a bounded repr that runs no user code."""
    step: PathStep


class WalkStats(TypedDict):
    """What the walker cost."""

    elapsed_ms: float
    objects: int
    walker_peak_bytes: int
    capped: bool


class VariablesBody(TypedDict):
    """The body of a ``variables`` reply."""

    rows: list[VariableRow]
    output_cache: VariableRow | None
    partial: bool
    stats: WalkStats


class ExpandBody(TypedDict):
    """The body of an ``expand`` reply: one page of an object's parts."""

    path: list[PathStep]
    offset: int
    total: int
    partial: bool
    children: list[ChildRow]


ReplyBody = Union[KernelInfo, MemorySnapshot, CellsBody, ConfigureBody, VariablesBody, ExpandBody]


class ErrorInfo(TypedDict):
    """Why a request was refused or failed."""

    code: ErrorCode
    message: str


class OkReply(TypedDict):
    """A successful reply."""

    v: int
    type: Literal["reply"]
    id: str
    command: Command
    ok: Literal[True]
    body: ReplyBody


class ErrorReply(TypedDict):
    """A refused or failed request; ``id``/``command`` are None when the request had none usable."""

    v: int
    type: Literal["reply"]
    id: str | None
    command: str | None
    ok: Literal[False]
    error: ErrorInfo


Reply = Union[OkReply, ErrorReply]


class Event(TypedDict):
    """An unsolicited message from the kernel."""

    v: int
    type: Literal["event"]
    event: str
    body: dict[str, Any]


class ProtocolError(Exception):
    """A message that does not follow the protocol, and the error code to answer it with."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: ErrorCode = code
        self.message = message

    def __repr__(self) -> str:
        return f"ProtocolError({self.code!r}, {self.message!r})"


# -- validators ---------------------------------------------------------------------------


def parse_open(data: object) -> OpenData:
    """Check ``comm_open`` data."""
    _version(_object(data))
    return {"v": PROTOCOL_VERSION}


def parse_request(data: object) -> Request:
    """Check a request and return it normalized; raise ProtocolError if it is not one."""
    obj = _envelope(data, "request")
    request_id = _id(obj.get("id"))
    command = obj.get("command")
    if not isinstance(command, str):
        raise ProtocolError("bad_request", "command must be a string")
    if command not in COMMANDS:
        raise ProtocolError("unknown_command", f"unknown command '{_clip(command)}'")
    args = _object(obj.get("args"), "args")
    _args(command, args)
    return {
        "v": PROTOCOL_VERSION,
        "type": "request",
        "id": request_id,
        "command": command,
        "args": args,
    }


def validate_reply(data: object) -> Reply:
    """Check a reply, including its body's shape for its command; raise ProtocolError if not."""
    obj = _envelope(data, "reply")
    ok = obj.get("ok")
    if not isinstance(ok, bool):
        raise ProtocolError("bad_request", "reply.ok must be a boolean")
    if not ok:
        error = _object(obj.get("error"), "error")
        code = error.get("code")
        if not isinstance(code, str) or code not in ERROR_CODES:
            raise ProtocolError("bad_request", "error.code is not known")
        return {
            "v": PROTOCOL_VERSION,
            "type": "reply",
            "id": _nullable_str(obj, "id"),
            "command": _nullable_str(obj, "command"),
            "ok": False,
            "error": {
                "code": code,
                "message": _str(error.get("message"), "error.message"),
            },
        }
    request_id = _id(obj.get("id"))
    command = obj.get("command")
    if not isinstance(command, str) or command not in COMMANDS:
        raise ProtocolError("bad_request", "reply names no known command")
    body = _object(obj.get("body"), "body")
    if command == "hello":
        _kernel_info(body)
    elif command == "snapshot":
        _snapshot(body, "body")
    elif command == "cells":
        _cells(body)
    elif command == "variables":
        _variables(body)
    elif command == "expand":
        _expand(body)
    else:
        _bool(body.get("precise"), "precise")
    return {
        "v": PROTOCOL_VERSION,
        "type": "reply",
        "id": request_id,
        "command": command,
        "ok": True,
        "body": cast(ReplyBody, body),
    }


def parse_event(data: object) -> Event:
    """Check an event's envelope."""
    obj = _envelope(data, "event")
    return {
        "v": PROTOCOL_VERSION,
        "type": "event",
        "event": _str(obj.get("event"), "event"),
        "body": _object(obj.get("body"), "body"),
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
    return (
        request_id if _is_id(request_id) else None,
        command if isinstance(command, str) and len(command) <= MAX_ECHO_LENGTH else None,
    )


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


def make_event(event: str, body: dict[str, Any]) -> Event:
    """Build an event."""
    return {"v": PROTOCOL_VERSION, "type": "event", "event": event, "body": body}


# -- helpers ------------------------------------------------------------------------------

_MISSING = object()


def _clip(text: str, limit: int = MAX_ECHO_LENGTH) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


def _object(value: object, what: str = "message") -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProtocolError("bad_request", f"{what} is not an object")
    return cast(dict[str, Any], value)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_finite(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return _is_number(value)


def _is_count(value: object) -> bool:
    """A non-negative integral number, as JavaScript's ``Number.isInteger(x) && x >= 0``."""
    if isinstance(value, float):
        return _is_finite(value) and value.is_integer() and value >= 0
    return _is_number(value) and cast(int, value) >= 0


def _version(obj: dict[str, Any]) -> None:
    v = obj.get("v")
    if not (_is_number(v) and v == PROTOCOL_VERSION):
        shown = _clip(repr(v)) if "v" in obj else "missing"
        raise ProtocolError(
            "protocol_mismatch", f"protocol version {shown} is not {PROTOCOL_VERSION}"
        )


def _envelope(data: object, kind: str) -> dict[str, Any]:
    obj = _object(data)
    _version(obj)
    if obj.get("type") != kind:
        raise ProtocolError("bad_request", f"type must be '{kind}'")
    return obj


def _is_id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH


def _id(value: object) -> str:
    if not _is_id(value):
        raise ProtocolError(
            "bad_request", f"id must be a string of 1 to {MAX_ID_LENGTH} characters"
        )
    return cast(str, value)


def _str(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ProtocolError("bad_request", f"{what} must be a string")
    return value


def _nullable_str(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key, _MISSING)
    return None if value is None else _str(value, key)


def _count(value: object, what: str) -> None:
    if not _is_count(value):
        raise ProtocolError("bad_request", f"{what} must be a non-negative integer")


def _snapshot(value: object, what: str) -> None:
    obj = _object(value, what)
    if not _is_finite(obj.get("time")):
        raise ProtocolError("bad_request", f"{what}.time must be a number")
    for key in ("rss", "rss_peak", "cgroup_current", "cgroup_limit"):
        size = obj.get(key, _MISSING)
        if size is not None:
            _count(size, f"{what}.{key}")


_KERNEL_INFO_STRINGS = (
    "memlens_version",
    "python_version",
    "implementation",
    "platform",
    "system",
    "ipykernel_version",
    "ipython_version",
)


def _kernel_info(body: dict[str, Any]) -> None:
    _count(body.get("protocol_version"), "protocol_version")
    _count(body.get("pid"), "pid")
    for key in _KERNEL_INFO_STRINGS:
        _str(body.get(key), key)
    if body.get("source") not in ("installed", "injected"):
        raise ProtocolError("bad_request", "source must be 'installed' or 'injected'")
    probes = body.get("probes")
    if not isinstance(probes, list):
        raise ProtocolError("bad_request", "probes must be a list")
    for probe in probes:
        p = _object(probe, "probe")
        for key in ("name", "method", "detail"):
            _str(p.get(key), f"probe.{key}")
        if not isinstance(p.get("available"), bool):
            raise ProtocolError("bad_request", "probe.available must be a boolean")
    _snapshot(body.get("memory"), "memory")


def _args(command: str, args: dict[str, Any]) -> None:
    if command == "cells":
        _count(args.get("after"), "args.after")
    elif command == "configure":
        _bool(args.get("precise"), "args.precise")
    elif command == "variables":
        _positive(args.get("budget_ms"), "args.budget_ms")
        complete = args.get("complete")
        if not isinstance(complete, list):
            raise ProtocolError("bad_request", "args.complete must be a list")
        for name in complete:
            _str(name, "args.complete[]")
        _cap(args.get("cap_bytes"))
    elif command == "expand":
        _path(args.get("path"), from_name=True)
        _count(args.get("offset"), "args.offset")
        _positive(args.get("limit"), "args.limit")
        if args["limit"] > MAX_EXPAND_LIMIT:
            raise ProtocolError("bad_request", f"args.limit must be at most {MAX_EXPAND_LIMIT}")
        _positive(args.get("budget_ms"), "args.budget_ms")
        _cap(args.get("cap_bytes"))


def _cap(value: object) -> None:
    """An optional memory cap in bytes: absent, None, or a positive integer."""
    if value is not None:
        _positive(value, "args.cap_bytes")


def _positive(value: object, what: str) -> None:
    _count(value, what)
    if value == 0:
        raise ProtocolError("bad_request", f"{what} must be positive")


def _path(value: object, *, from_name: bool) -> None:
    if not isinstance(value, list) or (from_name and not value):
        raise ProtocolError("bad_request", "path must be a non-empty list")
    for position, item in enumerate(value):
        step = _object(item, "step")
        kind = step.get("kind")
        if kind not in STEP_KINDS:
            raise ProtocolError("bad_request", "step.kind is not known")
        if from_name and (position == 0) != (kind == "name"):
            raise ProtocolError("bad_request", "a path starts with a name, and only there")
        if kind in ("name", "attr"):
            _str(step.get("value"), "step.value")
        else:
            _count(step.get("index"), "step.index")


def _sizes(row: dict[str, Any], what: str) -> None:
    _str(row.get("type"), f"{what}.type")
    _nullable(_str, row.get("shape", _MISSING), f"{what}.shape")
    _nullable(_count, row.get("getsizeof", _MISSING), f"{what}.getsizeof")
    _count(row.get("deep"), f"{what}.deep")
    _count(row.get("retained"), f"{what}.retained")
    _bool(row.get("partial"), f"{what}.partial")
    _bool(row.get("expandable"), f"{what}.expandable")
    flags = row.get("flags")
    if not isinstance(flags, list):
        raise ProtocolError("bad_request", f"{what}.flags must be a list")
    for flag in flags:
        _str(flag, f"{what}.flags[]")


def _variable_row(value: object) -> None:
    row = _object(value, "row")
    _str(row.get("name"), "row.name")
    _sizes(row, "row")


def _variables(body: dict[str, Any]) -> None:
    rows = body.get("rows")
    if not isinstance(rows, list):
        raise ProtocolError("bad_request", "rows must be a list")
    for row in rows:
        _variable_row(row)
    output_cache = body.get("output_cache", _MISSING)
    if output_cache is not None:
        _variable_row(output_cache)
    _bool(body.get("partial"), "partial")
    stats = _object(body.get("stats"), "stats")
    _finite(stats.get("elapsed_ms"), "stats.elapsed_ms")
    _count(stats.get("objects"), "stats.objects")
    _count(stats.get("walker_peak_bytes"), "stats.walker_peak_bytes")
    _bool(stats.get("capped"), "stats.capped")


def _expand(body: dict[str, Any]) -> None:
    _path(body.get("path"), from_name=True)
    _count(body.get("offset"), "offset")
    _count(body.get("total"), "total")
    _bool(body.get("partial"), "partial")
    children = body.get("children")
    if not isinstance(children, list):
        raise ProtocolError("bad_request", "children must be a list")
    for item in children:
        child = _object(item, "child")
        _str(child.get("label"), "child.label")
        _path([child.get("step")], from_name=False)
        _sizes(child, "child")


def _bool(value: object, what: str) -> None:
    if not isinstance(value, bool):
        raise ProtocolError("bad_request", f"{what} must be a boolean")


def _finite(value: object, what: str) -> None:
    if not _is_finite(value):
        raise ProtocolError("bad_request", f"{what} must be a number")


def _integer(value: object, what: str) -> None:
    """An integral number, negative allowed."""
    if isinstance(value, float):
        ok = math.isfinite(value) and value.is_integer()
    else:
        ok = _is_number(value)
    if not ok:
        raise ProtocolError("bad_request", f"{what} must be an integer")


def _nullable(check: Any, value: object, what: str) -> None:
    if value is not None:
        check(value, what)


_RECORD_BYTES = ("rss_before", "rss_after", "rss_peak")
_RECORD_DELTAS = ("python_delta", "native_delta", "allocator_free_delta", "output_cache_delta")


def validate_record(value: object) -> CellRecord:
    """Check one cell record: every key present, each of its type; raise ProtocolError."""
    record = _object(value, "record")
    _count(record.get("seq"), "record.seq")
    _nullable(_str, record.get("cell_id", _MISSING), "record.cell_id")
    _nullable(_count, record.get("execution_count", _MISSING), "record.execution_count")
    _str(record.get("preview"), "record.preview")
    _finite(record.get("started"), "record.started")
    _finite(record.get("duration_s"), "record.duration_s")
    _bool(record.get("success"), "record.success")
    for key in _RECORD_BYTES:
        _nullable(_count, record.get(key, _MISSING), f"record.{key}")
    if record.get("peak_method") not in PEAK_METHODS:
        raise ProtocolError("bad_request", "record.peak_method is not known")
    _nullable(_finite, record.get("sample_interval_s", _MISSING), "record.sample_interval_s")
    for key in _RECORD_DELTAS:
        _nullable(_integer, record.get(key, _MISSING), f"record.{key}")
    precise = record.get("precise", _MISSING)
    if precise is not None:
        reading = _object(precise, "record.precise")
        _integer(reading.get("python_delta"), "precise.python_delta")
        _integer(reading.get("python_peak"), "precise.python_peak")
        top = reading.get("top")
        if not isinstance(top, list):
            raise ProtocolError("bad_request", "precise.top must be a list")
        for item in top:
            site = _object(item, "site")
            _str(site.get("file"), "site.file")
            _count(site.get("line"), "site.line")
            _integer(site.get("size"), "site.size")
            _count(site.get("count"), "site.count")
    return cast(CellRecord, record)


def _cells(body: dict[str, Any]) -> None:
    _count(body.get("last_seq"), "last_seq")
    _count(body.get("dropped_before"), "dropped_before")
    _bool(body.get("precise"), "precise")
    records = body.get("records")
    if not isinstance(records, list):
        raise ProtocolError("bad_request", "records must be a list")
    for record in records:
        validate_record(record)
