"""Which probes this kernel has, and how each one measures."""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import dataclass

from . import libc
from .allocators import debug_malloc_stats_available, pymalloc_stats
from .cgroup import cgroup_files
from .process import psutil_rss
from .procfile import CLEAR_REFS, proc_status

EXACT_PEAK_SINCE_LINUX = (4, 0)
"""The first Linux whose /proc/self/clear_refs resets VmHWM."""


@dataclass(frozen=True)
class Capability:
    """One probe: whether it is available here, how it measures, and why (not)."""

    name: str
    available: bool
    method: str
    """The source it reads, e.g. ``/proc/self/status VmRSS``."""
    detail: str = ""
    """The version that makes it work, or the reason it is missing."""


def _linux_at_least(version: tuple[int, int]) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    numbers = []
    for part in platform.release().split(".")[:2]:
        digits = "".join(c for c in part if c.isdigit()) or "0"
        numbers.append(int(digits))
    return tuple(numbers) >= version


def _rss(status: dict[str, int]) -> Capability:
    if "VmRSS" in status:
        return Capability("rss", True, "/proc/self/status VmRSS")
    if psutil_rss() is not None:
        return Capability("rss", True, "psutil memory_info().rss")
    return Capability("rss", False, "none", "no /proc/self/status and no psutil")


def _exact_peak(status: dict[str, int]) -> Capability:
    method = f"{CLEAR_REFS} + VmHWM"
    if not sys.platform.startswith("linux"):
        return Capability("exact_peak", False, method, f"not Linux ({sys.platform})")
    if not _linux_at_least(EXACT_PEAK_SINCE_LINUX):
        since = ".".join(map(str, EXACT_PEAK_SINCE_LINUX))
        return Capability("exact_peak", False, method, f"Linux {platform.release()} < {since}")
    if "VmHWM" not in status:
        return Capability("exact_peak", False, method, "no VmHWM in /proc/self/status")
    if not os.access(CLEAR_REFS, os.W_OK):
        return Capability("exact_peak", False, method, f"{CLEAR_REFS} is not writable")
    return Capability("exact_peak", True, method, f"Linux {platform.release()}")


def _glibc(name: str, method: str, since: str) -> Capability:
    version = libc.glibc_version()
    if version is None:
        return Capability(name, False, method, "not glibc")
    if not libc.has_symbol(name):
        return Capability(name, False, method, f"glibc {version} < {since}")
    return Capability(name, True, method, f"glibc {version}")


def _psutil() -> Capability:
    try:
        import psutil
    except ImportError:
        return Capability("psutil", False, "psutil", "not installed")
    return Capability("psutil", True, "psutil", f"psutil {psutil.__version__}")


def _cgroup() -> Capability:
    files = cgroup_files()
    if files is None:
        return Capability("cgroup", False, "cgroup memory controller", "no memory cgroup found")
    usage = os.path.basename(files.current)
    method = f"cgroup v{files.version} {usage} + {files.limit_name}"
    return Capability("cgroup", True, method, files.directory)


def _pymalloc() -> Capability:
    method = "_PyObject_DebugMallocStats into open_memstream"
    if not debug_malloc_stats_available():
        return Capability(
            "pymalloc", False, method, "no _PyObject_DebugMallocStats or open_memstream"
        )
    if pymalloc_stats() is None:
        return Capability(
            "pymalloc", False, method, "pymalloc is not in use or its report is unknown"
        )
    return Capability("pymalloc", True, method, f"Python {platform.python_version()}")


def _tracemalloc() -> Capability:
    import tracemalloc

    if not hasattr(tracemalloc, "reset_peak"):
        return Capability("tracemalloc", False, "tracemalloc", "no reset_peak (Python < 3.9)")
    state = "tracing" if tracemalloc.is_tracing() else "off"
    return Capability("tracemalloc", True, "tracemalloc", state)


def capabilities() -> list[Capability]:
    """What this kernel can measure, and how: one entry per probe, in a fixed order."""
    status = proc_status()
    return [
        _rss(status),
        _exact_peak(status),
        _glibc("mallinfo2", "glibc mallinfo2()", "2.33"),
        _glibc("malloc_trim", "glibc malloc_trim(0)", "2.0"),
        _psutil(),
        _cgroup(),
        _tracemalloc(),
        _pymalloc(),
    ]
