"""The C library of this process, loaded once for every probe that calls into it.

It is loaded as a ``ctypes.PyDLL``: its functions keep the GIL while they run. In a
kernel, a cell's hooks run just when other threads (iopub, the shell channel) are busy
with the cell's messages, so a call that releases the GIL can hand it away for a context
switch or more, many times longer than the call itself. The calls made here (a /proc read,
``mallinfo2``, a pymalloc report into memory) do not block, so holding the GIL through
them is harmless.
"""

from __future__ import annotations

import functools
import os
import threading
from typing import Any

READ_BUFFER_SIZE = 8192
"""Bytes :func:`pread` reads into its shared buffer; larger reads go through ``os``."""


@functools.lru_cache(maxsize=1)
def libc() -> Any:
    """This process's C library as a ``ctypes.PyDLL``, or None without ctypes or libc."""
    try:
        import ctypes

        return ctypes.PyDLL(None)
    except (ImportError, OSError, TypeError):
        return None


def function(name: str) -> Any:
    """The C library's function ``name``, or None where it is missing.

    Each caller sets the function's ``argtypes`` and ``restype``: ctypes keeps one
    function object per name, so one module owns each name.
    """
    library = libc()
    if library is None:
        return None
    try:
        return getattr(library, name)
    except AttributeError:
        return None


@functools.lru_cache(maxsize=1)
def glibc_version() -> str | None:
    """The running glibc's version, e.g. ``"2.36"``; None on another C library."""
    version_of = function("gnu_get_libc_version")
    if version_of is None:
        return None
    import ctypes

    version_of.argtypes = []
    version_of.restype = ctypes.c_char_p
    version: bytes = version_of()
    return version.decode("ascii", "replace")


def has_symbol(name: str) -> bool:
    """Whether the C library exports ``name``."""
    return function(name) is not None


class GilHoldingCalls:
    """libc's ``pread`` and ``write`` called without releasing the GIL.

    ``os.pread`` and ``os.write`` release the GIL around the system call (see the module's
    docstring for why that is costly here). Falls back to ``os`` where ctypes or libc is
    missing.
    """

    def __init__(self) -> None:
        self._pread: Any = None
        self._write: Any = None
        self._buffer: Any = None
        self._string_at: Any = None
        self._lock = threading.Lock()
        pread, write = function("pread"), function("write")
        if pread is None or write is None:
            return
        import ctypes

        pread.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_long]
        pread.restype = ctypes.c_ssize_t
        write.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
        write.restype = ctypes.c_ssize_t
        self._pread, self._write = pread, write
        self._buffer = ctypes.create_string_buffer(READ_BUFFER_SIZE)
        self._string_at = ctypes.string_at

    def pread(self, fd: int, size: int) -> bytes:
        """Up to ``size`` bytes of ``fd`` from its start."""
        if self._pread is None or size > READ_BUFFER_SIZE:
            return os.pread(fd, size, 0)
        with self._lock:  # one shared buffer
            count = self._pread(fd, self._buffer, size, 0)
            if count < 0:
                raise OSError(f"pread of fd {fd} failed")
            data: bytes = self._string_at(self._buffer, count)
            return data

    def write(self, fd: int, data: bytes) -> None:
        """Write all of ``data`` to ``fd``."""
        if self._write is None:
            os.write(fd, data)
        elif self._write(fd, data, len(data)) < 0:
            raise OSError(f"write to fd {fd} failed")


gil_holding_calls = GilHoldingCalls()
