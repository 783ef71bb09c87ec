"""What kind of object a type makes, for the walk: program or data, atomic or a
container, sized by its type alone, holding native buffers...; one set of bits per type.

A module, class, function without closure cells, method, builtin function, code object,
frame, traceback or descriptor is the program rather than its data: not counted, not
followed.
"""

from __future__ import annotations

import collections
import gc
import itertools
import operator
import sys
import types
from typing import Any, Callable

from .. import libraries
from ..libraries import lazy, opaque
from ..libraries.lookup import TYPE_DICT, TYPE_MRO, class_module, defining_class, is_mock_type
from .sizeof import TYPE_FLAGS

SKIP = 1
"""Not data: neither counted nor followed."""
OWN_SIZE = 2
"""Its ``__sizeof__`` is deep (pandas): count its basic size instead."""
MANAGED = 4
"""Keeps attribute values in an array beside the object (3.11+): add its estimated size."""
RESOURCE = 8
"""Holds native buffers (torch, pyarrow, shareable numpy): count them once per address."""
FUNCTION = 16
"""A function: kept (with its closure and defaults) only if it has closure cells."""
DICT = 32
"""Follow the keys too (the gc does not visit all-string keys)."""
ARRAY = 64
"""numpy array: follow ``base`` and, for object arrays, the items."""
ATOMIC = 128
"""Refers to nothing: never walked as a parent."""
CONTAINER = 256
"""May hold very many items: read in chunks when big."""
INT = 512
"""An exact int: CPython 3.11+ allocates a one-digit int as 32 bytes, ``getsizeof`` says 28."""
WALK = 1024
"""May refer to something: walked as a parent (every kind that is not atomic)."""
FIXED = 2048
"""Sized by the inherited ``object.__sizeof__`` with no items: its ``getsizeof`` (and the
attribute-value estimate) depends on its type alone, so it is read once per type."""
OPAQUE = 4096
"""Holds native memory memlens cannot see (ctypes buffers, io buffers, mmap, sqlite)."""
PY_SIZEOF = 8192
"""Its ``__sizeof__`` is Python code: sized one object at a time, each called once."""

LAZY = 16384
"""A lazy container (a query plan, a dask collection, a file-backed xarray array): what
it holds now is sized and it is flagged, never its logical size."""

DISCOVER_SPECIAL = SKIP | OWN_SIZE | RESOURCE | FUNCTION | OPAQUE | LAZY
"""Kinds that need care when counted."""
WALK_SPECIAL = FUNCTION | DICT | ARRAY
"""Kinds whose referents are more (or fewer) than ``gc.get_referents`` says."""

SKIPPED_TYPES: tuple[type, ...] = (
    types.ModuleType,
    type,
    types.BuiltinFunctionType,
    types.MethodType,
    types.CodeType,
    types.FrameType,
    types.TracebackType,
    types.MethodDescriptorType,
    types.WrapperDescriptorType,
    types.MethodWrapperType,
    types.GetSetDescriptorType,
    types.MemberDescriptorType,
    types.ClassMethodDescriptorType,
)
"""Types of the program, not data (a subclass too)."""
ATOMIC_TYPES = frozenset(
    (int, float, complex, bool, str, bytes, bytearray, type(None), range, type(Ellipsis))
)
_ATOMIC_IDS = frozenset(map(id, ATOMIC_TYPES))
CONTAINER_TYPES = (list, tuple, dict, set, frozenset)

INT_PADDING = 4 if sys.version_info >= (3, 11) else 0
"""Bytes CPython 3.11+ allocates for an int of one digit (most ints) beyond its getsizeof."""
_MANAGED_DICT = 1 << 4
"""``Py_TPFLAGS_MANAGED_DICT``."""
_INLINE_VALUES = 1 << 2
"""``Py_TPFLAGS_INLINE_VALUES``."""
_HEAPTYPE = 1 << 9
"""``Py_TPFLAGS_HEAPTYPE``: a class made by a class statement (not a builtin type)."""
_TYPE_ITEMSIZE: Callable[[type], int] = type.__dict__["__itemsize__"].__get__

_BUILTIN_METHODS = (types.MethodDescriptorType, types.WrapperDescriptorType)
"""What a builtin type's own ``__sizeof__`` is in its class namespace."""

FUNCTION_CLOSURE: Callable[[Any], Any] = types.FunctionType.__dict__["__closure__"].__get__
FUNCTION_DEFAULTS: Callable[[Any], Any] = types.FunctionType.__dict__["__defaults__"].__get__
FUNCTION_KWDEFAULTS: Callable[[Any], Any] = types.FunctionType.__dict__["__kwdefaults__"].__get__


