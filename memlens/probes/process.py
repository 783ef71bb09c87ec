"""Memory readings of the current process: measure only, no model and no comms.

Sizes are in bytes. Each reading takes the cheapest exact source the platform has
(``/proc`` on Linux) and falls back to psutil when it is importable, then to the
standard library, then to None. Standard library only; psutil is optional.

The readings a cell recorder takes around every cell are cheap: /proc/self/status is
kept open and re-read with ``pread`` (~8 µs), a VmHWM reset is one ``write`` (~1 µs),
glibc's ``mallinfo2()`` one ctypes call (~1 µs). pymalloc's statistics
(:func:`pymalloc_stats`) walk every pool, tens of µs for a small heap and more for a
large one, so callers read them only when something moved.
"""

from __future__ import annotations

import functools
import os
import platform
import re
import sys
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from ..wire.protocol import MemorySnapshot, Probe

if TYPE_CHECKING:
    import ctypes

PROC_STATUS = "/proc/self/status"
PROC_STATM = "/proc/self/statm"
CLEAR_REFS = "/proc/self/clear_refs"

try:
    _PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
except (AttributeError, ValueError, OSError):
    _PAGE_SIZE = 4096

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


class _GilHoldingCalls:
    """libc's ``pread`` and ``write`` called without releasing the GIL.

    ``os.pread`` and ``os.write`` release the GIL around the system call. In a kernel, a
    cell's hooks run just when other threads (iopub, the shell channel) are busy with the
    cell's messages, so each release can hand the GIL away for a context switch or more:
    hundreds of µs for calls that take a few. A /proc read does not block, so holding the
    GIL through it is harmless. Falls back to ``os`` where ctypes or libc is missing.
    """

    def __init__(self) -> None:
        self._pread: Any = None
        self._write: Any = None
        self._buffer: Any = None
        self._string_at: Any = None
        self._lock = threading.Lock()
        try:
            import ctypes

            libc = ctypes.PyDLL(None)  # a PyDLL keeps the GIL during calls
            pread, write = libc.pread, libc.write
        except (ImportError, OSError, AttributeError, TypeError):
            return
        pread.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_long]
        pread.restype = ctypes.c_ssize_t
        write.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
        write.restype = ctypes.c_ssize_t
        self._pread, self._write = pread, write
        self._buffer = ctypes.create_string_buffer(8192)
        self._string_at = ctypes.string_at

    def pread(self, fd: int, size: int) -> bytes:
        if self._pread is None or size > 8192:
            return os.pread(fd, size, 0)
        with self._lock:  # one shared buffer
            count = self._pread(fd, self._buffer, size, 0)
            if count < 0:
                raise OSError(f"pread of fd {fd} failed")
            data: bytes = self._string_at(self._buffer, count)
            return data

    def write(self, fd: int, data: bytes) -> None:
        if self._write is None:
            os.write(fd, data)
        elif self._write(fd, data, len(data)) < 0:
            raise OSError(f"write to fd {fd} failed")


_calls = _GilHoldingCalls()


class _ProcFile:
    """A file of ``/proc/self`` kept open, so a reading is one ``pread`` (or ``write``).

    ``/proc/self`` names the process that opened the file, so the descriptor is reopened
    when the process id changes (a forked child must not read its parent). Opened with
    close-on-exec, as Python opens every file.
    """

    def __init__(self, path: str, flags: int) -> None:
        self._path = path
        self._flags = flags
        self._fd = -1
        self._pid = -1
        self.broken = False
        """Set once opening, reading or writing failed: the file is not used again."""

    def fd(self) -> int:
        """The open descriptor; -1 where the file cannot be opened."""
        pid = os.getpid()
        if self._pid != pid:
            self._pid = pid  # a descriptor inherited over fork is not ours to close
            try:
                self._fd = os.open(self._path, self._flags)
            except OSError:
                self._fd = -1
                self.broken = True
        return self._fd

    def read(self, size: int = 4096) -> bytes:
        """The file's text from its start; b"" where it cannot be read."""
        if self.broken:
            return b""
        fd = self.fd()
        if fd < 0:
            return b""
        try:
            return _calls.pread(fd, size)
        except OSError:
            self.broken = True
            return b""

    def write(self, data: bytes) -> bool:
        """Write ``data``; False (and never again) where that fails."""
        if self.broken:
            return False
        fd = self.fd()
        if fd < 0:
            return False
        try:
            _calls.write(fd, data)
        except OSError:
            self.broken = True
            return False
        return True


_status = _ProcFile(PROC_STATUS, os.O_RDONLY)
_statm = _ProcFile(PROC_STATM, os.O_RDONLY)
_clear_refs = _ProcFile(CLEAR_REFS, os.O_WRONLY)


