"""What the probe tests share: tolerances and platform checks."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

MiB = 1 << 20
REPO_ROOT = Path(__file__).resolve().parent.parent.parent
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def close_to(a: int, b: int, *, rel: float, floor: int = 2 * MiB) -> bool:
    """Whether ``a`` and ``b`` differ by at most ``rel`` of the larger, or ``floor`` bytes."""
    return abs(a - b) <= max(rel * max(a, b), floor)


def glibc_version() -> tuple[int, int] | None:
    """The running glibc's ``(major, minor)``, read without memlens; None on another libc."""
    try:
        text = os.confstr("CS_GNU_LIBC_VERSION")
    except (ValueError, OSError, AttributeError):
        return None
    if not text or not text.startswith("glibc "):
        return None
    major, minor = text.split()[1].split(".")[:2]
    return int(major), int(minor)
