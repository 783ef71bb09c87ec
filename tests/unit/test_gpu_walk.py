"""The walk's arithmetic of device bytes (issue #10), with a stand-in ``cupy`` module whose
arrays name device allocations the way CuPy's do (``data.mem.ptr``/``size``,
``data.device_id``).

Arithmetic only: each device buffer counted once per root, never in ``deep`` or
``retained``. Whether real CUDA tensors, CuPy and JAX arrays read so on a GPU is
bench/gpu_check.py's question (see BENCHMARKS.md, "GPU").
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator

import pytest

from memlens import sizing

MiB = 1 << 20


class Memory:
    __slots__ = ("ptr", "size")

    def __init__(self, ptr: int, size: int) -> None:
        self.ptr, self.size = ptr, size


class MemoryPointer:
    __slots__ = ("device_id", "mem", "ptr")

    def __init__(self, mem: Memory, offset: int, device_id: int) -> None:
        self.mem, self.ptr, self.device_id = mem, mem.ptr + offset, device_id


class ndarray:  # CuPy's name
    __slots__ = ("_data",)
    __module__ = "cupy"

    def __init__(self, data: MemoryPointer) -> None:
        self._data = data

    @property
    def data(self) -> MemoryPointer:
        return self._data


@pytest.fixture
def fake_cupy() -> Iterator[None]:
    module = types.ModuleType("cupy")
    module.ndarray = ndarray  # type: ignore[attr-defined]
    saved = sys.modules.get("cupy")
    sys.modules["cupy"] = module
    try:
        yield
    finally:
        if saved is None:
            sys.modules.pop("cupy", None)
        else:
            sys.modules["cupy"] = saved


def test_device_bytes_are_counted_once_per_root_and_never_as_host_memory(
    fake_cupy: None,
) -> None:
    memory = Memory(0x7F0000000000, 256 * MiB)
    base = ndarray(MemoryPointer(memory, 0, 0))
    view = ndarray(MemoryPointer(memory, 4096, 0))
    other = ndarray(MemoryPointer(Memory(0x7F1000000000, 64 * MiB), 0, 1))
    report = sizing.measure([[base], [view], [base, view, other]])
    together = report.roots[2]
    assert [root.device for root in report.roots] == [256 * MiB, 256 * MiB, 320 * MiB]
    assert all(root.deep < MiB and root.retained < MiB for root in report.roots), report
    assert together.deep >= report.roots[0].deep, "the host objects are still sized"


def test_without_device_arrays_the_device_figure_is_zero() -> None:
    report = sizing.measure([[bytearray(MiB)]])
    assert report.roots[0].device == 0 and report.roots[0].deep >= MiB
