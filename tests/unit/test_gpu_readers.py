"""The GPU readers' parsing and arithmetic (issue #10), on small fake objects.

These prove only how figures are read and added up, never that the GPU path works on a
GPU: that is bench/gpu_check.py's job, on a machine with one. The no-GPU path with the
real libraries is tested in tests/kernel/test_gpu_no_device.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from memlens.kernel import gpu, gpu_cells
from memlens.libraries import gpu_arrays, gpu_devices, gpu_nvml
from memlens.libraries.gpu_devices import LibraryReading

GiB = 1 << 30


def reading(library: str, device: str = "cuda:0", **figures: Any) -> LibraryReading:
    found = LibraryReading(device, library)
    for name, value in figures.items():
        setattr(found, name, value)
    return found


def test_a_device_adds_its_libraries_up_and_cached_free_is_reserved_less_allocated() -> None:
    torch = reading("torch", allocated=4 * GiB, reserved=6 * GiB, total=80 * GiB, free=70 * GiB)
    cupy = reading("cupy", allocated=1 * GiB, reserved=1 * GiB)
    entry = gpu.device_entry("cuda:0", [torch, cupy], None)
    assert entry == {
        "device": "cuda:0",
        "name": None,
        "libraries": ["cupy", "torch"],
        "total": 80 * GiB,
        "used": 10 * GiB,
        "process": None,
        "allocated": 5 * GiB,
        "reserved": 7 * GiB,
        "cached_free": 2 * GiB,
    }


def test_nvml_fills_what_the_libraries_do_not_say() -> None:
    usage = gpu_nvml.DeviceUsage()
    usage.total, usage.used, usage.process, usage.name = 80 * GiB, 9 * GiB, 5 * GiB, "H200"
    entry = gpu.device_entry("cuda:1", [reading("jax", "cuda:1", allocated=GiB)], usage)
    assert (entry["total"], entry["used"], entry["process"], entry["name"]) == (
        80 * GiB,
        9 * GiB,
        5 * GiB,
        "H200",
    )
    assert entry["reserved"] is None and entry["cached_free"] == 0


def test_readings_group_by_device_in_index_order() -> None:
    found = gpu.by_device([reading("torch", "cuda:10"), reading("jax", "cuda:2")])
    assert list(found) == ["cuda:2", "cuda:10"]


def test_a_torch_peak_reset_at_the_start_is_exact() -> None:
    start = gpu_cells.DeviceStart([reading("torch", allocated=GiB, peak=3 * GiB)], None, True)
    end = [reading("torch", allocated=GiB, peak=5 * GiB)]
    assert gpu_cells._peak(start, end) == (5 * GiB, True)


def test_without_the_reset_a_peak_that_did_not_rise_is_a_lower_bound() -> None:
    start = gpu_cells.DeviceStart([reading("torch", allocated=GiB, peak=9 * GiB)], None, False)
    end = [reading("torch", allocated=2 * GiB, peak=9 * GiB)]
    assert gpu_cells._peak(start, end) == (2 * GiB, False)
    risen = [reading("torch", allocated=2 * GiB, peak=12 * GiB)]
    assert gpu_cells._peak(start, risen) == (12 * GiB, True)


def test_a_library_that_took_the_device_during_the_cell_has_the_cells_peak() -> None:
    assert gpu_cells._peak(None, [reading("torch", allocated=0, peak=4 * GiB)]) == (4 * GiB, True)


def test_cupy_has_no_peak_counter_and_two_allocating_libraries_are_not_exact() -> None:
    start = gpu_cells.DeviceStart([reading("cupy", allocated=GiB)], None, False)
    assert gpu_cells._peak(start, [reading("cupy", allocated=2 * GiB)]) == (2 * GiB, False)
    both = gpu_cells.DeviceStart(
        [reading("torch", allocated=0, peak=0), reading("jax", allocated=0, peak=0)], None, True
    )
    end = [reading("torch", allocated=0, peak=GiB), reading("jax", allocated=0, peak=GiB)]
    assert gpu_cells._peak(both, end) == (2 * GiB, False), "an upper bound of the sum"


def test_the_gpu_peak_reset_setting_round_trips() -> None:
    try:
        assert gpu_cells.set_peak_reset(False) is False and gpu_cells.peak_reset() is False
        assert gpu_cells.set_peak_reset(True) is True
    finally:
        gpu_cells.set_peak_reset(True)


def test_nvml_index_prefers_the_pci_bus_then_cuda_visible_devices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.delenv("CUDA_DEVICE_ORDER", raising=False)
    assert gpu_nvml.nvml_index(0, "0:1a:0.0", 8) == "0:1a:0.0"
    assert gpu_nvml.nvml_index(0, None, 1) == 0, "a single device"
    assert gpu_nvml.nvml_index(1, None, 8) is None, "CUDA's default order is not NVML's"
    monkeypatch.setenv("CUDA_DEVICE_ORDER", "PCI_BUS_ID")
    assert gpu_nvml.nvml_index(1, None, 8) == 1
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    assert gpu_nvml.nvml_index(1, None, 8) == 5
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "GPU-8f3a,GPU-11bc")
    assert gpu_nvml.nvml_index(0, None, 8) is None, "UUIDs are not matched by index"


class Process:
    def __init__(self, pid: int, used: int | None) -> None:
        self.pid = pid
        self.usedGpuMemory = used


def test_nvml_process_bytes_finds_this_process_only() -> None:
    listed = [Process(1, 5 * GiB), Process(2, 7 * GiB)]
    assert gpu_nvml.process_bytes(listed, 2) == 7 * GiB
    assert gpu_nvml.process_bytes(listed, 3) is None, "another PID namespace"
    assert gpu_nvml.process_bytes([Process(3, None)], 3) is None, "NVML_VALUE_NOT_AVAILABLE"
    assert gpu_nvml.process_bytes(None, 3) is None


def test_pci_bus_is_in_nvmls_hex_form() -> None:
    class Properties:
        pci_domain_id, pci_bus_id, pci_device_id = 0, 0x1A, 0

    assert gpu_devices.pci_bus(Properties()) == "0:1a:0.0"
    assert gpu_devices.pci_bus(object()) is None


def test_driver_open_looks_for_a_descriptor_on_nvidiactl(tmp_path: Path) -> None:
    (tmp_path / "3").symlink_to("/dev/null")
    assert gpu_devices.driver_open(str(tmp_path)) is False
    (tmp_path / "4").symlink_to("/dev/nvidiactl")
    assert gpu_devices.driver_open(str(tmp_path)) is True
    assert gpu_devices.driver_open(str(tmp_path / "missing")) is False
    assert os.path.exists("/dev/nvidiactl") or gpu_devices.driver_open() is False


class Memory:
    """CuPy's ``BaseMemory``: ``ptr`` and ``size`` of one allocation (Cython's readonly
    attributes are descriptors on the class, as ``__slots__`` are)."""

    __slots__ = ("ptr", "size")

    def __init__(self, ptr: int, size: int) -> None:
        self.ptr, self.size = ptr, size


class MemoryPointer:
    """CuPy's ``MemoryPointer``: the allocation, the device and an address within it."""

    __slots__ = ("device_id", "mem", "ptr")

    def __init__(self, mem: Memory, offset: int, device_id: int) -> None:
        self.mem, self.ptr, self.device_id = mem, mem.ptr + offset, device_id


