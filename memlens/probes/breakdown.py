"""What this process's resident memory is made of, by kind of page, in bytes (Linux).

``/proc/self/smaps_rollup`` sums every mapping's resident pages in one read: ``Rss`` and
its ``Anonymous`` share (the heap, pymalloc's arenas, large mmapped blocks: everything
Python objects and native buffers live in). The rest of RSS is file-backed or shared
memory: the interpreter, extension modules and libraries, their code and read-only data,
memory-mapped files and ``/dev/shm``. Reading it walks the page tables (a few ms for GBs).

The GPU runtime is looked for only among the mappings: the CUDA driver maps
``/dev/nvidia*`` and its libraries into a process once a library initialised it, so their
resident pages are found without ever touching a GPU. Its host-side heap is anonymous
memory, not told apart from the rest: the GPU part is a lower bound.
"""

from __future__ import annotations

from dataclasses import dataclass

SMAPS_ROLLUP = "/proc/self/smaps_rollup"
STATUS = "/proc/self/status"
GPU_MARKERS = ("/dev/nvidia", "libcuda", "libnvidia", "libcudart", "/dev/dri", "/dev/kfd")
"""Names of mappings that belong to a GPU runtime (NVIDIA's driver and runtime, DRM, ROCm)."""


@dataclass(frozen=True)
class ResidentKinds:
    """RSS split by kind of page, in bytes."""

    rss: int
    anonymous: int
    """Resident anonymous pages: heaps, arenas, mmapped blocks, private dirty copies."""
    file_backed: int
    """Resident pages of files and shared memory (``rss - anonymous``)."""


def _kib_fields(text: str) -> dict[str, int]:
    """``Name: N kB`` lines as bytes."""
    fields: dict[str, int] = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        parts = rest.split()
        if len(parts) == 2 and parts[1] == "kB" and parts[0].isdigit():
            fields[name.strip()] = int(parts[0]) * 1024
    return fields


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii", errors="replace") as file:
            return file.read()
    except OSError:
        return None


def parse_rollup(text: str) -> ResidentKinds | None:
    """:class:`ResidentKinds` from the text of ``smaps_rollup``; None without its fields."""
    fields = _kib_fields(text)
    if "Rss" not in fields or "Anonymous" not in fields:
        return None
    rss, anonymous = fields["Rss"], min(fields["Anonymous"], fields["Rss"])
    return ResidentKinds(rss=rss, anonymous=anonymous, file_backed=rss - anonymous)


def parse_status(text: str) -> ResidentKinds | None:
    """:class:`ResidentKinds` from ``/proc/self/status`` (``RssAnon``, ``RssFile``,
    ``RssShmem``: counters, slightly behind the page tables); None without them."""
    fields = _kib_fields(text)
    if "RssAnon" not in fields or "VmRSS" not in fields:
        return None
    rss, anonymous = fields["VmRSS"], min(fields["RssAnon"], fields["VmRSS"])
    return ResidentKinds(rss=rss, anonymous=anonymous, file_backed=rss - anonymous)


def resident_kinds() -> ResidentKinds | None:
    """RSS by kind of page now: from smaps_rollup (Linux 4.14+), else from the status
    file's counters; None where neither exists (not Linux)."""
    text = _read(SMAPS_ROLLUP)
    kinds = None if text is None else parse_rollup(text)
    if kinds is None:
        status = _read(STATUS)
        kinds = None if status is None else parse_status(status)
    return kinds


def parse_gpu_resident(smaps: str) -> int:
    """Resident bytes of the GPU runtime's mappings in the text of ``/proc/self/smaps``."""
    total, in_gpu = 0, False
    for line in smaps.splitlines():
        head = line.split(None, 1)[0] if line else ""
        if "-" in head and ":" not in head:  # a mapping's header: "start-end perms ... path"
            in_gpu = any(marker in line for marker in GPU_MARKERS)
        elif in_gpu and line.startswith("Rss:"):
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                total += int(parts[1]) * 1024
    return total


def gpu_resident() -> int | None:
    """Resident bytes of GPU runtime mappings; None when no GPU runtime is mapped (the
    common case: one read of /proc/self/maps, and smaps is read only when one is)."""
    maps = _read("/proc/self/maps")
    if maps is None or not any(marker in maps for marker in GPU_MARKERS):
        return None
    smaps = _read("/proc/self/smaps")
    return None if smaps is None else parse_gpu_resident(smaps)
