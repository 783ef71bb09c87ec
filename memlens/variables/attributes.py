"""The instance attributes of an object, read without running its code: ``__slots__``
member descriptors, and the names the class's own code assigns (dataclass fields,
``__match_args__``, names stored by its functions), each read by
``object.__getattribute__`` only where the class defines no descriptor for it."""

from __future__ import annotations

import gc
import types
from collections.abc import Iterator

from ..libraries.lookup import TYPE_DICT, TYPE_MRO, TypeCache

_OBJECT_GETATTRIBUTE = object.__getattribute__
_MISSING = object()


def named_attributes(obj: object, kind: type) -> Iterator[tuple[str, object]]:
    """``(name, value)`` of the attributes of ``obj`` (of type ``kind``) that can be named
    (see the module's docstring), among the objects it really refers to."""
    referent_ids = {id(item) for item in gc.get_referents(obj)}
    seen: set[str] = set()
    for name, value in _slot_values(obj, kind):
        seen.add(name)
        yield name, value
    for name in _candidate_names(kind):
        if name in seen or name.startswith("__"):
            continue
        seen.add(name)
        value = _instance_attribute(obj, kind, name)
        if value is not _MISSING and id(value) in referent_ids:
            yield name, value


def _slot_values(obj: object, kind: type) -> Iterator[tuple[str, object]]:
    for klass in TYPE_MRO(kind):
        slots = TYPE_DICT(klass).get("__slots__", ())
        if isinstance(slots, str):
            slots = (slots,)
        if not isinstance(slots, (tuple, list)):
            continue
        for name in slots:
            if not isinstance(name, str):
                continue
            descriptor = TYPE_DICT(klass).get(_mangle(klass, name))
            if type(descriptor) is not types.MemberDescriptorType:
                continue
            try:
                yield name, descriptor.__get__(obj, kind)
            except AttributeError:
                continue


def _mangle(klass: type, name: str) -> str:
    if name.startswith("__") and not name.endswith("__"):
        return "_" + str(TYPE_DICT(klass).get("__name__", klass.__name__)).lstrip("_") + name
    return name


_candidates: TypeCache[list[str]] = TypeCache()
"""Attribute names by class, held weakly (a deleted class is freed)."""


def _candidate_names(kind: type) -> list[str]:
    """Names an instance of ``kind`` probably has: dataclass fields, ``__match_args__``,
    and every name stored as an attribute by the code of the class's functions."""
    found = _candidates.get(kind)
    if found is not None:
        return found
    names: dict[str, None] = {}
    for klass in TYPE_MRO(kind):
        if klass is object:
            continue
        namespace = TYPE_DICT(klass)
        fields = namespace.get("__dataclass_fields__")
        if isinstance(fields, dict):
            names.update(dict.fromkeys(name for name in fields if isinstance(name, str)))
        match_args = namespace.get("__match_args__")
        if isinstance(match_args, tuple):
            names.update(dict.fromkeys(name for name in match_args if isinstance(name, str)))
        for value in list(namespace.values()):
            functions: list[object] = [value]
            if isinstance(value, (staticmethod, classmethod)):
                functions = [value.__func__]
            elif isinstance(value, property):
                functions = [value.fget, value.fset, value.fdel]
            for function in functions:
                if type(function) is types.FunctionType:
                    for code in _codes(function.__code__):
                        names.update(dict.fromkeys(code.co_names))
    found = list(names)
    _candidates.put(kind, found)
    return found


def _codes(code: types.CodeType) -> Iterator[types.CodeType]:
    pending = [code]
    while pending:
        current = pending.pop()
        yield current
        pending.extend(const for const in current.co_consts if isinstance(const, types.CodeType))


def _instance_attribute(obj: object, kind: type, name: str) -> object:
    """The value of ``name`` if the instance itself holds one, else _MISSING. Runs no
    descriptor and no ``__getattr__``: names the class defines with a ``__get__`` are
    left out (properties run code), as are names the instance does not hold."""
    for klass in TYPE_MRO(kind):
        attribute = TYPE_DICT(klass).get(name, _MISSING)
        if attribute is not _MISSING:
            if hasattr(type(attribute), "__get__"):
                return _MISSING
            break
    try:
        return _OBJECT_GETATTRIBUTE(obj, name)
    except Exception:
        return _MISSING