class FakeCupyArray:
    def __init__(self, data: MemoryPointer) -> None:
        self._data = data

    @property
    def data(self) -> MemoryPointer:
        return self._data


def test_a_cupy_view_and_its_base_name_one_allocation() -> None:
    arrays = gpu_arrays.CupyArrays(FakeCupyArray)
    memory = Memory(0x7F0000000000, 256 << 20)
    base = FakeCupyArray(MemoryPointer(memory, 0, 1))
    view = FakeCupyArray(MemoryPointer(memory, 4096, 1))
    expected = [(("cuda:1", 0x7F0000000000), 256 << 20)]
    assert arrays.buffers(base) == expected and arrays.buffers(view) == expected
    assert arrays.buffers(FakeCupyArray(MemoryPointer(Memory(0, 0), 0, 0))) == []


def test_device_keys_are_told_from_host_keys() -> None:
    assert gpu_arrays.is_device_key("cuda:0") and gpu_arrays.is_device_key("cuda:12")
    assert not gpu_arrays.is_device_key("cpu") and not gpu_arrays.is_device_key("plugin")


def test_jax_arrays_on_the_cpu_have_no_device_buffers() -> None:
    jnp = pytest.importorskip("jax.numpy")
    found = gpu_arrays.gpu_arrays()
    assert found is not None and found.jax is not None
    array = jnp.ones(1000)
    assert found.is_array_type(type(array))
    assert found.buffers(array) == [], "host memory, not a device's"
    assert gpu_devices.jax_readings() == [], "JAX's CPU backend is no GPU"


