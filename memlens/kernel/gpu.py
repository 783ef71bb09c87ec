"""The GPU devices this kernel uses: per device, what it holds and what this kernel holds
of it, and the action that gives the libraries' cached device memory back.

Only devices a library the user imported has already put in use are read (see
:mod:`memlens.libraries.gpu_devices`); with none, every function here returns nothing and
imports nothing. Device memory is never part of the RSS or of its parts.
"""

from __future__ import annotations

from typing import Any

from ..libraries import gpu_devices as libraries
from ..libraries.gpu_devices import LibraryReading
from ..libraries.gpu_nvml import DeviceUsage, device_usage


def _sum(values: list[int | None]) -> int | None:
    known = [value for value in values if value is not None]
    return sum(known) if known else None


def _index(device: str) -> int:
    return int(device.partition(":")[2] or 0)


def by_device(readings: list[LibraryReading]) -> dict[str, list[LibraryReading]]:
    """The readings grouped by device, devices in index order."""
    found: dict[str, list[LibraryReading]] = {}
    for reading in sorted(readings, key=lambda r: _index(r.device)):
        found.setdefault(reading.device, []).append(reading)
    return found


def device_entry(
    device: str, readings: list[LibraryReading], usage: DeviceUsage | None
) -> dict[str, Any]:
    """One device of the wire's ``GpuDevice``: the libraries' figures added up; total and
    device-wide use from torch's ``mem_get_info`` (the CUDA driver), else from NVML; this
    process's use from NVML."""
    allocated = _sum([r.allocated for r in readings])
    reserved = _sum([r.reserved for r in readings])
    # Libraries without a caching pool count what they allocated as what they took.
    held = _sum([r.reserved if r.reserved is not None else r.allocated for r in readings])
    total = next((r.total for r in readings if r.total is not None), None)
    free = next((r.free for r in readings if r.free is not None), None)
    name = next((r.name for r in readings if r.name), None)
    used = None if total is None or free is None else max(0, total - free)
    if usage is not None:
        total = usage.total if total is None else total
        used = usage.used if used is None else used
        name = name or usage.name
    cached_free = None if held is None or allocated is None else max(0, held - allocated)
    return {
        "device": device,
        "name": name,
        "libraries": sorted({r.library for r in readings}),
        "total": total,
        "used": used,
        "process": None if usage is None else usage.process,
        "allocated": allocated,
        "reserved": reserved,
        "cached_free": cached_free,
    }


def nvml_usage(device: str, readings: list[LibraryReading]) -> DeviceUsage | None:
    """NVML's figures for a device in use (imports ``pynvml`` the first time: a device is
    in use, so the issue's rule allows it)."""
    pci = next((r.pci_bus for r in readings if r.pci_bus), None)
    return device_usage(_index(device), pci)


def gpu_devices(*, nvml: bool = True) -> list[dict[str, Any]]:
    """Each device in use, as the wire's ``GpuDevice``; [] when none is (no GPU library
    imported, or none has initialized a device: nothing is then imported or initialized)."""
    readings = libraries.all_readings()
    found = []
    for device, group in by_device(readings).items():
        usage = nvml_usage(device, group) if nvml else None
        found.append(device_entry(device, group, usage))
    return found


def empty_caches() -> dict[str, Any]:
    """The ``empty_cache`` action: ``torch.cuda.empty_cache()`` and CuPy's default pool's
    ``free_all_blocks()`` where they already use a device; what came back is the drop of
    the reserved bytes, per device, summed (``device_gave_back``), with the devices after.
    JAX's pool (it preallocates 75 % of a device by default) has no such call: it stays."""
    before = gpu_devices(nvml=False)
    if not before:
        return {"available": False, "device_gave_back": 0}
    libraries.empty_torch_cache()
    libraries.free_cupy_blocks()
    after = gpu_devices()
    held_after = {entry["device"]: entry["reserved"] for entry in after}
    gave_back = 0
    for entry in before:
        start, end = entry["reserved"], held_after.get(entry["device"])
        if start is not None and end is not None and start > end:
            gave_back += start - end
    return {"available": True, "device_gave_back": gave_back, "gpu": after}
