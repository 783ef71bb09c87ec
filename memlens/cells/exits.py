"""Why the previous kernel ended, inferred from what it left behind.

A kernel cannot see how its predecessor ended: jupyter_client never reads the exit
status, and the server tells the frontend only "restarting". So the cause is inferred,
and :func:`infer` says from what (``evidence``):

``oom_kill``
    The process vanished without a clean end and an out-of-memory counter rose since
    its last reading: its cgroup's ``oom_kill`` (``memory.events`` / ``memory.oom_control``)
    or, only when no cgroup limit applies, the machine's (/proc/vmstat; it counts every OOM
    kill, cgroup kills elsewhere included). Another process of the same cgroup killed for
    memory at that moment would read the same; the kernel's last RSS against the limit
    tells them apart for a person.
``crashed``
    Python's faulthandler, which memlens points at a file of its own when nothing else
    enabled it, wrote a "Fatal Python error" (segmentation fault, abort, bus error, ...).
``exited``
    Python's normal shutdown ran while a cell was running (e.g. C code called ``exit``
    through Python's finalization). A shutdown while idle is a clean end: no report.
``killed``
    Anything else where the process vanished without a clean end: SIGKILL from a person or
    a supervisor, a restart that had to kill a busy kernel, ``os._exit``, or a crash that
    faulthandler could not record (someone else enabled it).

What the record holds is only as fresh as its last update: cell start and end, and the
live sampler's readings while a cell runs (a long C call holding the GIL delays them).
"""

from __future__ import annotations

import re
from typing import Any

CAUSES = ("oom_kill", "killed", "crashed", "exited")

_FATAL = re.compile(rb"Fatal Python error: ([^\n]{1,120})")


def crash_signal(text: bytes | None) -> str | None:
    """The fatal error faulthandler wrote (``Segmentation fault``), or None."""
    if not text:
        return None
    match = _FATAL.search(text)
    return None if match is None else match.group(1).decode("utf-8", "replace").strip()


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _rose(before: object, now: int | None) -> bool:
    before_int = _int_or_none(before)
    return before_int is not None and now is not None and now > before_int


def infer(
    record: dict[str, Any],
    *,
    crash_text: bytes | None,
    cgroup_oom_now: int | None,
    system_oom_now: int | None,
) -> dict[str, Any] | None:
    """The last-exit report of the kernel that left ``record``; None for a clean end.

    ``cgroup_oom_now`` is the OOM-kill counter of the cgroup the record names, read now;
    ``system_oom_now`` the machine's.
    """
    state = record.get("state")
    if state == "closed":
        return None
    evidence: list[str] = []
    signal = crash_signal(crash_text)
    if state == "exited":
        cause = "exited"
        evidence.append("Python's shutdown ran while a cell was running")
    elif _rose(record.get("cgroup_oom_kills"), cgroup_oom_now):
        cause = "oom_kill"
        evidence.append(
            f"the cgroup's oom_kill counter rose from {record.get('cgroup_oom_kills')} "
            f"to {cgroup_oom_now}"
        )
    elif record.get("limit_source") == "machine" and _rose(
        record.get("system_oom_kills"), system_oom_now
    ):
        cause = "oom_kill"
        evidence.append(
            f"the machine's oom_kill counter rose from {record.get('system_oom_kills')} "
            f"to {system_oom_now} (a kill of another process would read the same)"
        )
    elif signal is not None:
        cause = "crashed"
        evidence.append(f"faulthandler wrote: Fatal Python error: {signal}")
    else:
        cause = "killed"
        evidence.append("the process ended without a clean shutdown, an OOM kill or a crash")
        if not record.get("crash_file"):
            evidence.append("faulthandler was not memlens' to use: a crash would read the same")
    running = state == "running"
    return {
        "cause": cause,
        "signal": signal if cause == "crashed" else None,
        "running": running,
        "cell_id": record.get("cell_id") if running else None,
        "execution_count": _int_or_none(record.get("execution_count")) if running else None,
        "preview": str(record.get("preview") or "") if running else "",
        "rss_last": _int_or_none(record.get("rss")),
        "rss_peak": _int_or_none(record.get("rss_peak")),
        "limit": _int_or_none(record.get("limit")),
        "limit_source": str(record.get("limit_source") or "unknown"),
        "pid": _int_or_none(record.get("pid")),
        "updated": record.get("updated") if isinstance(record.get("updated"), float) else None,
        "evidence": evidence,
    }