def test_the_load_ext_readout_gives_each_device_its_own_line() -> None:
    from memlens.magics import format_readout

    record: Any = {
        "rss_before": 100 << 20,
        "rss_after": 228 << 20,
        "rss_peak": 228 << 20,
        "peak_method": "exact",
        "duration_s": 0.5,
        "allocator_free_delta": 0,
        "output_cache_delta": 0,
    }
    assert "cuda" not in format_readout(record), "no device in use: no GPU line"
    record["gpu"] = [
        {
            "device": "cuda:0",
            "allocated_before": GiB,
            "allocated_after": GiB,
            "peak": 5 * GiB,
            "peak_exact": True,
            "reserved_before": GiB,
            "reserved_after": 5 * GiB,
            "process_before": 2 * GiB,
            "process_after": 6 * GiB,
            "context_created": False,
        }
    ]
    lines = format_readout(record).splitlines()
    assert lines[1] == (
        "[memlens] cuda:0 allocated +0 B \u00b7 peak 5.0 GiB \u00b7 reserved +4.0 GiB"
        " \u00b7 process 6.0 GiB"
    ), lines
    record["gpu"][0].update(peak_exact=False, allocated_before=None, context_created=True)
    line = format_readout(record).splitlines()[1]
    assert "allocated +1.0 GiB" in line and "peak \u2265 5.0 GiB" in line, line
    assert line.endswith("created the CUDA context"), line


def fake_module(name: str, **members: Any) -> Any:
    import types

    module = types.ModuleType(name)
    for key, member in members.items():
        setattr(module, key, member)
    return module


def test_torch_is_read_only_once_initialized_and_only_on_devices_with_a_context(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Parsing only: torch's own counters (memory_stats' keys) from a stand-in torch.cuda."""
    import sys

    asked: list[str] = []
    initialized = [False]

    def stats(index: int) -> dict[str, int]:
        asked.append(f"stats {index}")
        return {
            "allocated_bytes.all.current": GiB * (index + 1),
            "reserved_bytes.all.current": 3 * GiB,
            "allocated_bytes.all.peak": 5 * GiB,
        }

    class Properties:
        name = "NVIDIA H200"
        pci_domain_id, pci_bus_id, pci_device_id = 0, 0x1B, 0

    cuda = fake_module(
        "torch.cuda",
        is_initialized=lambda: initialized[0],
        device_count=lambda: 2,
        current_device=lambda: 0,
        memory_stats=stats,
        mem_get_info=lambda index: (70 * GiB, 80 * GiB),
        get_device_properties=lambda index: Properties(),
    )
    core = fake_module("torch._C", _cuda_hasPrimaryContext=lambda index: index == 1)
    monkeypatch.setitem(sys.modules, "torch", fake_module("torch", _C=core, cuda=cuda))
    monkeypatch.setitem(sys.modules, "torch.cuda", cuda)
    assert gpu_devices.torch_readings() == [] and asked == [], "not initialized: nothing read"
    initialized[0] = True
    (found,) = gpu_devices.torch_readings()
    assert asked == ["stats 1"], "only the device with a context"
    assert (found.device, found.allocated, found.reserved, found.peak) == (
        "cuda:1",
        2 * GiB,
        3 * GiB,
        5 * GiB,
    )
    assert (found.total, found.free, found.name, found.pci_bus) == (
        80 * GiB,
        70 * GiB,
        "NVIDIA H200",
        "0:1b:0.0",
    )
    (short,) = gpu_devices.torch_readings(full=False)
    assert short.total is None and short.name is None, "a cell reads only the counters"


def test_jax_is_read_only_when_its_gpu_backend_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parsing only: memory_stats() of a stand-in JAX GPU device."""
    import sys

    class Device:
        local_hardware_id = 2
        id = 7
        device_kind = "NVIDIA H200"

        def memory_stats(self) -> dict[str, int]:
            return {"bytes_in_use": GiB, "pool_bytes": 4 * GiB, "peak_bytes_in_use": 2 * GiB}

    class Client:
        def local_devices(self) -> list[Device]:
            return [Device()]

    backends: dict[str, Any] = {"cpu": Client()}
    bridge = fake_module("jax._src.xla_bridge", _backends=backends)
    monkeypatch.setitem(sys.modules, "jax._src.xla_bridge", bridge)
    assert gpu_devices.jax_readings() == [], "only a CPU backend"
    backends["cuda"] = Client()
    (found,) = gpu_devices.jax_readings()
    assert (found.device, found.allocated, found.reserved, found.peak, found.name) == (
        "cuda:2",
        GiB,
        4 * GiB,
        2 * GiB,
        "NVIDIA H200",
    )


