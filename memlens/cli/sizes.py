"""Sizes for ``memlens run``: budgets read from the command line and cell metadata, and
numbers written the way the JupyterLab frontend writes them (``src/common/format.ts``).

Standard library only, like the rest of the package.
"""

from __future__ import annotations

import math
import re

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1024,
    "kb": 1000,
    "kib": 1024,
    "m": 1024**2,
    "mb": 1000**2,
    "mib": 1024**2,
    "g": 1024**3,
    "gb": 1000**3,
    "gib": 1024**3,
    "t": 1024**4,
    "tb": 1000**4,
    "tib": 1024**4,
}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]*)\s*$")


def parse_size(text: object) -> int:
    """Bytes from ``4GiB``, ``4 GB``, ``500M``, ``1.5g`` or a plain number of bytes.

    ``K``/``M``/``G``/``T`` alone are binary (as in ``ulimit``, ``docker --memory``);
    ``kB``/``MB``/``GB`` are decimal, ``KiB``/``MiB``/``GiB`` binary. Raises ValueError.
    """
    if isinstance(text, bool):
        raise ValueError(f"not a size: {text!r}")
    if isinstance(text, int):
        if text < 0:
            raise ValueError(f"a size cannot be negative: {text}")
        return text
    if not isinstance(text, str):
        raise ValueError(f"not a size: {text!r}")
    match = _SIZE.match(text)
    unit = match.group(2).lower() if match else ""
    if match is None or unit not in _UNITS:
        raise ValueError(f"not a size: {text!r} (e.g. 4GiB, 500MB, 1.5G, 1048576)")
    return int(float(match.group(1)) * _UNITS[unit])


_NAMES = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def format_bytes(size: float | None) -> str:
    """``1.5 GiB``, ``512 B``; an em dash when unknown (as ``formatBytes``)."""
    if size is None or not math.isfinite(size):
        return "\u2014"
    sign = "-" if size < 0 else ""
    value = float(abs(size))
    unit = 0
    while value >= 1024 and unit < len(_NAMES) - 1:
        value /= 1024
        unit += 1
    digits = 0 if unit == 0 else 1
    return f"{sign}{value:.{digits}f} {_NAMES[unit]}"


def format_delta(size: float | None) -> str:
    """``+120.4 MiB``, ``-3.0 KiB``, ``±0 B`` (as ``formatDelta``)."""
    if size is None or not math.isfinite(size):
        return "\u2014"
    if size == 0:
        return "\u00b10 B"
    return "+" + format_bytes(size) if size > 0 else format_bytes(size)


def format_duration(seconds: float) -> str:
    """``850 µs``, ``12 ms``, ``1.24 s``, ``3 min 05 s`` (as ``formatDuration``)."""
    if not math.isfinite(seconds) or seconds < 0:
        return "\u2014"
    if seconds < 0.001:
        return f"{round(seconds * 1e6)} \u00b5s"
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    if seconds < 60:
        return f"{seconds:.2f} s"
    minutes = int(seconds // 60)
    rest = round(seconds - minutes * 60)
    return f"{minutes} min {rest:02d} s"
