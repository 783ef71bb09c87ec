"""NVML (``nvidia-ml-py``, module ``pynvml``): this process's usage of each device it uses.

The one import memlens makes of its own, allowed by issue #10 and only under its rule:
``pynvml`` is imported only once a device is already in use by this process (a library the
user imported has put it in use: see :mod:`.gpu_devices`), never before. NVML talks to the
driver's management interface: it never creates a CUDA context and takes no device memory.
Without ``nvidia-ml-py`` installed, or where NVML cannot start, nothing is read.

A device is found in NVML by its PCI address (torch gives it), else through
``CUDA_VISIBLE_DEVICES`` when it lists indices, else by its index when NVML sees a single
device or ``CUDA_DEVICE_ORDER=PCI_BUS_ID`` makes CUDA's order NVML's; otherwise it is not
matched (its ``process`` figure stays unknown rather than another device's).
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from typing import Any

_state: dict[str, Any] = {}
_lock = threading.Lock()


def nvml() -> Any:
    """The ``pynvml`` module, initialized; None when it is not installed or NVML failed.
    Imports it (first call only): call only once a device is in use by this process."""
    with _lock:
        if "module" in _state:
            return _state["module"]
        module: Any = sys.modules.get("pynvml")
        try:
            if module is None:
                module = importlib.import_module("pynvml")
            module.nvmlInit()
        except Exception:  # not installed, no driver, an old pynvml...
            module = None
        _state["module"] = module
        return module


def nvml_index(device: int, pci_bus: str | None, count: int) -> int | str | None:
    """How to find CUDA device ``device`` in NVML: its PCI bus (a str), an NVML index, or
    None when it cannot be matched safely (see the module's docstring)."""
    if pci_bus:
        return pci_bus
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        listed = [part.strip() for part in visible.split(",") if part.strip()]
        if device < len(listed) and listed[device].isdigit():
            return int(listed[device])
        return None
    if count == 1 and device == 0:
        return 0
    if os.environ.get("CUDA_DEVICE_ORDER") == "PCI_BUS_ID":
        return device
    return None


class DeviceUsage:
    """What NVML says of one device, in bytes (None where it does not say)."""

    __slots__ = ("name", "process", "total", "used")

    def __init__(self) -> None:
        self.name: str | None = None
        self.total: int | None = None
        self.used: int | None = None
        """Used on the whole device, by every process."""
        self.process: int | None = None
        """Used by this process (its compute context and allocations)."""


def device_usage(device: int, pci_bus: str | None, *, pid: int | None = None) -> DeviceUsage | None:
    """NVML's figures for CUDA device ``device``; None without NVML or a safe match."""
    module = nvml()
    if module is None:
        return None
    try:
        where = nvml_index(device, pci_bus, int(module.nvmlDeviceGetCount()))
        if where is None:
            return None
        handle = (
            module.nvmlDeviceGetHandleByPciBusId(where)
            if isinstance(where, str)
            else module.nvmlDeviceGetHandleByIndex(where)
        )
        usage = DeviceUsage()
        memory = module.nvmlDeviceGetMemoryInfo(handle)
        usage.total, usage.used = int(memory.total), int(memory.used)
        name = module.nvmlDeviceGetName(handle)
        usage.name = name.decode() if isinstance(name, bytes) else str(name)
        usage.process = process_bytes(module.nvmlDeviceGetComputeRunningProcesses(handle), pid)
    except Exception:
        return None
    return usage


def process_bytes(processes: Any, pid: int | None = None) -> int | None:
    """This process's ``usedGpuMemory`` in NVML's list of compute processes; None when it
    is not listed (another PID namespace) or NVML does not know (``None``)."""
    wanted = os.getpid() if pid is None else pid
    for process in processes or ():
        if getattr(process, "pid", None) == wanted:
            used = getattr(process, "usedGpuMemory", None)
            return int(used) if isinstance(used, int) and used >= 0 else None
    return None
