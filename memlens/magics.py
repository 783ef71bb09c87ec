"""``%load_ext memlens``: per-cell memory readouts in any IPython frontend.

Loading the extension installs the cell recorder (the same one the JupyterLab frontend
reads over the comm) and prints one line after each cell, to the cell's own output::

    [memlens] RSS +120.4 MiB · peak +301.0 MiB · 1.24 s

followed by the allocator-held and output-cache parts when they are 1 MiB or more.
``%unload_ext memlens`` stops the readout and removes memlens' cell hooks: no more
records, no VmHWM reset (so ``ru_maxrss`` and ``VmHWM`` are the process's own again) and
no kernel record (:mod:`memlens.cells.forensics`). A JupyterLab frontend that is connected
installs them again when it reconnects.
"""

from __future__ import annotations

import sys
from typing import Any

from .cells import recorder
from .wire import log
from .wire.messages import CellGpu
from .wire.protocol import CellRecord

_MiB = 1 << 20
_NOTABLE = _MiB
"""Parts of the change shown in the readout only from this size on."""


def format_size(size: int, *, signed: bool = False) -> str:
    """Bytes in binary units, e.g. ``+120.4 MiB``, ``512 B``, ``-1.0 GiB``."""
    sign = ("+" if size >= 0 else "-") if signed else ("-" if size < 0 else "")
    value = float(abs(size))
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            text = f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
            return sign + text
        value /= 1024
    raise AssertionError("unreachable")


def format_duration(seconds: float) -> str:
    """``0.8 ms``, ``1.24 s``, ``2 min 5 s``."""
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def format_readout(record: CellRecord) -> str:
    """The one-line readout of a record."""
    parts = []
    before, after, peak = record["rss_before"], record["rss_after"], record["rss_peak"]
    if before is not None and after is not None:
        parts.append(f"RSS {format_size(after - before, signed=True)}")
    else:
        parts.append("RSS unknown")
    if before is not None and peak is not None:
        approximate = "\u2248" if record["peak_method"] == "sampled" else ""
        parts.append(f"peak {approximate}{format_size(max(0, peak - before), signed=True)}")
    parts.append(format_duration(record["duration_s"]))
    free = record["allocator_free_delta"]
    if free is not None and abs(free) >= _NOTABLE:
        parts.append(f"allocator holds {format_size(free, signed=True)} free")
    pinned = record["output_cache_delta"]
    if pinned is not None and abs(pinned) >= _NOTABLE:
        # Not complete: the result's sizing hit the cell's short budget, a lower bound.
        bound = "\u2265 " if record.get("output_cache_complete") is False else ""
        parts.append(f"Out pins {bound}{format_size(pinned, signed=True)}")
    for pool, change in sorted((record.get("native_pools") or {}).items()):
        if abs(change) >= _NOTABLE:
            parts.append(f"{pool} pool {format_size(change, signed=True)}")
    line = "[memlens] " + " \u00b7 ".join(parts)
    children = record.get("children_peak")
    if children is not None and children >= _NOTABLE:
        # Its own line: child processes' memory is not the kernel's RSS. Above 0 a lower
        # bound: the children's summed peak can fall between readings.
        line += f"\n[memlens] child processes peak \u2265 {format_size(children)}"
    for device in record.get("gpu") or []:  # device memory: its own line, never RSS
        line += "\n" + format_gpu(device)
    return line


def format_gpu(device: CellGpu) -> str:
    """``[memlens] cuda:0 allocated +0 B · peak 5.0 GiB · reserved +4.0 GiB · process
    5.5 GiB``; ``≥`` before a peak that is a lower bound; the cell that created the
    device's CUDA context says so."""
    parts: list[str] = []
    before, after = device["allocated_before"], device["allocated_after"]
    if after is not None:
        change = after - before if before is not None else after
        parts.append(f"allocated {format_size(change, signed=True)}")
    peak = device["peak"]
    if peak is not None:
        bound = "" if device["peak_exact"] else "\u2265 "  # a lower bound
        parts.append(f"peak {bound}{format_size(peak)}")
    held, held_after = device["reserved_before"], device["reserved_after"]
    if held_after is not None:
        change = held_after - held if held is not None else held_after
        parts.append(f"reserved {format_size(change, signed=True)}")
    if device["process_after"] is not None:
        parts.append(f"process {format_size(device['process_after'])}")
    if device["context_created"]:
        parts.append("created the CUDA context")
    return f"[memlens] {device['device']} " + " \u00b7 ".join(parts)


def _print_readout(record: CellRecord) -> None:
    print(format_readout(record), file=sys.stdout, flush=True)


def load_ipython_extension(ipython: Any) -> None:
    """Install the recorder on ``ipython`` and print a readout after each cell."""
    log.install()  # memlens' own errors stay out of the user's output here too
    recorder.install(ipython).readout = _print_readout


def unload_ipython_extension(ipython: Any) -> None:
    """Stop printing readouts, remove the cell hooks and stop touching the peak counters."""
    active = recorder.current()
    if active is not None and active.shell is ipython:
        active.readout = None
        recorder.uninstall()
