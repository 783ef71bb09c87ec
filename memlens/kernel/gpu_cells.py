"""What a cell did to each GPU device in use: allocated and reserved before and after, the
peak, this process's usage (NVML), and whether the cell created the device's context.

Read at a cell's start and end by the recorder (:mod:`memlens.cells.readings`), only when
a library the user imported already uses a device at that moment (see
:mod:`memlens.libraries.gpu_devices`): before that, nothing is read and nothing imported,
so a cell that creates the first CUDA context shows it at its end, labelled
``context_created``. Costs: the ``sys.modules`` test alone while no GPU library is
imported; a few of the libraries' counters per device otherwise (see BENCHMARKS.md, "GPU").

The exact peak comes from torch's ``max_memory_allocated``, reset at the cell's start
(``reset_peak_memory_stats``) while :func:`set_peak_reset` is on, the default. That
counter is global: the reset changes what the user's code and other tools read from it.
With the reset off, a peak that rose during the cell is still exact (the counter's new
maximum was reached in it); one that did not is a lower bound (the larger of before and
after). JAX's ``peak_bytes_in_use`` cannot be reset: exact only when it rose. CuPy has no
peak counter: a lower bound.
"""

from __future__ import annotations

import threading
from typing import Any

from ..libraries import gpu_devices as libraries
from ..libraries.gpu_devices import LibraryReading
from .gpu import _index, by_device, nvml_usage

_settings = {"peak_reset": True}
_lock = threading.Lock()


def set_peak_reset(on: bool) -> bool:
    """Reset torch's CUDA peak counter at each cell's start (True, the default) or not."""
    with _lock:
        _settings["peak_reset"] = bool(on)
        return _settings["peak_reset"]


def peak_reset() -> bool:
    return _settings["peak_reset"]


class DeviceStart:
    """One device's state at a cell's start."""

    __slots__ = ("process", "readings", "reset")

    def __init__(self, readings: list[LibraryReading], process: int | None, reset: bool) -> None:
        self.readings = readings
        self.process = process
        self.reset = reset
        """torch's peak counter was reset on this device at the cell's start."""


def cell_started() -> dict[str, DeviceStart]:
    """Each device in use at a cell's start ({} when none: then nothing was read). Resets
    torch's peak counters when the setting is on. Never raises."""
    try:
        if not libraries.gpu_library_imported():
            return {}
        readings = libraries.all_readings(full=False)
        if not readings:
            return {}
        started: dict[str, DeviceStart] = {}
        reset_on = peak_reset()
        for device, group in by_device(readings).items():
            usage = nvml_usage(device, group)
            torch_here = any(r.library == "torch" for r in group)
            reset = reset_on and torch_here and libraries.reset_torch_peaks([_index(device)])
            started[device] = DeviceStart(group, None if usage is None else usage.process, reset)
        return started
    except Exception:
        return {}


def _peak(start: DeviceStart | None, end: list[LibraryReading]) -> tuple[int | None, bool]:
    """The device's peak during the cell, summed over libraries, and whether it is exact
    (every library's part exact, and at most one library allocating)."""
    before = {} if start is None else {r.library: r for r in start.readings}
    total = 0
    exact = True
    allocating = 0
    for reading in end:
        old = before.get(reading.library)
        low = max(reading.allocated or 0, 0 if old is None else old.allocated or 0)
        counter = reading.peak
        if counter is None:  # CuPy: no peak counter
            part, part_exact = low, low == 0
        elif old is None:  # the library took the device during the cell: counter is the cell's
            part, part_exact = max(counter, low), True
        elif start is not None and start.reset and reading.library == "torch":
            part, part_exact = max(counter, low), True
        elif old.peak is not None and counter > old.peak:  # a new maximum, reached in the cell
            part, part_exact = counter, True
        else:
            part, part_exact = low, False
        total += part
        exact = exact and part_exact
        allocating += 1 if part else 0
    return total, exact and allocating <= 1


def cell_ended(started: dict[str, DeviceStart]) -> list[dict[str, Any]] | None:
    """The wire's ``CellGpu`` entries, one per device in use at the cell's end; None when no
    device is in use. Never raises."""
    try:
        if not libraries.gpu_library_imported():
            return None
        readings = libraries.all_readings(full=False)
        if not readings:
            return None
        entries: list[dict[str, Any]] = []
        for device, group in by_device(readings).items():
            start = started.get(device)
            usage = nvml_usage(device, group)
            peak, exact = _peak(start, group)
            entries.append(
                {
                    "device": device,
                    "allocated_before": _total(start, "allocated"),
                    "allocated_after": _sum(group, "allocated"),
                    "peak": peak,
                    "peak_exact": exact,
                    "reserved_before": _total(start, "reserved"),
                    "reserved_after": _sum(group, "reserved"),
                    "process_before": None if start is None else start.process,
                    "process_after": None if usage is None else usage.process,
                    "context_created": start is None,
                }
            )
        return entries
    except Exception:
        return None


def _sum(readings: list[LibraryReading], field: str) -> int | None:
    values = [getattr(r, field) for r in readings if getattr(r, field) is not None]
    return sum(values) if values else None


def _total(start: DeviceStart | None, field: str) -> int | None:
    return None if start is None else _sum(start.readings, field)
