"""This process's memory cgroup (v1 or v2): what it charges and its limits, in bytes."""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass

UNLIMITED = 1 << 60
"""A cgroup v1 limit at or above this means "no limit" (the kernel reports
PAGE_COUNTER_MAX pages, 9223372036854771712 bytes on x86-64)."""

V2_USAGE, V2_LIMIT = "memory.current", "memory.max"
V1_USAGE, V1_LIMIT = "memory.usage_in_bytes", "memory.limit_in_bytes"


@dataclass(frozen=True)
class CgroupFiles:
    """Where this process's cgroup reports its memory use and limits."""

    version: int
    """1 or 2."""
    limit_name: str
    """The name of the limit files: ``memory.max`` (v2) or ``memory.limit_in_bytes`` (v1)."""
    directory: str
    current: str
    """The usage file: ``memory.current`` (v2) or ``memory.usage_in_bytes`` (v1)."""
    limits: tuple[str, ...]
    """The limit files of the cgroup and its ancestors up to the mount point."""


def _unescape_mount_path(path: str) -> str:
    """Undo mountinfo's octal escapes (``\\040`` for a space)."""
    if "\\" not in path:
        return path
    return path.encode("ascii", "backslashreplace").decode("unicode_escape")


def _cgroup_mounts() -> list[tuple[str, str, str, set[str]]]:
    """``(fstype, root, mount point, super options)`` of each cgroup mount."""
    mounts = []
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as mountinfo:
            for line in mountinfo:
                left, sep, right = line.partition(" - ")
                fields, tail = left.split(), right.split()
                if not sep or len(fields) < 5 or len(tail) < 3:
                    continue
                if tail[0] in ("cgroup", "cgroup2"):
                    root = _unescape_mount_path(fields[3])
                    point = _unescape_mount_path(fields[4])
                    mounts.append((tail[0], root, point, set(tail[2].split(","))))
    except OSError:
        return []
    return mounts


def _own_cgroups() -> list[tuple[str, str]]:
    """``(controllers, path)`` of each line of ``/proc/self/cgroup``."""
    entries = []
    try:
        with open("/proc/self/cgroup", encoding="utf-8", errors="replace") as cgroup:
            for line in cgroup:
                parts = line.rstrip("\n").split(":", 2)
                if len(parts) == 3:
                    entries.append((parts[1], parts[2]))
    except OSError:
        return []
    return entries


def locate(
    version: int, cgroup_path: str, root: str, point: str, usage: str, limit: str
) -> CgroupFiles | None:
    """The files of the cgroup at ``cgroup_path``, seen through a mount of ``root`` at ``point``."""
    candidates = []
    if cgroup_path == root or cgroup_path.startswith(root.rstrip("/") + "/"):
        relative = cgroup_path[len(root) :].strip("/")
        candidates.append(os.path.join(point, relative) if relative else point)
    # In a cgroup namespace the path may not be under the mount's root: the mount point
    # itself is then the process's cgroup.
    candidates.append(point)
    for directory in candidates:
        current = os.path.join(directory, usage)
        if os.path.isfile(current):
            limits = []
            walk = directory
            while True:
                if os.path.isfile(os.path.join(walk, limit)):
                    limits.append(os.path.join(walk, limit))
                if os.path.normpath(walk) == os.path.normpath(point):
                    break
                walk = os.path.dirname(walk)
            return CgroupFiles(version, limit, directory, current, tuple(limits))
    return None


@functools.lru_cache(maxsize=1)
def cgroup_files() -> CgroupFiles | None:
    """This process's memory cgroup: v2 if it has the memory controller, else v1; or None."""
    if not sys.platform.startswith("linux"):
        return None
    own = _own_cgroups()
    mounts = _cgroup_mounts()
    for controllers, path in own:
        if controllers == "":
            for fstype, root, point, _ in mounts:
                if fstype == "cgroup2":
                    found = locate(2, path, root, point, V2_USAGE, V2_LIMIT)
                    if found:
                        return found
    for controllers, path in own:
        if "memory" in controllers.split(","):
            for fstype, root, point, options in mounts:
                if fstype == "cgroup" and "memory" in options:
                    found = locate(1, path, root, point, V1_USAGE, V1_LIMIT)
                    if found:
                        return found
    return None


def _read_bytes(path: str) -> int | None:
    """A cgroup size file in bytes; None for "max", a v1 "unlimited" or an unreadable file."""
    try:
        with open(path, "rb") as file:
            text = file.read().strip()
    except OSError:
        return None
    if not text.isdigit():
        return None
    value = int(text)
    return value if value < UNLIMITED else None


def cgroup_memory() -> tuple[int | None, int | None]:
    """``(current, limit)`` of this process's memory cgroup in bytes.

    ``current`` counts everything charged to the cgroup (all its processes, page cache
    included). ``limit`` is the tightest limit over the cgroup and its ancestors, None when
    none is set. Both are None outside a memory cgroup.
    """
    files = cgroup_files()
    return (None, None) if files is None else read_cgroup(files)


def read_cgroup(files: CgroupFiles) -> tuple[int | None, int | None]:
    """``(current, limit)`` from a cgroup's files, as :func:`cgroup_memory` reads them."""
    limits = [value for value in map(_read_bytes, files.limits) if value is not None]
    return _read_bytes(files.current), min(limits) if limits else None