def is_not_data(obj: object) -> bool:
    """Whether ``obj`` is the program (see the module's docstring), by its real type."""
    kind = type(obj)
    if issubclass(kind, SKIPPED_TYPES):
        return True
    return kind is types.FunctionType and not FUNCTION_CLOSURE(obj)


def runs_python_sizeof(kind: type) -> bool:
    """Whether ``getsizeof`` of a ``kind`` runs Python code: its ``__sizeof__`` is not a
    builtin type's own slot (a user-defined method, a mock's descriptor...)."""
    owner = defining_class(kind, "__sizeof__")
    if owner is None:
        return True
    return type(TYPE_DICT(owner)["__sizeof__"]) not in _BUILTIN_METHODS


def solid_base(kind: type) -> type:
    """The first class of ``kind``'s MRO that is not a heap type (``object`` for a plain
    class, ``list`` for ``class L(list)``, ``dict`` for ``Counter``). Only instances of a
    class whose solid base is ``object`` keep attribute values in an array beside them;
    a builtin subclass keeps them in a real dict (a referent, counted as a dict), and its
    referents are its items, not attribute values."""
    for klass in TYPE_MRO(kind):
        if not TYPE_FLAGS(klass) & _HEAPTYPE:
            return klass  # type: ignore[no-any-return]
    return object


def classify(kind: type, found: libraries.Libraries, *, user_sizeof: bool = True) -> int:
    """The bits of objects of type ``kind``, with the libraries the user imported.

    ``user_sizeof`` False: a ``__sizeof__`` that is Python code is never run (the object's
    basic size counts instead); a mock's never is, whatever ``user_sizeof`` says.
    """
    if issubclass(kind, SKIPPED_TYPES):
        return SKIP
    if kind is types.FunctionType:
        return FUNCTION | WALK
    bits = ATOMIC if id(kind) in _ATOMIC_IDS else WALK  # never hash a class: see Kinds
    if kind is int and INT_PADDING:
        bits |= INT
    if issubclass(kind, dict):
        bits |= DICT
    if issubclass(kind, CONTAINER_TYPES) or class_module(kind) == "collections":
        bits |= CONTAINER
    if found.is_array_type(kind):
        bits |= ARRAY | CONTAINER
    if found.has_native_buffers(kind):
        bits |= RESOURCE
    if libraries.sizes_itself(kind):
        bits |= OWN_SIZE
    if is_mock_type(kind) or (not user_sizeof and runs_python_sizeof(kind)):
        bits |= OWN_SIZE
    elif runs_python_sizeof(kind):
        bits |= PY_SIZEOF
    if opaque.holds_unseen_memory(kind):
        bits |= OPAQUE
    if lazy.is_lazy_type(kind):
        bits |= LAZY
    if (
        sys.version_info >= (3, 11)
        and TYPE_FLAGS(kind) & (_MANAGED_DICT | _INLINE_VALUES)
        and solid_base(kind) is object
    ):
        bits |= MANAGED
    if (
        defining_class(kind, "__sizeof__") is object
        and _TYPE_ITEMSIZE(kind) == 0
        and not bits & (CONTAINER | ARRAY | RESOURCE | OWN_SIZE)
    ):
        bits |= FIXED
    return bits


def metaclasses() -> list[type]:
    """Every metaclass of the process (``type``'s subclasses, recursively); no code runs."""
    found: dict[int, type] = {}
    pending: list[type] = [type]
    while pending:
        subclasses: list[type] = type.__subclasses__(pending.pop())
        for subclass in subclasses:
            if id(subclass) not in found:
                found[id(subclass)] = subclass
                pending.append(subclass)
    return list(found.values())


def hashes_safely(meta: type) -> bool:
    """Whether hashing and comparing classes of metaclass ``meta`` runs no Python code:
    it defines neither ``__hash__`` nor ``__eq__`` (nor unhashability) in Python."""
    try:
        namespace = TYPE_DICT(meta)
        return not any(
            name in namespace and type(namespace[name]) not in _BUILTIN_METHODS
            for name in ("__hash__", "__eq__")
        )
    except Exception:
        return False


def distinct_types(objects: list[object], *, safe: bool = False) -> list[type]:
    """The types of ``objects``, each once, without running a metaclass's ``__hash__`` or
    ``__eq__``: a set of the types (done in C) when ``safe`` says no metaclass of the
    process defines them, or every type's metaclass is exactly ``type``; else distinct by
    identity."""
    if safe or all(map(operator.is_, map(type, map(type, objects)), itertools.repeat(type))):
        return list(set(map(type, objects)))
    found = list(map(type, objects))
    return list(dict(zip(map(id, found), found)).values())


