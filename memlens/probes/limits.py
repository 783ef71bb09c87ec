"""What will stop this process for lack of memory: the limit, and the OOM-kill counters.

The limit that actually ends a kernel is its memory cgroup's (v2 ``memory.max``, v1
``memory.limit_in_bytes``, the tightest over the cgroup and its ancestors), else the
machine's memory (``MemTotal`` of /proc/meminfo). The out-of-memory killer counts its
kills per cgroup (v2 ``memory.events``, v1 ``memory.oom_control``, Linux >= 4.13) and for
the whole machine (``oom_kill`` of /proc/vmstat); a counter that rose between a kernel's
last reading and its successor's first one is the evidence :mod:`memlens.cells.exits`
uses to say a kernel was killed for memory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .cgroup import CgroupFiles, cgroup_files, read_cgroup
from .procfile import ProcFile

PROC_MEMINFO = "/proc/meminfo"
PROC_VMSTAT = "/proc/vmstat"


@dataclass(frozen=True)
class Limit:
    """The memory limit that will stop this process, in bytes, and where it comes from."""

    limit: int | None
    """None when neither a cgroup limit nor the machine's memory can be read."""
    source: str
    """``"cgroup v1"``, ``"cgroup v2"``, ``"machine"`` or ``"unknown"``."""
    charged: int | None
    """Everything charged against the limit: the cgroup's usage (its other processes and
    the page cache included) or, for the machine, MemTotal - MemAvailable."""


def machine_memory() -> tuple[int | None, int | None]:
    """``(MemTotal, MemAvailable)`` of /proc/meminfo in bytes; None where unreadable."""
    total = available = None
    try:
        with open(PROC_MEMINFO, "rb") as meminfo:
            for line in meminfo:
                name, _, value = line.partition(b":")
                if name in (b"MemTotal", b"MemAvailable"):
                    size = int(value.split()[0]) * 1024
                    if name == b"MemTotal":
                        total = size
                    else:
                        available = size
    except (OSError, ValueError, IndexError):
        return None, None
    return total, available


def memory_limit() -> Limit:
    """The cgroup's limit if one is set, else the machine's memory."""
    files = cgroup_files()
    if files is not None:
        current, limit = read_cgroup(files)
        if limit is not None:
            return Limit(limit, f"cgroup v{files.version}", current)
    total, available = machine_memory()
    if total is None:
        return Limit(None, "unknown", None)
    charged = None if available is None else max(0, total - available)
    return Limit(total, "machine", charged)


def oom_counter_file(files: CgroupFiles | None = None) -> str | None:
    """The file that counts the OOM kills of this process's cgroup; None without one."""
    files = cgroup_files() if files is None else files
    if files is None:
        return None
    name = "memory.events" if files.version == 2 else "memory.oom_control"
    path = os.path.join(files.directory, name)
    return path if os.path.isfile(path) else None


_counter_files: dict[str, ProcFile] = {}
COUNTER_READ_SIZE = 16384
"""Bytes read of a counter file: /proc/vmstat is ~5 KiB, memory.events a few lines."""


def read_counter(path: str | None, field: bytes = b"oom_kill") -> int | None:
    """The ``field N`` line of a counter file (memory.events, memory.oom_control,
    /proc/vmstat); None where the file or the line is missing. The file is kept open and
    re-read with one ``pread`` (a cell's start reads one or two of them)."""
    if path is None:
        return None
    counter = _counter_files.get(path)
    if counter is None:
        counter = _counter_files.setdefault(path, ProcFile(path, os.O_RDONLY))
    text = b"\n" + counter.read(COUNTER_READ_SIZE)
    start = text.find(b"\n" + field + b" ")
    if start < 0:
        return None
    start += len(field) + 2
    end = text.find(b"\n", start)
    value = text[start:] if end < 0 else text[start:end]
    return int(value) if value.isdigit() else None


def system_oom_kills() -> int | None:
    """OOM kills on the whole machine since boot (/proc/vmstat); None where unreadable."""
    return read_counter(PROC_VMSTAT)
