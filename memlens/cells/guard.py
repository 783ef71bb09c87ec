"""The memory guard: interrupt a cell before the kernel's memory reaches its limit.

Off by default. When on (``share`` of the limit, e.g. 0.9), the live sampler
(:mod:`memlens.cells.live`) checks each reading; the first one at or past the share
raises :class:`MemoryGuardInterrupt` in the cell's thread with
``PyThreadState_SetAsyncExc``, once per cell. The cell stops as if interrupted and the
kernel keeps every variable it had.

What it cannot do: the exception lands only when the cell's thread next runs Python
bytecode. A long call in C (one huge allocation, a numpy operation) returns first, so a
single step that jumps past the limit is still killed. The sampler needs the GIL, so a C
call holding it also delays the reading. Memory the cell already took stays taken until
the names holding it go (the interrupted statement's temporaries are freed).
"""

from __future__ import annotations

import ctypes
import logging

log = logging.getLogger("memlens")

_GiB = float(1 << 30)


class MemoryGuardInterrupt(KeyboardInterrupt):
    """Raised in a cell by memlens' memory guard (a KeyboardInterrupt: the kernel lives on)."""

    message = "memlens stopped this cell to keep your kernel alive"

    def __init__(self, *args: object) -> None:
        super().__init__(*(args or (type(self).message,)))


def guard_message(rss: int, limit: int) -> str:
    """``memlens stopped this cell at 3.6 of 4.0 GiB to keep your kernel alive``."""
    return (
        f"memlens stopped this cell at {rss / _GiB:.1f} of {limit / _GiB:.1f} GiB "
        "to keep your kernel alive"
    )


def should_stop(rss: int | None, limit: int | None, share: float | None) -> bool:
    """Whether a reading passes the guard's share of the limit."""
    if rss is None or limit is None or share is None or not 0 < share < 1:
        return False
    return rss >= share * limit


def interrupt_thread(thread_id: int, rss: int, limit: int) -> bool:
    """Raise :class:`MemoryGuardInterrupt` in the thread ``thread_id``; True if set."""
    MemoryGuardInterrupt.message = guard_message(rss, limit)
    try:
        set_async = ctypes.pythonapi.PyThreadState_SetAsyncExc
        set_async.argtypes = (ctypes.c_ulong, ctypes.py_object)
        set_async.restype = ctypes.c_int
        return int(set_async(thread_id, MemoryGuardInterrupt)) == 1
    except Exception:
        log.debug("memlens: the guard could not interrupt the cell", exc_info=True)
        return False
