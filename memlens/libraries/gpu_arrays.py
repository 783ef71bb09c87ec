"""GPU buffers behind CuPy arrays and JAX arrays on a GPU, keyed by device and address so
that each device buffer counts once (CUDA tensors' storages are read with the other tensor
members, in :mod:`.torch_tensors`, under the same keys).

The same safety rule as the rest of :mod:`memlens.libraries`: nothing is imported (each
library is looked up in ``sys.modules``), members are read through the library's own
classes (never ``getattr`` on a user object), and no call here talks to a GPU: a device
pointer, a size and a device index are fields the library keeps on the host. So reading
them never creates a CUDA context, whatever state the process is in.

Keys are ``("cuda:N", address)``: ``N`` is the CUDA device index this process sees (torch's
``tensor.device.index``, CuPy's ``device_id``, JAX's ``local_hardware_id``), so a buffer
that two libraries share (DLPack, ``__cuda_array_interface__``) counts once when both name
its start.
"""

from __future__ import annotations

from typing import Any, Callable

from .lookup import Buffer, library_class, library_module, readers

DEVICE_PREFIX = "cuda:"
"""The place of a device buffer's key (``cuda:0``); host buffers' places are ``cpu`` and
``plugin``."""

_CUPY_MEMBERS = ("data",)
_CUPY_POINTER = ("mem", "device_id")
_CUPY_MEMORY = ("ptr", "size")
_JAX_MEMBERS = (
    *("is_deleted", "addressable_shards"),
    *("unsafe_buffer_pointer", "on_device_size_in_bytes"),
)
_GPU_PLATFORMS = frozenset(("gpu", "cuda", "rocm"))


def is_device_key(place: str) -> bool:
    """Whether a buffer key's place (``cuda:0``, ``cpu``...) is device memory."""
    return place.startswith(DEVICE_PREFIX)


class CupyArrays:
    """Readers of CuPy arrays' device allocations (``ndarray.data.mem``)."""

    def __init__(self, ndarray: type) -> None:
        self.ndarray = ndarray
        self.read = readers(ndarray, _CUPY_MEMBERS)
        self._pointer: dict[type, dict[str, Callable[[Any], Any]]] = {}

    def _members(self, kind: type, names: tuple[str, ...]) -> dict[str, Callable[[Any], Any]]:
        found = self._pointer.get(kind)
        if found is None:
            found = self._pointer[kind] = readers(kind, names)
        return found

    def buffers(self, obj: object) -> list[Buffer]:
        """The allocation behind a CuPy array (a view's is its base's), by device and
        start address, of the allocation's size. Never raises."""
        data = self.read.get("data")
        if data is None:
            return []
        try:
            pointer = data(obj)
            members = self._members(type(pointer), _CUPY_POINTER)
            memory = members["mem"](pointer)
            device = int(members["device_id"](pointer))
            sizes = self._members(type(memory), _CUPY_MEMORY)
            address, size = int(sizes["ptr"](memory)), int(sizes["size"](memory))
        except Exception:
            return []
        if address == 0 or size <= 0:
            return []
        return [((f"{DEVICE_PREFIX}{device}", address), size)]


class JaxArrays:
    """Readers of JAX arrays' device buffers (one per addressable shard)."""

    def __init__(self, array: type) -> None:
        self.array = array
        self.read = readers(array, _JAX_MEMBERS)

    def buffers(self, obj: object) -> list[Buffer]:
        """Each shard's buffer on a GPU, by device and address; nothing for arrays on the
        CPU (host memory) or deleted ones. Never raises."""
        read = self.read
        if len(read) < len(_JAX_MEMBERS):
            return []
        found: list[Buffer] = []
        try:
            if read["is_deleted"](obj)():
                return []
            for shard in read["addressable_shards"](obj):
                device = shard.device
                if str(device.platform) not in _GPU_PLATFORMS:
                    continue
                data = shard.data
                pointer = int(read["unsafe_buffer_pointer"](data)())
                size = int(read["on_device_size_in_bytes"](data)())
                index = int(getattr(device, "local_hardware_id", None) or device.id)
                if pointer and size > 0:
                    found.append(((f"{DEVICE_PREFIX}{index}", pointer), size))
        except Exception:
            return found
        return found


class GpuArrays:
    """The GPU libraries the user imported, looked up once (for one walk)."""

    def __init__(self) -> None:
        ndarray = library_class("cupy", "ndarray")
        self.cupy = None if ndarray is None else CupyArrays(ndarray)
        array = library_module("jax._src.array").get("ArrayImpl")
        self.jax = JaxArrays(array) if isinstance(array, type) else None

    def is_array_type(self, kind: type) -> bool:
        """Objects of ``kind`` are CuPy or JAX arrays (torch tensors are known apart)."""
        return (self.cupy is not None and issubclass(kind, self.cupy.ndarray)) or (
            self.jax is not None and issubclass(kind, self.jax.array)
        )

    def buffers(self, obj: object) -> list[Buffer]:
        """The device buffers of a CuPy or JAX array. Never raises."""
        kind = type(obj)
        if self.cupy is not None and issubclass(kind, self.cupy.ndarray):
            return self.cupy.buffers(obj)
        if self.jax is not None and issubclass(kind, self.jax.array):
            return self.jax.buffers(obj)
        return []


def gpu_arrays() -> GpuArrays | None:
    """The readers for CuPy and JAX as imported; None when neither is."""
    found = GpuArrays()
    return found if found.cupy is not None or found.jax is not None else None
