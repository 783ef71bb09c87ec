"""What the allocators hold: glibc malloc's counters and pymalloc's statistics, in bytes.

glibc's ``mallinfo2()`` is one call. pymalloc's statistics walk every pool of every arena,
far costlier on a large heap, so callers read them only when something moved.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Callable

from . import libc
from .process import rss


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
    function = libc.function("mallinfo2")
    if function is None:
        return None
    import ctypes

    class Mallinfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in _MALLINFO2_FIELDS]

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
    None without glibc 2.33+. Costs one call plus a walk over malloc's free lists.
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
    open_memstream = libc.function("open_memstream")
    fclose = libc.function("fclose")
    free = libc.function("free")
    if open_memstream is None or fclose is None or free is None:
        return None
    import ctypes

    stats = getattr(ctypes.pythonapi, "_PyObject_DebugMallocStats", None)
    if stats is None:
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

    Walks every pool of every arena and formats a report, which takes longer the larger
    the heap of small objects, so recorders read it only when a cell moved memory. None
    without pymalloc (e.g. ``PYTHONMALLOC=malloc``, or a build using another allocator),
    without ``open_memstream``, or if the format is not known.
    """
    read = _debug_malloc_stats()
    if read is None:
        return None
    try:
        text = read()
    except Exception:
        return None
    return parse_pymalloc_stats(text.decode("ascii", "replace"))


def debug_malloc_stats_available() -> bool:
    """Whether pymalloc's report can be written to memory here (see :func:`pymalloc_stats`)."""
    return _debug_malloc_stats() is not None


# -- giving free memory back --------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _malloc_trim() -> Any:
    """glibc's ``malloc_trim`` set up for calls, or None where it is missing."""
    function = libc.function("malloc_trim")
    if function is None:
        return None
    import ctypes

    function.argtypes = [ctypes.c_size_t]
    function.restype = ctypes.c_int
    return function


class _Trimmed:
    """The bytes memlens' last ``malloc_trim`` gave back (the RSS drop it caused).

    A trim returns the pages of free chunks to the OS, but the chunks stay on malloc's
    free lists, so ``fordblks`` still counts them: up to this many of its free bytes are
    not resident (until reused: chunks reused since bring ``fordblks`` down first).
    """

    returned = 0


def malloc_trim() -> bool | None:
    """``malloc_trim(0)``: return every free page glibc can to the OS (the top of each
    heap and whole pages inside free chunks; not the free parts of pages a live chunk
    shares). pymalloc's free pools are not malloc's and stay. True if memory was released,
    None without glibc's ``malloc_trim``."""
    function = _malloc_trim()
    if function is None:
        return None
    before = rss()
    released = bool(function(0))
    after = rss()
    if before is not None and after is not None:
        _Trimmed.returned = max(0, before - after)
    return released


def resident_malloc_free(free: int) -> int:
    """Of glibc's ``free`` bytes now, an estimate of those still resident: all of them
    unless memlens trimmed; after a trim, less what the trim gave back (see
    :class:`_Trimmed`)."""
    return max(0, free - _Trimmed.returned)
