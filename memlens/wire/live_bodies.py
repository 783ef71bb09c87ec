"""Reply bodies of ``live`` and ``last_exit``: readings and reports in, wire dicts out."""

from __future__ import annotations

import time
from typing import Any

from ..probes.limits import memory_limit
from .messages import LastExit, LastExitBody, LimitSource, LiveBody, MemorySnapshot

LIMIT_SOURCES: tuple[LimitSource, ...] = ("cgroup v1", "cgroup v2", "machine", "unknown")


def limit_source(value: object) -> LimitSource:
    """A limit source as the wire names it (``unknown`` for anything else)."""
    for source in LIMIT_SOURCES:
        if value == source:
            return source
    return "unknown"


def live_body(reading: dict[str, Any] | None) -> LiveBody:
    """A ``live`` reply body from :meth:`memlens.cells.live.LiveMonitor.reading`."""
    limit = memory_limit()
    body: LiveBody = {
        "running": reading is not None,
        "cell_id": None,
        "execution_count": None,
        "started": None,
        "time": time.time(),
        "rss": None,
        "rss_peak": None,
        "limit": limit.limit,
        "limit_source": limit_source(limit.source),
        "charged": limit.charged,
    }
    if reading is not None:
        body["cell_id"] = reading["cell_id"]
        body["execution_count"] = reading["execution_count"]
        body["started"] = reading["started"]
        body["time"] = reading["time"]
        body["rss"] = reading["rss"]
        body["rss_peak"] = reading["rss_peak"]
    return body


def last_exit_body(report: dict[str, Any] | None) -> LastExitBody:
    """A ``last_exit`` reply body from :func:`memlens.cells.forensics.last_exit`."""
    if report is None:
        return {"report": None}
    exit_report: LastExit = {
        "cause": report["cause"],
        "signal": report["signal"],
        "running": report["running"],
        "cell_id": report["cell_id"],
        "execution_count": report["execution_count"],
        "preview": report["preview"],
        "rss_last": report["rss_last"],
        "rss_peak": report["rss_peak"],
        "limit": report["limit"],
        "limit_source": limit_source(report["limit_source"]),
        "pid": report["pid"],
        "updated": report["updated"],
        "evidence": list(report["evidence"]),
    }
    return {"report": exit_report}


def with_limit(body: MemorySnapshot) -> MemorySnapshot:
    """A snapshot body with the limit that will stop the kernel and what counts against it."""
    limit = memory_limit()
    body["limit"] = limit.limit
    body["limit_source"] = limit_source(limit.source)
    body["charged"] = limit.charged
    return body
