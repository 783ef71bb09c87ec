"""What a Variables row says of an object, without running its code: a type name, a
shape, a bounded label, whether its class customizes attribute lookup."""

from __future__ import annotations

import collections
import types
import weakref
from typing import Any

from .. import libraries
from ..libraries.lookup import TYPE_DICT, TypeCache, defining_class, is_a, library_module

_TYPE_NAME = type.__dict__["__name__"].__get__
_TYPE_MODULE = type.__dict__["__module__"].__get__
_TYPE_QUALNAME = type.__dict__["__qualname__"].__get__
LABEL_LENGTH = 60
"""Longest label, in characters."""


_names: TypeCache[str] = TypeCache()
"""Type names by class, held weakly (a deleted class is freed)."""


def type_name(obj: object) -> str:
    """``list`` for builtins, else ``module.qualname``, shortened to the top-level package
    where it exports the same class (``pandas.DataFrame``, not ``pandas.core.frame...``)."""
    kind = type(obj)
    name = _names.get(kind)
    if name is None:
        name = _type_name(kind)
        _names.put(kind, name)
    return name


def _type_name(kind: type) -> str:
    try:
        module = _TYPE_MODULE(kind)
        qualname = _TYPE_QUALNAME(kind)
    except Exception:
        return "?"
    if type(module) is not str or type(qualname) is not str:  # a subclass's methods are code
        return str(_TYPE_NAME(kind))
    if module == "builtins":
        return qualname
    top = module.split(".", 1)[0]
    if top != module and library_module(top).get(qualname.split(".", 1)[0]) is kind:
        return f"{top}.{qualname}"
    return f"{module}.{qualname}"


_SIZED = (list, tuple, dict, set, frozenset, str, bytes, bytearray)


def builtin_len(obj: object) -> int | None:
    """The length of a builtin container (or of a subclass, by the builtin's own
    ``__len__``), a deque or a range; None for anything else (no ``__len__`` runs)."""
    base: Any
    for base in _SIZED:
        if is_a(obj, base):
            return int(base.__len__(obj))
    if is_a(obj, collections.deque):
        return int(collections.deque.__len__(obj))
    if is_a(obj, range):
        try:
            return len(obj)
        except OverflowError:
            return None
    return None


def shape(obj: object) -> str | None:
    """``(1000, 3)`` for numpy arrays and pandas frames and series, ``len N`` for sized
    builtin containers and strings, else None."""
    try:
        described = libraries.shape_of(obj)
    except Exception:
        return None
    if described is not None:
        return described
    length = builtin_len(obj)
    return None if length is None else f"len {length}"


GETATTR_HOSTILE = "getattr_hostile"
"""The object's class customizes attribute lookup (``__getattr__``/``__getattribute__``),
as proxies do: memlens never calls it, and sizes what the object really references."""

_TRUSTED_GETATTR = ("pandas", "numpy", "torch", "xarray", "IPython", "traitlets", "polars")


def attribute_flags(obj: object) -> list[str]:
    """``[GETATTR_HOSTILE]`` for proxies and classes with their own attribute lookup
    (outside a few well-known libraries), else ``[]``."""
    kind = type(obj)
    if kind is weakref.ProxyType or kind is weakref.CallableProxyType:
        return [GETATTR_HOSTILE]
    for name in ("__getattribute__", "__getattr__"):
        owner = defining_class(kind, name)
        if owner is None:
            continue
        lookup = TYPE_DICT(owner).get(name)
        if type(lookup) is not types.FunctionType:
            continue  # a builtin type's own slot: not customized
        module = TYPE_DICT(owner).get("__module__", "")
        if type(module) is str and module.split(".", 1)[0] in _TRUSTED_GETATTR:
            continue
        return [GETATTR_HOSTILE]
    return []


def label(value: object, fallback: str) -> str:
    """A bounded repr of ``value`` if it is a str, bytes, int, float, bool, None or a
    short tuple of those (by the builtins' own ``__repr__``); else ``fallback``."""
    text = _safe_repr(value, 2)
    if text is None:
        return fallback
    return text if len(text) <= LABEL_LENGTH else text[: LABEL_LENGTH - 1] + "\u2026"


def _safe_repr(value: object, depth: int) -> str | None:
    if value is None or value is True or value is False:
        return repr(value)
    if is_a(value, str):
        return str.__repr__(str.__getitem__(value, slice(0, LABEL_LENGTH)))
    if is_a(value, bytes):
        return bytes.__repr__(bytes.__getitem__(value, slice(0, LABEL_LENGTH)))
    if is_a(value, int):
        if int.bit_length(value) > 128:
            return f"<int of {int.bit_length(value)} bits>"
        return int.__repr__(value)
    if is_a(value, float):
        return float.__repr__(value)
    if is_a(value, tuple) and depth > 0:
        items = tuple.__getitem__(value, slice(0, 5))
        parts = [_safe_repr(item, depth - 1) for item in items]
        if any(part is None for part in parts):
            return None
        more = ", \u2026" if tuple.__len__(value) > 5 else ""
        comma = "," if tuple.__len__(value) == 1 else ""
        return "(" + ", ".join(parts) + comma + more + ")"  # type: ignore[arg-type]
    return None
