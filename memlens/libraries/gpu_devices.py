"""What the GPU libraries the user imported report about the devices they already use.

Rules on top of the package's (never import, never run user code):

- a device is read only once a library has put it in use: torch after
  ``torch.cuda.is_initialized()``, and then only devices that hold a primary context
  (``torch._C._cuda_hasPrimaryContext``, the check torch's own tests use); JAX only when
  its GPU backend is in ``jax._src.xla_bridge._backends`` (filled by the user's first JAX
  call, never by memlens); CuPy only once the NVIDIA driver is open in this process (see
  :func:`driver_open`), so that no call here initializes CUDA. Almost any CUDA query made
  before the user's own (``torch.cuda.mem_get_info()``...) creates a context, ~0.5 GiB of
  the device: these checks come first, always.
- every figure is the library's own counter: torch's caching allocator
  (``memory_allocated``, ``memory_reserved``, ``max_memory_allocated``), CuPy's default
  pool (``used_bytes``, ``total_bytes``), JAX's ``Device.memory_stats()``.

Each reading is a :class:`LibraryReading` of one library on one device; memlens'
kernel side (:mod:`memlens.kernel.gpu`) adds them up per device.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable

from .lookup import library_module, module_dict

DEVICE_PREFIX = "cuda:"
_JAX_GPU_BACKENDS = ("cuda", "rocm", "gpu")


class LibraryReading:
    """One library's figures for one device, in bytes (None where it has none)."""

    __slots__ = (
        "allocated",
        "device",
        "free",
        "library",
        "name",
        "pci_bus",
        "peak",
        "reserved",
        "total",
    )

    def __init__(self, device: str, library: str) -> None:
        self.device = device
        """``cuda:N``: the CUDA index this process sees."""
        self.library = library
        self.allocated: int | None = None
        """Held by live tensors / arrays (the library's allocator)."""
        self.reserved: int | None = None
        """Taken from the device by the library's caching allocator (pool)."""
        self.peak: int | None = None
        """The library's peak counter of ``allocated`` (torch, JAX); None without one."""
        self.total: int | None = None
        """The device's memory (torch: ``mem_get_info``)."""
        self.free: int | None = None
        """Free on the whole device (torch: ``mem_get_info``)."""
        self.name: str | None = None
        self.pci_bus: str | None = None
        """``domain:bus:device.0`` in hex, to find the device in NVML."""

    def __repr__(self) -> str:
        return (
            f"LibraryReading({self.library} {self.device}: allocated={self.allocated},"
            f" reserved={self.reserved}, peak={self.peak})"
        )


def _function(namespace: dict[str, Any], name: str) -> Callable[..., Any] | None:
    found = namespace.get(name)
    return found if callable(found) else None


def torch_cuda() -> dict[str, Any] | None:
    """``torch.cuda``'s globals when torch has initialized CUDA in this process; else None
    (torch not imported, CUDA never initialized, or a forked child where it is unusable)."""
    cuda = library_module("torch.cuda")
    is_initialized = _function(cuda, "is_initialized")
    try:
        return cuda if is_initialized is not None and is_initialized() is True else None
    except Exception:
        return None


def torch_devices(cuda: dict[str, Any]) -> list[int]:
    """The CUDA indices on which torch's process holds a primary context (torch already
    initialized CUDA: see :func:`torch_cuda`)."""
    has_context = _function(
        module_dict(library_module("torch").get("_C")), "_cuda_hasPrimaryContext"
    )
    count = _function(cuda, "device_count")
    current = _function(cuda, "current_device")
    try:
        if has_context is None or count is None:
            return [] if current is None else [int(current())]
        return [index for index in range(int(count())) if has_context(index)]
    except Exception:
        return []


def torch_readings(*, full: bool = True) -> list[LibraryReading]:
    """torch's figures for each device it uses; [] unless torch initialized CUDA.

    ``full``: also the device's total and free memory (``mem_get_info``, safe on a device
    with a context), its name and PCI bus; without, only the allocator's counters (what a
    cell needs at its start and end)."""
    cuda = torch_cuda()
    if cuda is None:
        return []
    found: list[LibraryReading] = []
    # memory_allocated, memory_reserved and max_memory_allocated each build the whole
    # memory_stats() dict (the issue's ~78 µs): read it once and take the three.
    stats = _function(cuda, "memory_stats")
    info = _function(cuda, "mem_get_info")
    properties = _function(cuda, "get_device_properties")
    for index in torch_devices(cuda):
        reading = LibraryReading(f"{DEVICE_PREFIX}{index}", "torch")
        try:
            found_stats = stats(index) if stats is not None else {}
            reading.allocated = _int(found_stats.get("allocated_bytes.all.current", 0))
            reading.reserved = _int(found_stats.get("reserved_bytes.all.current", 0))
            reading.peak = _int(found_stats.get("allocated_bytes.all.peak", 0))
            if full and info is not None:
                free, total = info(index)
                reading.free, reading.total = int(free), int(total)
            if full and properties is not None:
                found_properties = properties(index)
                reading.name = str(found_properties.name)
                reading.pci_bus = pci_bus(found_properties)
        except Exception:
            pass
        found.append(reading)
    return found