def _kib_field(text: bytes, name: bytes) -> int | None:
    """The value of a ``Name:   1234 kB`` line of /proc/self/status, in bytes."""
    start = text.find(name)
    if start < 0:
        return None
    end = text.find(b" kB", start)
    try:
        return int(text[start + len(name) : end]) * 1024
    except ValueError:
        return None


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
    """``(VmRSS, VmHWM)`` in bytes from one read of /proc/self/status (~8 µs).

    VmHWM is the highest RSS since the process started or since memlens last reset it
    (see :func:`read_and_reset_hwm`); it is folded into the lifetime peak. Where there is
    no /proc, RSS comes from psutil (if importable) and VmHWM is None.
    """
    text = _status.read()
    if not text:
        return _psutil_rss(), None
    hwm = _kib_field(text, b"VmHWM:")
    _lifetime_peak.fold(hwm)
    return _kib_field(text, b"VmRSS:"), hwm


def read_and_reset_hwm() -> tuple[int | None, int | None, bool]:
    """``(VmRSS, VmHWM, reset)``: read both, then reset VmHWM to the current RSS.

    The reset writes ``5`` to /proc/self/clear_refs (Linux >= 4.0, ~1 µs), so that the
    next VmHWM reading is the exact peak since now. ``reset`` is False where that is not
    possible; the VmHWM read here is folded into the lifetime peak first, so
    :func:`rss_peak` stays the process's true peak.
    """
    with _hwm_lock:
        current, hwm = rss_and_hwm()
        reset = hwm is not None and _clear_refs.write(b"5")
    return current, hwm, reset


def exact_peak_possible() -> bool:
    """Whether VmHWM can be read and reset here (False once a reset has failed)."""
    return not _clear_refs.broken and not _status.broken and _status.read() != b""


def statm_rss() -> int | None:
    """Resident set size from /proc/self/statm (~1.5 µs; what a sampler polls), in bytes."""
    text = _statm.read(256)
    if not text:
        return _psutil_rss()
    try:
        return int(text.split()[1]) * _PAGE_SIZE
    except (IndexError, ValueError):
        return None


def rss() -> int | None:
    """Resident set size now, in bytes; None where it cannot be read."""
    return rss_and_hwm()[0]


def rss_peak() -> int | None:
    """Highest resident set size since the process started, in bytes; None if unknown.

    VmHWM, or the highest VmHWM memlens saw before resetting it for a per-cell peak;
    ``getrusage`` where there is no /proc.
    """
    _, hwm = rss_and_hwm()
    if hwm is None:
        return _rusage_peak()
    return max(hwm, _lifetime_peak.value)