class Kinds:
    """The bits of each type met in one walk, classified once.

    Keyed by the type's id, never by the type (hashing a class runs its metaclass's
    ``__hash__``); the types are held for the walk only, so their ids stay theirs.
    """

    def __init__(self, found: libraries.Libraries, *, user_sizeof: bool = True) -> None:
        self.libraries = found
        self.user_sizeof = user_sizeof
        self.bits: dict[int, int] = {}
        self.held: list[type] = []
        self.safe = all(map(hashes_safely, metaclasses()))
        """No metaclass hashes or compares classes in Python (checked once a walk, almost
        always true): sets of types are then made in C."""

    def distinct(self, objects: list[object]) -> list[type]:
        """The types of ``objects``, each once (see :func:`distinct_types`)."""
        return distinct_types(objects, safe=self.safe)

    def of(self, kind: type) -> int:
        bits = self.bits.get(id(kind))
        if bits is None:
            try:
                bits = classify(kind, self.libraries, user_sizeof=self.user_sizeof)
            except Exception:
                bits = OWN_SIZE | WALK  # unreadable: its basic size, its referents
            self.bits[id(kind)] = bits
            self.held.append(kind)
        return bits

    def of_all(self, objects: list[object]) -> int:
        """The union of the bits of the types of ``objects``."""
        bits = 0
        of = self.of
        for kind in self.distinct(objects):
            bits |= of(kind)
        return bits

    def forget(self, kind: type, bit: int) -> None:
        """Objects of ``kind`` turned out not to be of kind ``bit`` after all."""
        self.bits[id(kind)] = self.of(kind) & ~bit

    def clear(self) -> None:
        """The walk is over: let go of the types."""
        self.bits.clear()
        self.held.clear()


def values_array_size(attributes: int) -> int:
    """Estimated bytes of the attribute-value array of an instance with ``attributes``
    attribute values (CPython 3.11+: a managed dict not turned into a real dict).

    Measured on 3.11 and 3.12 with tracemalloc: one slot per attribute plus one, after a
    prefix of one byte per slot plus two, rounded up to 8 bytes. 3.13 allocates the values
    inline, after the object (``_PyInlineValuesSize``): a prefix of one byte per slot
    rounded up to 8, then one slot more; with the class's keys sized to its attributes
    plus one, as measured with tracemalloc for 1 to 12 attributes.
    """
    slots = attributes + 1
    if sys.version_info[:2] == (3, 13):
        return (slots + 7) // 8 * 8 + 8 * (slots + 1)
    return (slots + 2 + 7) // 8 * 8 + 8 * slots


def values_size(sample: object) -> int:
    """The estimated attribute-value array of ``sample`` (see :func:`values_array_size`);
    0 if its attributes live in a real dict (materialized by ``obj.__dict__``: that dict,
    a referent, is counted as a dict and holds the values)."""
    return values_sizes([sample])


def _all_materialized(together: list[object], objects: list[object]) -> bool:
    """Whether ``together`` (the referents of ``objects``, in order, two each) is a dict
    then the instance's class for every instance. Every instance's referents end with its
    class (visited last), so with a dict at each even place and each instance's class at
    the odd place after it, each instance has exactly those two. Compared by identity: no
    metaclass ``__eq__`` runs."""
    classes = together[1::2]
    if not all(map(operator.is_, classes, map(type, objects))):
        return False
    return all(map(operator.is_, map(type, together[0::2]), itertools.repeat(dict)))


def values_sizes(objects: list[object]) -> int:
    """:func:`values_size` of each of ``objects`` (instances of classes whose solid base
    is ``object``), summed: one instance of a class may have its dict materialized and
    the next not, so each is read (``gc.get_referents``: its slot values, then its
    attribute values or its dict, then its class), in C maps over the batch."""
    if not objects:
        return 0
    first = gc.get_referents(objects[0])
    width = len(first)
    materialized = width == 2 and type(first[0]) is dict
    del first
    together = gc.get_referents(*objects)  # one call in C for the whole batch
    if len(together) == width * len(objects):
        if not materialized:
            # All like the first: a mix of materialized dicts and values cannot add up to
            # exactly this unless attribute counts differ too.
            return len(objects) * values_array_size(max(0, width - 1))
        if _all_materialized(together, objects):
            return 0  # each holds a real dict, counted as a referent (unpickled, copied...)
    del together
    referents = list(map(gc.get_referents, objects))
    lengths = list(map(len, referents))
    total = 0
    for length, count in collections.Counter(lengths).items():
        total += count * values_array_size(max(0, length - 1))
    if 2 in lengths:  # a materialized dict and the class: the dict holds the values
        firsts = [found[0] for found, length in zip(referents, lengths) if length == 2]
        total -= list(map(type, firsts)).count(dict) * values_array_size(1)
    return total
