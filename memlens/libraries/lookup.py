"""Reading classes and modules without running their code: the tools of the safety rule.

Every read here goes through a type slot or a class's own ``__dict__`` (never ``getattr``
on a user object or a module object, which could run ``__getattr__``, a property or a
subclass's override).
"""

from __future__ import annotations

import sys
import types
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Callable, Generic, TypeVar

__all__ = [
    "MODULE_DICT",
    "TYPE_DICT",
    "TYPE_MRO",
    "Buffer",
    "TypeCache",
    "class_module",
    "defining_class",
    "is_a",
    "is_mock_type",
    "library_class",
    "library_module",
    "module_dict",
    "readers",
]

V = TypeVar("V")

TYPE_DICT: Callable[[type], Any] = type.__dict__["__dict__"].__get__
"""A class's own namespace (a mappingproxy), read by ``type``'s slot."""
TYPE_MRO: Callable[[type], Any] = type.__dict__["__mro__"].__get__
"""A class's method resolution order, read by ``type``'s slot (a metaclass cannot lie)."""
Buffer = tuple[tuple[str, int], int]
"""``(("cpu", address), bytes)``: a native buffer, keyed by where it lies in memory, so
that a buffer two libraries share (``torch.from_numpy``, zero-copy arrow) counts once."""

MODULE_DICT: Callable[[object], Any] = vars(types.ModuleType)["__dict__"].__get__
"""A module's globals, read by the module type's slot (no module ``__getattr__`` runs)."""


if TYPE_CHECKING:  # narrows as isinstance does (TypeGuard is not in Python 3.9)
    from builtins import isinstance as is_a
else:

    def is_a(obj: object, classes: type | tuple[type, ...]) -> bool:
        """``isinstance`` by the object's real type: a ``__class__`` property or a
        ``__getattr__`` of the object is never consulted (``isinstance`` asks
        ``__class__`` when the real type does not match)."""
        return issubclass(type(obj), classes)


def defining_class(kind: type, name: str) -> type | None:
    """The class of ``kind``'s MRO whose own namespace defines ``name`` (no code runs)."""
    try:
        for klass in TYPE_MRO(kind):
            if name in TYPE_DICT(klass):
                return klass  # type: ignore[no-any-return]
    except Exception:
        return None
    return None


def is_mock_type(kind: type) -> bool:
    """Whether ``kind`` is a ``unittest.mock`` class (found in ``sys.modules``, never
    imported): every attribute of a mock, ``__sizeof__`` included, is mock code."""
    mock = sys.modules.get("unittest.mock")
    if mock is None:
        return False
    base = module_dict(mock).get("NonCallableMock")
    try:
        return base is not None and any(klass is base for klass in TYPE_MRO(kind))
    except Exception:
        return False


def class_module(klass: type) -> str:
    """The ``__module__`` a class's own namespace names ("" when there is none)."""
    module = TYPE_DICT(klass).get("__module__", "")
    return module if isinstance(module, str) else ""


def module_dict(module: object) -> dict[str, Any]:
    """The globals of a module object ({} for anything else)."""
    if not isinstance(module, types.ModuleType):
        return {}
    try:
        namespace = MODULE_DICT(module)
    except Exception:
        return {}
    return namespace if isinstance(namespace, dict) else {}


def library_module(name: str) -> dict[str, Any]:
    """The globals of an imported module, by its name in ``sys.modules`` ({} when the user
    has not imported it: memlens never imports a library)."""
    return module_dict(sys.modules.get(name))


def library_class(module: str, name: str) -> type | None:
    """A class an imported module defines (``library_class("pandas", "DataFrame")``)."""
    found = library_module(module).get(name)
    return found if isinstance(found, type) else None


def readers(klass: type, names: Iterable[str]) -> dict[str, Callable[[Any], Any]]:
    """The ``__get__`` of the descriptors that ``klass`` or a base defines for ``names``:
    a property's or getter's gives the value, a method's the bound method. Read through
    the library's own class, so that no override of a subclass runs."""
    found: dict[str, Callable[[Any], Any]] = {}
    for name in names:
        owner = defining_class(klass, name)
        getter = None if owner is None else getattr(TYPE_DICT(owner)[name], "__get__", None)
        if callable(getter):
            found[name] = getter
    return found


class TypeCache(Generic[V]):
    """Values computed once per class, held without keeping the class alive.

    Keyed by the class's id (hashing a class runs its metaclass's ``__hash__``) next to a
    weak reference to it: an entry goes when its class is collected, so a class the user
    deleted (or redefined in a cell) is freed with everything its attributes hold. The
    values must not refer to the class.
    """

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._entries: dict[int, tuple[weakref.ref[type], V]] = {}

    def get(self, kind: type) -> V | None:
        entry = self._entries.get(id(kind))
        if entry is None or entry[0]() is not kind:
            return None
        return entry[1]

    def put(self, kind: type, value: V) -> None:
        key = id(kind)
        entries = self._entries

        def forget(ref: weakref.ref[type]) -> None:
            entry = entries.get(key)
            if entry is not None and entry[0] is ref:
                entries.pop(key, None)

        try:
            ref = weakref.ref(kind, forget)
        except TypeError:  # not weakly referenceable: not cached
            return
        if len(entries) >= self.limit:
            entries.clear()
        entries[key] = (ref, value)

    def __len__(self) -> int:
        return len(self._entries)
