"""A cheap, bounded check of whether a variable's value changed: its fingerprint.

A fingerprint is a tuple of plain integers read from the value and from what it holds, a
few levels down, breadth first: each object's identity, its type's identity, and for the
builtin containers their length and ``sys.getsizeof`` (for other objects the size their
type's compiled ``__sizeof__`` reports, or their basic size when ``__sizeof__`` is written
in Python: no user code runs). Two equal fingerprints of the same object mean that none
of these facts changed; :mod:`.kept` then keeps the sizes of the last complete walk.

Bounded in time: at most :data:`MOST_OBJECTS` objects and :data:`MOST_LEVELS` levels, and
of a container with more than :data:`SAMPLE` items only :data:`SAMPLE` items spread
evenly over it (its length and size always count). So what it does not see: an in-place
change deep inside a container (below :data:`MOST_LEVELS` levels, past the object limit,
or in an item the sample skips) that changes neither a length nor a size the fingerprint
reads, e.g. ``big_list[12345].append(x)``, or the items of a numpy object array. It holds
no reference to anything it read (integers only).
"""

from __future__ import annotations

import collections
import gc
import types
from itertools import islice
from typing import Any, Callable

from .. import sizing
from . import names

MOST_OBJECTS = 1024
"""Most objects one fingerprint reads."""

MOST_LEVELS = 6
"""How deep it reads: enough for a DataFrame's blocks (frame, its dict, the block manager,
the blocks tuple, a block, the block's array) and a dict of frames' first levels."""

SAMPLE = 64
"""Items read of a bigger container (evenly spread; its length and size always count)."""

# Types are told apart by identity only: hashing or comparing a class can run its
# metaclass's __hash__ or __eq__ (user code).
_SEQUENCES = frozenset(map(id, (list, tuple)))
_SAMPLED = frozenset(map(id, (set, frozenset, collections.deque)))
_LENGTHS = frozenset(
    map(id, (list, tuple, dict, set, frozenset, bytearray, str, bytes, collections.deque))
)
_TYPE_MRO: Callable[[type], tuple[type, ...]] = type.__dict__["__mro__"].__get__
_TYPE_DICT: Callable[[type], Any] = type.__dict__["__dict__"].__get__


def _compiled_sizeof(kind: type) -> bool:
    """Whether ``kind``'s ``__sizeof__`` is compiled (so calling it runs no Python code)."""
    for klass in _TYPE_MRO(kind):
        sizer = _TYPE_DICT(klass).get("__sizeof__")
        if sizer is not None:
            return type(sizer) is not types.FunctionType
    return True


def _size(obj: object, kind: type, compiled: dict[int, bool]) -> int:
    known = compiled.get(id(kind))  # by id: see _SEQUENCES
    if known is None:
        known = compiled[id(kind)] = _compiled_sizeof(kind)
    if not known:
        return sizing.basic_size(obj)
    size, _ = sizing.checked_getsizeof(obj)
    return -1 if size is None else size


def _children(obj: object, kind: type) -> list[object]:
    """What ``obj`` holds: a sample of a big builtin container, else its gc referents."""
    if id(kind) in _SEQUENCES:
        items: Any = obj
        count = len(items)
        if count > SAMPLE:
            step = count / SAMPLE
            return [items[int(n * step)] for n in range(SAMPLE)]
        return list(items)
    if kind is dict:
        mapping: Any = obj
        if len(mapping) > SAMPLE:
            return [*islice(dict.keys(mapping), SAMPLE), *islice(dict.values(mapping), SAMPLE)]
    elif id(kind) in _SAMPLED:
        return list(islice(iter(obj), SAMPLE))  # type: ignore[call-overload]
    return gc.get_referents(obj)


def fingerprint(values: list[object]) -> tuple[int, ...] | None:
    """The fingerprint of a group of objects (one variable's value, or a root of several);
    None when it could not be read (a container changed size while it was read)."""
    facts: list[int] = []
    seen: set[int] = set()
    compiled: dict[int, bool] = {}
    level = list(values)
    try:
        for _ in range(MOST_LEVELS):
            below: list[object] = []
            for obj in level:
                key = id(obj)
                if key in seen:
                    facts.append(key)  # met again: where it is met is part of the shape
                    continue
                seen.add(key)
                kind = type(obj)
                if names.is_program(obj) or kind is type:
                    facts.append(key)  # program: its identity, never what it holds
                    continue
                facts += (key, id(kind), _size(obj, kind, compiled))
                if id(kind) in _LENGTHS:
                    facts.append(len(obj))  # type: ignore[arg-type]
                if len(seen) >= MOST_OBJECTS:
                    return tuple(facts)
                below += _children(obj, kind)
            if not below:
                break
            level = below
            facts.append(-1)  # the end of a level
    except Exception:  # a dict or set changed size while it was read (another thread)
        return None
    return tuple(facts)


ATOMIC_TYPES = frozenset(map(id, (int, float, complex, bool, type(None), str, bytes)))
"""Types whose objects refer to nothing: a new variable bound to one can share no more
than its own bytes with the other variables."""

SMALL_BYTES = 4096
"""A new variable bound to an atomic object of at most this size leaves kept retained
sizes exact enough (see docs/sizing-design.md)."""


def is_small_atom(obj: object) -> bool:
    """An object of an atomic type of at most :data:`SMALL_BYTES` (exact types only)."""
    if id(type(obj)) not in ATOMIC_TYPES:
        return False
    size, _ = sizing.checked_getsizeof(obj)
    return size is not None and size <= SMALL_BYTES
