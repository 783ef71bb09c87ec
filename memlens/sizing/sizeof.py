"""``sys.getsizeof``, carefully: a hostile ``__sizeof__`` (one that raises, or returns a
negative or absurd number) is replaced by a size that runs no code of the object's, and
flagged."""

from __future__ import annotations

import sys
import threading
from typing import Any, Callable, Optional

from ..libraries.lookup import is_mock_type
from .budget import physical_memory
from .report import SIZEOF_ABSURD, SIZEOF_NEGATIVE, SIZEOF_RAISED

ABSURD_BYTES = max(physical_memory(), 1 << 33)
"""A ``__sizeof__`` above this (the machine's memory, at least 8 GiB) is not believed."""

HAVE_GC = 1 << 14
"""``Py_TPFLAGS_HAVE_GC``: objects of the type carry a gc header ``getsizeof`` adds."""
GC_HEADER = sys.getsizeof([]) - [].__sizeof__()
"""Bytes of the gc header in front of a tracked object."""
TYPE_FLAGS: Callable[[type], int] = type.__dict__["__flags__"].__get__
"""A type's ``tp_flags``, read by ``type``'s slot."""
_OBJECT_SIZEOF: Callable[[object], int] = object.__sizeof__


PREHEADER_FLAGS = ((1 << 4) | (1 << 3)) if sys.version_info >= (3, 12) else (1 << 4)
"""``Py_TPFLAGS_MANAGED_DICT`` (and, 3.12+, ``MANAGED_WEAKREF``): two pointers before the
gc header, which ``getsizeof`` counts (3.11+)."""


def basic_size(obj: object) -> int:
    """``object.__sizeof__`` plus what ``getsizeof`` adds in front of the object (the gc
    header, and 3.11+ the managed dict and weakref pointers): a size that runs no code of
    the object's."""
    size = _OBJECT_SIZEOF(obj)
    flags = TYPE_FLAGS(type(obj))
    if flags & HAVE_GC:
        size += GC_HEADER
    if sys.version_info >= (3, 11) and flags & PREHEADER_FLAGS:
        size += 16
    return size


def _message(error: BaseException) -> str:
    if type(error) is not ValueError:  # a subclass's __str__ is user code
        return ""
    try:
        return str(error)
    except Exception:
        return ""


def reraise_interrupt(error: BaseException) -> None:
    """Raise ``error`` again if it may be the user's Ctrl-C (a ``KeyboardInterrupt`` on the
    main thread, where signals land); any other exception a ``__sizeof__`` raised --
    ``SystemExit``, ``CancelledError``, a ``KeyboardInterrupt`` on the worker -- is the
    object's misbehaviour, contained and flagged."""
    if type(error) is KeyboardInterrupt and threading.current_thread() is threading.main_thread():
        raise error


def checked_getsizeof(obj: object) -> tuple[int | None, str | None]:
    """``(sys.getsizeof(obj), None)``, or ``(None, flag)`` when ``__sizeof__`` raises or
    returns a negative or absurd number (the flag says which)."""
    if is_mock_type(type(obj)):  # its __sizeof__ is a mock: calling it records a call
        return basic_size(obj), None
    try:
        size = sys.getsizeof(obj)
    except ValueError as error:
        return None, SIZEOF_NEGATIVE if ">= 0" in _message(error) else SIZEOF_RAISED
    except OverflowError:
        return None, SIZEOF_ABSURD
    except BaseException as error:
        reraise_interrupt(error)
        return None, SIZEOF_RAISED
    if size > ABSURD_BYTES:
        return None, SIZEOF_ABSURD
    return size, None


Known = tuple[Optional[int], Optional[str]]
"""What :func:`checked_getsizeof` said of an object."""


def careful_size(obj: object, flags: set[str], known: Known | None = None) -> int:
    """``sys.getsizeof(obj)``, or its :func:`basic_size` with a flag added to ``flags``;
    ``known``: what :func:`checked_getsizeof` said already (not asked again)."""
    size, flag = checked_getsizeof(obj) if known is None else known
    if size is None:
        flags.add(flag or SIZEOF_RAISED)
        return basic_size(obj)
    return size


def _sizer(kind: type) -> tuple[Callable[[Any], int], int]:
    extra = GC_HEADER if TYPE_FLAGS(kind) & HAVE_GC else 0
    sizeof: Callable[[Any], int] = getattr(kind, "__sizeof__")  # noqa: B009 (typed)
    return sizeof, extra


BUILTIN_SIZERS: dict[int, tuple[Callable[[Any], int], int]] = {
    id(kind): _sizer(kind)
    for kind in (int, str, bytes, bytearray, tuple, list, dict, set, frozenset, complex)
}
"""Builtin types (by id: hashing a user type runs its metaclass) by their own
``__sizeof__`` and the gc header ``getsizeof`` adds: for a batch of one exact builtin type,
mapping the type's ``__sizeof__`` needs no method lookup and no bound method per object,
unlike mapping ``getsizeof``."""