def test_cupys_pool_is_asked_only_once_the_driver_is_open(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Parsing only: CuPy's default pool, behind the driver gate."""
    import sys

    asked: list[str] = []

    class Pool:
        def used_bytes(self) -> int:
            asked.append("used")
            return GiB

        def total_bytes(self) -> int:
            asked.append("total")
            return 3 * GiB

    monkeypatch.setitem(sys.modules, "cupy", fake_module("cupy", get_default_memory_pool=Pool))
    device = fake_module("cupy.cuda.device", get_device_id=lambda: 0)
    monkeypatch.setitem(sys.modules, "cupy.cuda.device", device)
    monkeypatch.setattr(gpu_devices, "driver_open", lambda: False)
    assert gpu_devices.cupy_readings() == [] and asked == [], "the driver is not open"
    monkeypatch.setattr(gpu_devices, "driver_open", lambda: True)
    (found,) = gpu_devices.cupy_readings()
    assert (found.device, found.allocated, found.reserved) == ("cuda:0", GiB, 3 * GiB)


class FakeTorchCuda:
    """A stand-in torch.cuda on one device with a context: its counters move as told."""

    def __init__(self) -> None:
        self.allocated, self.reserved, self.peak = GiB, 2 * GiB, 3 * GiB
        self.calls: list[str] = []

    def module(self) -> Any:
        def reset(index: int) -> None:
            self.calls.append("reset")
            self.peak = self.allocated

        def empty() -> None:
            self.calls.append("empty_cache")
            self.reserved = self.allocated

        return fake_module(
            "torch.cuda",
            is_initialized=lambda: True,
            device_count=lambda: 1,
            memory_stats=lambda index: {
                "allocated_bytes.all.current": self.allocated,
                "reserved_bytes.all.current": self.reserved,
                "allocated_bytes.all.peak": self.peak,
            },
            reset_peak_memory_stats=reset,
            empty_cache=empty,
        )


@pytest.fixture
def fake_torch(monkeypatch: pytest.MonkeyPatch) -> FakeTorchCuda:
    import sys

    fake = FakeTorchCuda()
    cuda = fake.module()
    core = fake_module("torch._C", _cuda_hasPrimaryContext=lambda index: True)
    monkeypatch.setitem(sys.modules, "torch", fake_module("torch", _C=core, cuda=cuda))
    monkeypatch.setitem(sys.modules, "torch.cuda", cuda)
    monkeypatch.setattr(gpu, "device_usage", lambda device, pci: None)
    monkeypatch.setattr(gpu_cells, "nvml_usage", lambda device, group: None)
    return fake


def test_a_cell_resets_the_peak_at_its_start_and_reads_the_change(
    fake_torch: FakeTorchCuda,
) -> None:
    """Arithmetic only, on a stand-in torch.cuda."""
    started = gpu_cells.cell_started()
    assert fake_torch.calls == ["reset"] and started["cuda:0"].reset
    fake_torch.peak = 5 * GiB  # a 4 GiB tensor made and dropped
    fake_torch.reserved = 5 * GiB
    (entry,) = gpu_cells.cell_ended(started) or []
    assert entry == {
        "device": "cuda:0",
        "allocated_before": GiB,
        "allocated_after": GiB,
        "peak": 5 * GiB,
        "peak_exact": True,
        "reserved_before": 2 * GiB,
        "reserved_after": 5 * GiB,
        "process_before": None,
        "process_after": None,
        "context_created": False,
    }
    (first,) = gpu_cells.cell_ended({}) or []
    assert first["context_created"] is True and first["allocated_before"] is None


def test_without_the_setting_the_peak_is_not_reset(fake_torch: FakeTorchCuda) -> None:
    try:
        gpu_cells.set_peak_reset(False)
        started = gpu_cells.cell_started()
        assert fake_torch.calls == [] and not started["cuda:0"].reset
    finally:
        gpu_cells.set_peak_reset(True)
    (entry,) = gpu_cells.cell_ended(started) or []
    assert entry["peak_exact"] is False and entry["peak"] == GiB, "a lower bound"


def test_empty_cache_measures_the_drop_of_reserved_bytes(fake_torch: FakeTorchCuda) -> None:
    (device,) = gpu.gpu_devices()
    assert device["cached_free"] == GiB and device["libraries"] == ["torch"]
    done = gpu.empty_caches()
    assert fake_torch.calls == ["empty_cache"]
    assert done["available"] is True and done["device_gave_back"] == GiB
    assert done["gpu"][0]["reserved"] == GiB
