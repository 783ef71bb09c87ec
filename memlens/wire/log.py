"""Where memlens' own errors go: a bounded log in memory, never the user's output.

With no handler of its own, a ``logging.getLogger("memlens")`` record would reach
Python's last-resort handler, which writes to ``sys.stderr`` -- in a kernel, the output
of whatever cell is running. :func:`install` gives the ``memlens`` logger one handler that
keeps the latest records in memory (:func:`recent` reads them) and stops propagation to
the root logger, whose handlers may write to the user's streams too.
"""

from __future__ import annotations

import collections
import logging
import threading

MAX_RECORDS = 100
"""Most records kept; older ones are dropped."""
MAX_RECORD_LENGTH = 2000
"""Longest text kept of one record (message and traceback), in characters."""


class MemoryHandler(logging.Handler):
    """Keeps the last :data:`MAX_RECORDS` records as clipped text."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: collections.deque[str] = collections.deque(maxlen=MAX_RECORDS)
        self.count = 0
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # a message argument whose repr fails
            text = f"{record.levelname} {record.msg!s}"[:MAX_RECORD_LENGTH]
        self.records.append(text[:MAX_RECORD_LENGTH])
        self.count += 1

    def handleError(self, record: logging.LogRecord) -> None:
        """Never print (the default prints to ``sys.stderr``, the user's cell)."""


_lock = threading.Lock()
_handler: MemoryHandler | None = None


def install() -> MemoryHandler:
    """Route the ``memlens`` logger to memory only (once; harmless to repeat)."""
    global _handler
    with _lock:
        if _handler is None:
            logger = logging.getLogger("memlens")
            _handler = MemoryHandler()
            logger.addHandler(_handler)
            logger.propagate = False
            if logger.level == logging.NOTSET:
                logger.setLevel(logging.INFO)
        return _handler


def count() -> int:
    """How many records memlens has logged since :func:`install` (kept or dropped)."""
    handler = _handler
    return 0 if handler is None else handler.count


def recent() -> list[str]:
    """memlens' latest errors, oldest first (empty before :func:`install`)."""
    handler = _handler
    return [] if handler is None else list(handler.records)
