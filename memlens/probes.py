"""Memory readings of the current process: measure only, no model and no comms.

Sizes are in bytes. Each reading takes the cheapest exact source the platform has
(``/proc`` on Linux) and falls back to psutil when it is importable, then to the
standard library, then to None. Standard library only; psutil is optional.
"""

from __future__ import annotations

import functools
import os
import platform
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .protocol import MemorySnapshot, Probe

if TYPE_CHECKING:
    import ctypes

PROC_STATUS = "/proc/self/status"
CLEAR_REFS = "/proc/self/clear_refs"

# A cgroup v1 limit at or above this means "no limit" (the kernel reports
# PAGE_COUNTER_MAX pages, 9223372036854771712 bytes on x86-64).
_UNLIMITED = 1 << 60


# -- RSS and peak -------------------------------------------------------------------------


def _proc_status() -> dict[str, int]:
    """The ``Vm*`` sizes of ``/proc/self/status`` in bytes; empty where there is none."""
    sizes: dict[str, int] = {}
    try:
        with open(PROC_STATUS, "rb") as status:
            for line in status:
                if line.startswith(b"Vm") and line.endswith(b" kB\n"):
                    name, _, value = line.partition(b":")
                    sizes[name.decode("ascii")] = int(value[:-4]) * 1024
    except (OSError, ValueError):
        return {}
    return sizes


@functools.lru_cache(maxsize=1)
def _psutil_process() -> Any:
    """This process as a ``psutil.Process``, or None without psutil."""
    try:
        import psutil
    except ImportError:
        return None
    return psutil.Process()


def _psutil_rss() -> int | None:
    process = _psutil_process()
    if process is None:
        return None
    try:
        return int(process.memory_info().rss)
    except Exception:
        return None


def _rusage_peak() -> int | None:
    """Lifetime peak RSS from getrusage (KiB on Linux, bytes on macOS)."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


def rss() -> int | None:
    """Resident set size now, in bytes; None where it cannot be read."""
    return _proc_status().get("VmRSS", None) or _psutil_rss()


def rss_peak() -> int | None:
    """Highest resident set size so far (VmHWM), in bytes; None where it cannot be read."""
    return _proc_status().get("VmHWM", None) or _rusage_peak()


# -- cgroup -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CgroupFiles:
    """Where this process's cgroup reports its memory use and limits."""

    version: int
    """1 or 2."""
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


def _locate(
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
            return CgroupFiles(version, directory, current, tuple(limits))
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
                    found = _locate(2, path, root, point, "memory.current", "memory.max")
                    if found:
                        return found
    for controllers, path in own:
        if "memory" in controllers.split(","):
            for fstype, root, point, options in mounts:
                if fstype == "cgroup" and "memory" in options:
                    found = _locate(
                        1, path, root, point, "memory.usage_in_bytes", "memory.limit_in_bytes"
                    )
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
    return value if value < _UNLIMITED else None


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


# -- glibc --------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL | None:
    """The C library of this process, if it is glibc."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version.restype = ctypes.c_char_p
    except (ImportError, OSError, TypeError, AttributeError):
        return None
    return libc


def glibc_version() -> str | None:
    """The running glibc's version, e.g. ``"2.36"``; None on another C library."""
    libc = _libc()
    if libc is None:
        return None
    version: bytes = libc.gnu_get_libc_version()
    return version.decode("ascii", "replace")


def _has_symbol(name: str) -> bool:
    libc = _libc()
    return libc is not None and hasattr(libc, name)


@dataclass(frozen=True)
class AllocatorStats:
    """glibc malloc's own accounting (``mallinfo2``), in bytes, over all arenas."""

    arena: int
    """Bytes obtained from the OS with brk/mmap for the heaps (not mmapped chunks)."""
    in_use: int
    """Bytes in chunks handed out (``uordblks``)."""
    free: int
    """Bytes the allocator holds free: fragmentation RSS may still count (``fordblks``)."""
    mmapped: int
    """Bytes in chunks mmapped on their own (``hblkhd``), returned to the OS when freed."""
    releasable: int
    """Free bytes at the top of the main heap that trimming would return (``keepcost``)."""


_MALLINFO2_FIELDS = (
    "arena",
    "ordblks",
    "smblks",
    "hblks",
    "hblkhd",
    "usmblks",
    "fsmblks",
    "uordblks",
    "fordblks",
    "keepcost",
)


@functools.lru_cache(maxsize=1)
def _mallinfo2() -> Any:
    """glibc's ``mallinfo2`` set up to return its struct, or None where it is missing."""
    libc = _libc()
    if libc is None or not hasattr(libc, "mallinfo2"):
        return None
    import ctypes

    class Mallinfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in _MALLINFO2_FIELDS]

    function = libc.mallinfo2
    function.restype = Mallinfo2
    function.argtypes = []
    return function