class PeakSampler:
    """The sampled peak where there is no exact one: a daemon thread polls RSS.

    Used only where VmHWM cannot be reset. The thread polls every ``interval`` seconds
    while :meth:`start` is in effect and sleeps otherwise. It needs the GIL to run, so it
    misses peaks shorter than the interval and peaks inside long C calls that hold the
    GIL: a sampled peak is a lower bound.
    """

    def __init__(self, interval: float = 0.01, read: Callable[[], int | None] = statm_rss):
        self.interval = interval
        self._read = read
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._running = 0
        self._highest: int | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin (or keep) polling; calls nest with :meth:`stop`."""
        with self._lock:
            self._running += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="memlens-peak-sampler", daemon=True
                )
                self._thread.start()
            self._wake.notify_all()

    def stop(self) -> None:
        """Undo one :meth:`start`; the thread sleeps when none is left."""
        with self._lock:
            self._running = max(0, self._running - 1)

    def take(self) -> int | None:
        """The highest RSS polled since the last take, in bytes; None if none was polled."""
        with self._lock:
            highest, self._highest = self._highest, None
        return highest

    def _loop(self) -> None:
        while True:
            with self._lock:
                while not self._running:
                    self._wake.wait()
            try:
                size = self._read()
            except Exception:
                size = None
            if size is not None:
                with self._lock:
                    if self._highest is None or size > self._highest:
                        self._highest = size
            time.sleep(self.interval)


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

    function = ctypes.PyDLL(None).mallinfo2  # keeps the GIL: see _GilHoldingCalls
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


def heap_counters() -> tuple[int, int] | None:
    """glibc malloc's ``(in use, held free)`` in bytes, from one ``mallinfo2()`` call.

    In use is ``uordblks + hblkhd``: chunks handed out from the heaps plus chunks mmapped
    on their own (large blocks, e.g. the buffers of big bytes objects or arrays). Held
    free is ``fordblks``: free chunks the allocator keeps, which RSS may still count.
    None without glibc 2.33+. Costs ~1 µs plus a walk over the free lists.
    """
    function = _mallinfo2()
    if function is None:
        return None
    info = function()
    return info.uordblks + info.hblkhd, info.fordblks


# -- pymalloc -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PymallocStats:
    """CPython's small-object allocator (pymalloc), in bytes, from its debug statistics.

    pymalloc serves objects of up to 512 bytes from 16 KiB pools carved out of arenas it
    maps from the OS itself (not through malloc, so glibc's counters never see them).
    """

    allocated: int
    """Bytes in blocks handed out: small objects alive now."""
    available: int
    """Bytes in free blocks of pools that are in use (fragmentation inside pools)."""
    free_pools: int
    """Bytes in pools no block is used of, inside arenas pymalloc keeps."""
    arenas: int
    """Bytes of all arenas pymalloc holds (allocated + free + overheads)."""

    @property
    def free(self) -> int:
        """Bytes pymalloc holds free: free blocks in used pools plus unused pools."""
        return self.available + self.free_pools


_STAT_LINE = re.compile(r"^(.*?)\s*=\s*([\d,]+)\s*$")


def parse_pymalloc_stats(text: str) -> PymallocStats | None:
    """Read :class:`PymallocStats` from the text ``_PyObject_DebugMallocStats`` writes.

    The format is not a stable interface, so this reads only the lines it knows (``# bytes
    in allocated blocks``, ``# bytes in available blocks``, ``N unused pools * S bytes``,
    ``N arenas * S bytes/arena``) and returns None unless it found the first three.
    """
    values: dict[str, int] = {}
    for line in text.splitlines():
        match = _STAT_LINE.match(line)
        if match is None:
            continue
        label = " ".join(match.group(1).split())
        try:
            number = int(match.group(2).replace(",", ""))
        except ValueError:
            continue
        if label == "# bytes in allocated blocks":
            values["allocated"] = number
        elif label == "# bytes in available blocks":
            values["available"] = number
        elif label.endswith(" bytes") and "unused pools *" in label:
            values["free_pools"] = number
        elif label.endswith(" bytes/arena") and "arenas *" in label:
            values["arenas"] = number
    if not {"allocated", "available", "free_pools"} <= values.keys():
        return None
    return PymallocStats(
        allocated=values["allocated"],
        available=values["available"],
        free_pools=values["free_pools"],
        arenas=values.get("arenas", 0),
    )


@functools.lru_cache(maxsize=1)
def _debug_malloc_stats() -> Callable[[], bytes] | None:
    """A function returning what ``_PyObject_DebugMallocStats`` writes, or None.

    The statistics go to a ``FILE*`` from libc's ``open_memstream`` (an in-memory buffer):
    never to stderr, which a kernel forwards into the user's cell. ``sys._debugmallocstats``
    is never used, for that reason. Called through ``ctypes.pythonapi``, so the GIL is held
    while pymalloc's pools are walked.
    """
    try:
        import ctypes

        libc = ctypes.PyDLL(None)  # keeps the GIL: see _GilHoldingCalls
        open_memstream = libc.open_memstream
        fclose = libc.fclose
        free = libc.free
        stats = ctypes.pythonapi._PyObject_DebugMallocStats
    except (ImportError, OSError, AttributeError, TypeError):
        return None
    open_memstream.restype = ctypes.c_void_p
    open_memstream.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_size_t)]
    fclose.argtypes = [ctypes.c_void_p]
    fclose.restype = ctypes.c_int
    free.argtypes = [ctypes.c_void_p]
    free.restype = None
    stats.argtypes = [ctypes.c_void_p]
    stats.restype = ctypes.c_int

    def read() -> bytes:
        buffer = ctypes.c_void_p()
        size = ctypes.c_size_t()
        stream = open_memstream(ctypes.byref(buffer), ctypes.byref(size))
        if not stream:
            return b""
        written = 0
        try:
            written = stats(stream)
        finally:
            fclose(stream)  # flushes: buffer and size are final only now
            text = ctypes.string_at(buffer.value, size.value) if buffer.value else b""
            free(buffer)
        return text if written else b""

    return read


def pymalloc_stats() -> PymallocStats | None:
    """pymalloc's bytes in use and held free; None where they cannot be read quietly.

    Walks every pool of every arena and formats a report: tens of µs for a small heap,
    some hundreds for a heap of gigabytes of small objects, so recorders read it only when
    a cell moved memory. None without pymalloc (e.g. ``PYTHONMALLOC=malloc``, or a build
    using another allocator), without ``open_memstream``, or if the format is not known.
    """
    read = _debug_malloc_stats()
    if read is None:
        return None
    try:
        text = read()
    except Exception:
        return None
    return parse_pymalloc_stats(text.decode("ascii", "replace"))


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


def _pymalloc_probe() -> Probe:
    method = "_PyObject_DebugMallocStats into open_memstream"
    if _debug_malloc_stats() is None:
        return _probe("pymalloc", False, method, "no _PyObject_DebugMallocStats or open_memstream")
    if pymalloc_stats() is None:
        return _probe("pymalloc", False, method, "pymalloc is not in use or its report is unknown")
    return _probe("pymalloc", True, method, f"Python {platform.python_version()}")


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
        _pymalloc_probe(),
    ]


def snapshot() -> MemorySnapshot:
    """Process memory now: RSS, its peak since the process started (see :func:`rss_peak`)
    and the cgroup's use and limit, in bytes."""
    now = time.time()
    current_rss, hwm = rss_and_hwm()
    peak = _rusage_peak() if hwm is None else max(hwm, _lifetime_peak.value)
    current, limit = cgroup_memory()
    return {
        "time": now,
        "rss": current_rss,
        "rss_peak": peak,
        "cgroup_current": current,
        "cgroup_limit": limit,
    }
