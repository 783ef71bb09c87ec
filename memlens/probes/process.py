"""This process's resident set size (RSS) and its peak, in bytes.

Each reading takes the cheapest exact source the platform has (``/proc`` on Linux) and
falls back to psutil when it is importable, then to the standard library, then to None.
The readings a cell recorder takes around every cell are cheap: /proc/self/status is kept
open and re-read with one ``pread``, and a VmHWM reset is one ``write``.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from .cgroup import cgroup_memory
from .procfile import STATM_READ_SIZE, clear_refs_file, kib_field, statm_file, status_file

RESET_HWM = b"5"
"""Written to /proc/self/clear_refs, resets VmHWM to the current RSS (Linux >= 4.0)."""

try:
    PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
except (AttributeError, ValueError, OSError):
    PAGE_SIZE = 4096


@functools.lru_cache(maxsize=1)
def psutil_process() -> Any:
    """This process as a ``psutil.Process``, or None without psutil."""
    try:
        import psutil
    except ImportError:
        return None
    return psutil.Process()


def psutil_rss() -> int | None:
    """RSS from psutil, in bytes; None without psutil or where it fails."""
    process = psutil_process()
    if process is None:
        return None
    try:
        return int(process.memory_info().rss)
    except Exception:
        return None


def rusage_peak() -> int | None:
    """Lifetime peak RSS from getrusage, in bytes (it reports KiB on Linux, bytes on macOS)."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


class _LifetimePeak:
    """The highest RSS this process has had, kept by memlens across VmHWM resets.

    Resetting VmHWM (:func:`read_and_reset_hwm`) forgets the process's peak, so every
    VmHWM reading is folded in here first; the kernel's own counter and this maximum
    together give the true peak since the process started.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def fold(self, size: int | None) -> None:
        if size is not None and size > self.value:
            with self._lock:
                if size > self.value:
                    self.value = size


_lifetime_peak = _LifetimePeak()
_hwm_lock = threading.Lock()
"""Held from a VmHWM reading to its reset, so no other thread's peak falls in between."""


def rss_and_hwm() -> tuple[int | None, int | None]:
    """``(VmRSS, VmHWM)`` in bytes from one read of /proc/self/status.

    VmHWM is the highest RSS since the process started or since memlens last reset it
    (see :func:`read_and_reset_hwm`); it is folded into the lifetime peak. Where there is
    no /proc, RSS comes from psutil (if importable) and VmHWM is None.
    """
    text = status_file.read()
    if not text:
        return psutil_rss(), None
    hwm = kib_field(text, b"VmHWM:")
    _lifetime_peak.fold(hwm)
    return kib_field(text, b"VmRSS:"), hwm


def read_and_reset_hwm() -> tuple[int | None, int | None, bool]:
    """``(VmRSS, VmHWM, reset)``: read both, then reset VmHWM to the current RSS.

    The reset writes to /proc/self/clear_refs (Linux >= 4.0), so that the next VmHWM
    reading is the exact peak since now. ``reset`` is False where that is not possible;
    the VmHWM read here is folded into the lifetime peak first, so :func:`rss_peak` stays
    the process's true peak.
    """
    with _hwm_lock:
        current, hwm = rss_and_hwm()
        reset = hwm is not None and clear_refs_file.write(RESET_HWM)
    return current, hwm, reset


def statm_rss() -> int | None:
    """RSS from /proc/self/statm (cheaper than the status file: what a sampler polls),
    in bytes."""
    text = statm_file.read(STATM_READ_SIZE)
    if not text:
        return psutil_rss()
    try:
        return int(text.split()[1]) * PAGE_SIZE
    except (IndexError, ValueError):
        return None


def rss() -> int | None:
    """Resident set size now, in bytes; None where it cannot be read."""
    return rss_and_hwm()[0]


def _peak_from(hwm: int | None) -> int | None:
    return rusage_peak() if hwm is None else max(hwm, _lifetime_peak.value)


def rss_peak() -> int | None:
    """Highest resident set size since the process started, in bytes; None if unknown.

    VmHWM, or the highest VmHWM memlens saw before resetting it for a per-cell peak;
    ``getrusage`` where there is no /proc.
    """
    return _peak_from(rss_and_hwm()[1])


@dataclass(frozen=True)
class MemoryReading:
    """Process memory at one moment; sizes in bytes, None where unknown."""

    time: float
    """When it was read, in seconds since the epoch."""
    rss: int | None
    rss_peak: int | None
    """The highest RSS since the process started (see :func:`rss_peak`)."""
    cgroup_current: int | None
    """Everything charged to this process's memory cgroup (see :func:`cgroup_memory`)."""
    cgroup_limit: int | None
    """The tightest limit of the cgroup and its ancestors; None when none is set."""


def memory_now() -> MemoryReading:
    """RSS, its peak since the process started and the cgroup's use and limit, now."""
    now = time.time()
    current_rss, hwm = rss_and_hwm()
    current, limit = cgroup_memory()
    return MemoryReading(now, current_rss, _peak_from(hwm), current, limit)
