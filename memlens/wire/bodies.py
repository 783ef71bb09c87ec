"""Reply bodies made of :mod:`memlens.probes` readings: plain values in, wire dicts out."""

from __future__ import annotations

from ..probes.capabilities import Capability
from ..probes.process import MemoryReading
from .protocol import MemorySnapshot, Probe


def snapshot_body(reading: MemoryReading) -> MemorySnapshot:
    """A ``snapshot`` reply body (also the ``memory`` of ``hello``)."""
    return {
        "time": reading.time,
        "rss": reading.rss,
        "rss_peak": reading.rss_peak,
        "cgroup_current": reading.cgroup_current,
        "cgroup_limit": reading.cgroup_limit,
    }


def probe_list(capabilities: list[Capability]) -> list[Probe]:
    """The ``probes`` of a ``hello`` reply body, in the given order."""
    return [
        {
            "name": capability.name,
            "available": capability.available,
            "method": capability.method,
            "detail": capability.detail,
        }
        for capability in capabilities
    ]
