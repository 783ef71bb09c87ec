"""The walk the background worker is running now: for ``progress`` and ``cancel``.

Both commands are answered at once on the comm's own thread while the worker walks (one
walk at a time: the worker runs its jobs in order). The walk reports the objects it has
visited every few milliseconds (:func:`note_objects`, through ``sizing.measure``'s
``progress``) and asks :func:`cancelled` as often (through its ``should_stop``), so a
``cancel`` stops it within a few milliseconds; its request is then answered with what it
finished.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .messages import CancelBody, ProgressBody


class _Walk:
    __slots__ = ("cancelled", "command", "objects", "request", "started")

    def __init__(self, request: str, command: str) -> None:
        self.request = request
        self.command = command
        self.started = time.perf_counter()
        self.objects = 0
        self.cancelled = False


_lock = threading.Lock()
_current: _Walk | None = None


@contextmanager
def track(request: str, command: str) -> Iterator[None]:
    """While the body runs, it is the walk ``progress`` describes and ``cancel`` stops."""
    global _current
    walk = _Walk(request, command)
    with _lock:
        _current = walk
    try:
        yield
    finally:
        with _lock:
            if _current is walk:
                _current = None


def note_objects(objects: int) -> None:
    """The running walk has visited ``objects`` objects (called every few milliseconds)."""
    walk = _current
    if walk is not None:
        walk.objects = objects


def cancelled() -> bool:
    """Whether the running walk was asked to stop."""
    walk = _current
    return walk is not None and walk.cancelled


def progress_body() -> ProgressBody:
    with _lock:
        walk = _current
        if walk is None:
            return {
                "running": False,
                "request": None,
                "command": None,
                "objects": 0,
                "elapsed_ms": 0.0,
            }
        return {
            "running": True,
            "request": walk.request,
            "command": walk.command,
            "objects": walk.objects,
            "elapsed_ms": round((time.perf_counter() - walk.started) * 1000.0, 1),
        }


def cancel(request: str | None) -> CancelBody:
    """Tell the running walk to stop (only if it answers ``request``, when given)."""
    with _lock:
        walk = _current
        if walk is None or (request is not None and walk.request != request):
            return {"cancelled": False}
        walk.cancelled = True
        return {"cancelled": True}
