"""Small objects in front of native memory ``getsizeof`` does not see: ctypes buffers,
``io.StringIO``, ``mmap`` and sqlite connections.

They are flagged ("holds memory memlens cannot see"); where the hidden bytes can be read
without running user code (a type slot of the standard library's own class), they are
counted too. The standard library's modules are only looked up in ``sys.modules``,
never imported, like any library.
"""

from __future__ import annotations

import sys
from typing import Any, Callable

from .lookup import MODULE_DICT, TYPE_DICT, TYPE_MRO

_OPAQUE_CLASSES = (
    ("_io", "StringIO"),
    ("mmap", "mmap"),
    ("sqlite3", "Connection"),
)
"""(module, class): the classes whose instances hold memory ``getsizeof`` leaves out."""

INLINE_CTYPES_BYTES = 16
"""A ctypes object of at most this many bytes keeps them inside itself (``b_value``)."""


def _class(module: str, name: str) -> type | None:
    found = sys.modules.get(module)
    if found is None:
        return None
    try:
        klass = MODULE_DICT(found).get(name)
    except Exception:
        return None
    return klass if issubclass(type(klass), type) else None


def _cdata() -> type | None:
    """ctypes' base of every ctypes type (not exported: found under ``ctypes.Array``)."""
    array = _class("ctypes", "Array")
    if array is None:
        return None
    for base in TYPE_MRO(array):
        if TYPE_DICT(base).get("_b_needsfree_") is not None:
            return base  # type: ignore[no-any-return]
    return None


def _in_mro(kind: type, klass: type | None) -> bool:
    if klass is None:
        return False
    try:
        return any(base is klass for base in TYPE_MRO(kind))
    except Exception:
        return False


def holds_unseen_memory(kind: type) -> bool:
    """Whether instances of ``kind`` hold native memory ``getsizeof`` does not count."""
    if _in_mro(kind, _cdata()):
        return True
    return any(_in_mro(kind, _class(module, name)) for module, name in _OPAQUE_CLASSES)


def _member(klass: type, name: str) -> Callable[[Any], Any] | None:
    getter = getattr(TYPE_DICT(klass).get(name), "__get__", None)
    return getter if callable(getter) else None


def file_backed(obj: object) -> bool:
    """Whether ``obj`` is an ``mmap`` of a file (a ``numpy.memmap``'s base): its pages are
    the file's, in the page cache, given back under pressure rather than swapped: shown
    apart from the heap (flagged ``file_backed``), never counted in sizes. ``mmap.size``
    (the stdlib's C method: an ``fstat`` of the map's descriptor) fails for an anonymous
    map, whose pages are heap-like and counted. Never raises."""
    mapping = _class("mmap", "mmap")
    if mapping is None or not _in_mro(type(obj), mapping):
        return False
    size = TYPE_DICT(mapping).get("size")
    if not callable(size):
        return False
    try:
        size(obj)
    except Exception:
        return False
    return True


def native_bytes(obj: object) -> int:
    """The native bytes behind ``obj`` that can be read without running its code: a
    ctypes object's own buffer (``ctypes.sizeof``, when it owns it), an anonymous mapping's
    length (0 for a file's: see :func:`file_backed`);
    0 where unknown (a StringIO, a sqlite connection). Never raises."""
    kind = type(obj)
    try:
        cdata = _cdata()
        if cdata is not None and _in_mro(kind, cdata):
            owns = _member(cdata, "_b_needsfree_")
            ctypes = sys.modules.get("ctypes")
            sizeof = MODULE_DICT(ctypes).get("sizeof") if ctypes is not None else None
            if owns is None or not callable(sizeof) or not owns(obj):
                return 0
            size = int(sizeof(obj))
            return size if size > INLINE_CTYPES_BYTES else 0
        mapping = _class("mmap", "mmap")
        if mapping is not None and _in_mro(kind, mapping):
            length = TYPE_DICT(mapping).get("__len__")
            if file_backed(obj):
                return 0  # a file's pages: apart from the heap (see file_backed)
            return int(length(obj)) if callable(length) else 0
    except Exception:  # a closed mapping, a freed buffer
        return 0
    return 0
