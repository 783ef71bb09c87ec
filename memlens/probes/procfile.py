"""Files of ``/proc/self`` kept open, so that a reading is one ``pread`` (or ``write``)."""

from __future__ import annotations

import os

from .libc import gil_holding_calls

PROC_STATUS = "/proc/self/status"
PROC_STATM = "/proc/self/statm"
CLEAR_REFS = "/proc/self/clear_refs"

STATUS_READ_SIZE = 4096
"""Bytes read of /proc/self/status: enough for the ``Vm*`` lines, which come early."""
STATM_READ_SIZE = 256
"""Bytes read of /proc/self/statm: seven numbers."""


class ProcFile:
    """A file of ``/proc/self`` kept open.

    ``/proc/self`` names the process that opened the file, so the descriptor is reopened
    when the process id changes (a forked child must not read its parent). Opened with
    close-on-exec, as Python opens every file.
    """

    def __init__(self, path: str, flags: int) -> None:
        self._path = path
        self._flags = flags
        self._fd = -1
        self._pid = -1
        self.broken = False
        """Set once opening, reading or writing failed: the file is not used again."""

    def fd(self) -> int:
        """The open descriptor; -1 where the file cannot be opened."""
        pid = os.getpid()
        if self._pid != pid:
            self._pid = pid  # a descriptor inherited over fork is not ours to close
            try:
                self._fd = os.open(self._path, self._flags)
            except OSError:
                self._fd = -1
                self.broken = True
        return self._fd

    def read(self, size: int = STATUS_READ_SIZE) -> bytes:
        """The file's text from its start; b"" where it cannot be read."""
        if self.broken:
            return b""
        fd = self.fd()
        if fd < 0:
            return b""
        try:
            return gil_holding_calls.pread(fd, size)
        except OSError:
            self.broken = True
            return b""

    def write(self, data: bytes) -> bool:
        """Write ``data``; False (and never again) where that fails."""
        if self.broken:
            return False
        fd = self.fd()
        if fd < 0:
            return False
        try:
            gil_holding_calls.write(fd, data)
        except OSError:
            self.broken = True
            return False
        return True


status_file = ProcFile(PROC_STATUS, os.O_RDONLY)
statm_file = ProcFile(PROC_STATM, os.O_RDONLY)
clear_refs_file = ProcFile(CLEAR_REFS, os.O_WRONLY)


def kib_field(text: bytes, name: bytes) -> int | None:
    """The value of a ``Name:   1234 kB`` line of /proc/self/status, in bytes."""
    start = text.find(name)
    if start < 0:
        return None
    end = text.find(b" kB", start)
    try:
        return int(text[start + len(name) : end]) * 1024
    except ValueError:
        return None


def proc_status() -> dict[str, int]:
    """The ``Vm*`` sizes of /proc/self/status in bytes; empty where there is none."""
    sizes: dict[str, int] = {}
    try:
        with open(PROC_STATUS, "rb") as status:
            for line in status:
                if line.startswith(b"Vm") and line.endswith(b" kB\n"):
                    name, _, value = line.partition(b":")
                    sizes[name.decode("ascii")] = int(value[:-4]) * 1024
    except (OSError, ValueError):
        return {}
    return sizes