def allocator_stats() -> AllocatorStats | None:
    """glibc's ``mallinfo2()``; None without glibc 2.33+. Never uses ``mallinfo`` (it wraps)."""
    function = _mallinfo2()
    if function is None:
        return None
    info = function()
    return AllocatorStats(
        arena=info.arena,
        in_use=info.uordblks,
        free=info.fordblks,
        mmapped=info.hblkhd,
        releasable=info.keepcost,
    )


# -- what this kernel supports ------------------------------------------------------------


def _linux_at_least(major: int, minor: int) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    numbers = []
    for part in platform.release().split(".")[:2]:
        digits = "".join(c for c in part if c.isdigit()) or "0"
        numbers.append(int(digits))
    return tuple(numbers) >= (major, minor)


def _probe(name: str, available: bool, method: str, detail: str = "") -> Probe:
    return {"name": name, "available": available, "method": method, "detail": detail}


def _rss_probe(status: dict[str, int]) -> Probe:
    if "VmRSS" in status:
        return _probe("rss", True, "/proc/self/status VmRSS")
    if _psutil_rss() is not None:
        return _probe("rss", True, "psutil memory_info().rss")
    return _probe("rss", False, "none", "no /proc/self/status and no psutil")


def _exact_peak_probe(status: dict[str, int]) -> Probe:
    method = "/proc/self/clear_refs + VmHWM"
    if not sys.platform.startswith("linux"):
        return _probe("exact_peak", False, method, f"not Linux ({sys.platform})")
    if not _linux_at_least(4, 0):
        return _probe("exact_peak", False, method, f"Linux {platform.release()} < 4.0")
    if "VmHWM" not in status:
        return _probe("exact_peak", False, method, "no VmHWM in /proc/self/status")
    if not os.access(CLEAR_REFS, os.W_OK):
        return _probe("exact_peak", False, method, "/proc/self/clear_refs is not writable")
    return _probe("exact_peak", True, method, f"Linux {platform.release()}")


def _glibc_probe(name: str, symbol: str, method: str, since: str) -> Probe:
    version = glibc_version()
    if version is None:
        return _probe(name, False, method, "not glibc")
    if not _has_symbol(symbol):
        return _probe(name, False, method, f"glibc {version} < {since}")
    return _probe(name, True, method, f"glibc {version}")


def _psutil_probe() -> Probe:
    try:
        import psutil
    except ImportError:
        return _probe("psutil", False, "psutil", "not installed")
    return _probe("psutil", True, "psutil", f"psutil {psutil.__version__}")


def _cgroup_probe() -> Probe:
    files = cgroup_files()
    if files is None:
        return _probe("cgroup", False, "cgroup memory controller", "no memory cgroup found")
    usage = os.path.basename(files.current)
    limit = "memory.max" if files.version == 2 else "memory.limit_in_bytes"
    return _probe("cgroup", True, f"cgroup v{files.version} {usage} + {limit}", files.directory)


def _tracemalloc_probe() -> Probe:
    import tracemalloc

    if not hasattr(tracemalloc, "reset_peak"):
        return _probe("tracemalloc", False, "tracemalloc", "no reset_peak (Python < 3.9)")
    return _probe(
        "tracemalloc", True, "tracemalloc", "tracing" if tracemalloc.is_tracing() else "off"
    )


def probe_report() -> list[Probe]:
    """What this kernel can measure, and how: one entry per probe, in a fixed order."""
    status = _proc_status()
    return [
        _rss_probe(status),
        _exact_peak_probe(status),
        _glibc_probe("mallinfo2", "mallinfo2", "glibc mallinfo2()", "2.33"),
        _glibc_probe("malloc_trim", "malloc_trim", "glibc malloc_trim(0)", "2.0"),
        _psutil_probe(),
        _cgroup_probe(),
        _tracemalloc_probe(),
    ]


def snapshot() -> MemorySnapshot:
    """Process memory now: RSS, its peak so far and the cgroup's use and limit, in bytes."""
    now = time.time()
    status = _proc_status()
    current, limit = cgroup_memory()
    return {
        "time": now,
        "rss": status.get("VmRSS", None) or _psutil_rss(),
        "rss_peak": status.get("VmHWM", None) or _rusage_peak(),
        "cgroup_current": current,
        "cgroup_limit": limit,
    }