def pci_bus(properties: Any) -> str | None:
    """``0:1a:0.0``: the PCI address torch's device properties give (torch 2.3+), in the
    form NVML's ``nvmlDeviceGetHandleByPciBusId`` accepts; None without it."""
    try:
        domain = int(properties.pci_domain_id)
        bus = int(properties.pci_bus_id)
        device = int(properties.pci_device_id)
    except Exception:
        return None
    return f"{domain:x}:{bus:x}:{device:x}.0"


def reset_torch_peaks(indices: list[int]) -> bool:
    """Reset torch's peak counter on these devices (``reset_peak_memory_stats``: global,
    what every other reader of ``max_memory_allocated`` sees too). Only called where torch
    initialized CUDA. True when done on all."""
    cuda = torch_cuda()
    reset = None if cuda is None else _function(cuda, "reset_peak_memory_stats")
    if reset is None:
        return False
    try:
        for index in indices:
            reset(index)
    except Exception:
        return False
    return True


def empty_torch_cache() -> bool:
    """``torch.cuda.empty_cache()`` where torch initialized CUDA; False where not done."""
    cuda = torch_cuda()
    empty = None if cuda is None else _function(cuda, "empty_cache")
    if empty is None:
        return False
    try:
        empty()
    except Exception:
        return False
    return True


def driver_open(fd_dir: str = "/proc/self/fd") -> bool:
    """Whether this process has the NVIDIA driver open (a descriptor on ``/dev/nvidiactl``,
    which the CUDA driver opens when it initializes): only then may CuPy's pool be asked,
    since its first query would otherwise initialize CUDA. Linux only; False elsewhere."""
    try:
        names = os.listdir(fd_dir)
    except OSError:
        return False
    for name in names:
        try:
            if os.readlink(os.path.join(fd_dir, name)) == "/dev/nvidiactl":
                return True
        except OSError:
            continue
    return False


def cupy_pool() -> Any:
    """CuPy's default memory pool when CuPy is imported and the driver is open; else None."""
    if "cupy" not in sys.modules:
        return None
    get_pool = _function(library_module("cupy"), "get_default_memory_pool")
    if get_pool is None or not driver_open():
        return None
    try:
        return get_pool()
    except Exception:
        return None


def cupy_readings() -> list[LibraryReading]:
    """CuPy's default pool on its current device, once it holds memory; [] otherwise.
    (Other devices' pools would need ``cudaSetDevice``, which creates a context: not read.)"""
    pool = cupy_pool()
    device_id = _function(library_module("cupy.cuda.device"), "get_device_id")
    if pool is None or device_id is None:
        return []
    try:
        reserved = int(pool.total_bytes())
        if reserved <= 0:
            return []
        reading = LibraryReading(f"{DEVICE_PREFIX}{int(device_id())}", "cupy")
        reading.reserved = reserved
        reading.allocated = int(pool.used_bytes())
    except Exception:
        return []
    return [reading]


def free_cupy_blocks() -> bool:
    """CuPy's default pool ``free_all_blocks()`` where it may be asked; False if not done."""
    pool = cupy_pool()
    if pool is None:
        return False
    try:
        pool.free_all_blocks()
    except Exception:
        return False
    return True


def jax_gpu_devices() -> list[Any]:
    """JAX's GPU devices, when its GPU backend is initialized already; else []."""
    backends = library_module("jax._src.xla_bridge").get("_backends")
    if not isinstance(backends, dict):
        return []
    found: list[Any] = []
    for platform in _JAX_GPU_BACKENDS:
        client = backends.get(platform)
        if client is None:
            continue
        try:
            found.extend(client.local_devices())
        except Exception:
            continue
    return found


def jax_readings() -> list[LibraryReading]:
    """JAX's ``memory_stats()`` per GPU device (bytes in use, its pool, its peak, which
    JAX cannot reset); [] unless JAX's GPU backend is initialized."""
    found: list[LibraryReading] = []
    for device in jax_gpu_devices():
        try:
            index = getattr(device, "local_hardware_id", None)
            index = device.id if index is None else index
            reading = LibraryReading(f"{DEVICE_PREFIX}{int(index)}", "jax")
            stats = device.memory_stats() or {}
            reading.name = str(device.device_kind)
        except Exception:
            continue
        reading.allocated = _int(stats.get("bytes_in_use"))
        reading.reserved = _int(stats.get("pool_bytes", stats.get("bytes_reserved")))
        reading.peak = _int(stats.get("peak_bytes_in_use"))
        found.append(reading)
    return found


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, int) and value >= 0 else None


def gpu_library_imported() -> bool:
    """Whether torch, CuPy or JAX is imported at all (the cheap test done first)."""
    modules = sys.modules
    return "torch" in modules or "cupy" in modules or "jax" in modules


def all_readings(*, full: bool = True) -> list[LibraryReading]:
    """Every library's readings of the devices in use; [] when none is in use."""
    if not gpu_library_imported():
        return []
    return [*torch_readings(full=full), *cupy_readings(), *jax_readings()]
