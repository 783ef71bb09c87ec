"""List an object's parts and follow paths to them, without running the user's code.

Used by the Variables section (with :mod:`.describe` for type names, shapes and labels,
and :mod:`.attributes` for an instance's named attributes): the parts of a container or
an instance (:func:`children`), the object a path of steps leads to
(:func:`resolve`) and the objects it passes through (:func:`trail`). Only C-level methods
of the builtin types are called on user objects (``list.__len__``, ``dict.keys``,
``object.__getattribute__`` where no descriptor can run, member descriptors of
``__slots__``), so a hostile ``__getattr__``, ``__getattribute__``, ``__len__``,
``__iter__``, ``__repr__`` or ``__class__`` is never called. numpy arrays and pandas
frames are read through :mod:`memlens.libraries`, under its safety rule.

Children, by the kind of object:

- list, tuple, deque: items, ``[i]``, step ``{"kind": "index", "index": i}``;
- dict (and subclasses): the value of each entry in iteration order, labelled by a safe
  repr of its key, step ``{"kind": "key", "index": n}``;
- set, frozenset: elements in iteration order, step ``index`` (the order is Python's
  and changes when the set does: a stale path may then lead to another element);
- numpy arrays: ``.base`` for a view; the items along the first axis of object arrays;
- pandas DataFrame: columns, labelled by a safe repr of the column name, step
  ``{"kind": "column", "index": n}``; the part is the column's values (an ndarray or
  pandas extension array);
- anything else: its instance attributes, named where the name can be found without
  reading ``__dict__`` (``__slots__``, dataclass fields, and names the class's own
  methods assign), step ``{"kind": "attr", "value": name}``; other referents the gc
  reports are listed as ``<referent k: Type>`` with step ``index`` k.

Modules, classes, functions and the like are not expanded.
"""

from __future__ import annotations

import collections
import gc
import itertools
from collections.abc import Iterator
from typing import Any

from .. import libraries, sizing
from ..libraries.lookup import is_a
from .attributes import named_attributes
from .describe import builtin_len, label, type_name

_MISSING = object()


class PathError(Exception):
    """A path step that does not (or no longer) lead anywhere."""


class Child:
    """One part of an object: how to show it, the step to it, and the object."""

    __slots__ = ("label", "obj", "step")

    def __init__(self, label: str, step: dict[str, Any], obj: object) -> None:
        self.label = label
        self.step = step
        self.obj = obj

    def __repr__(self) -> str:
        return f"Child({self.label!r}, {self.step!r})"


def _frames(obj: object) -> libraries.PandasFrames | None:
    """pandas' readers if ``obj`` is a DataFrame, else None."""
    pandas = libraries.pandas_frames()
    return pandas if pandas is not None and pandas.is_frame(obj) else None


def _arrays(obj: object) -> libraries.NumpyArrays | None:
    """numpy's readers if ``obj`` is a numpy array, else None."""
    numpy = libraries.numpy_arrays()
    return numpy if numpy is not None and numpy.is_array(obj) else None


def _slice(sequence: Any, start: int, stop: int | None) -> list[object]:
    """Items ``start:stop`` of a list or tuple (of a subclass too), by the builtin's method."""
    base: Any = list if is_a(sequence, list) else tuple
    return list(base.__getitem__(sequence, slice(start, stop)))


def _iterate(container: Any) -> Iterator[object]:
    """Iterate a deque, set or frozenset with the builtin's own ``__iter__``."""
    if is_a(container, collections.deque):
        return iter(collections.deque.__iter__(container))
    base: Any = set if is_a(container, set) else frozenset
    return iter(base.__iter__(container))


# -- children ------------------------------------------------------------------------------


def expandable(obj: object) -> bool:
    """Whether :func:`children` has anything to list."""
    try:
        return count(obj) > 0
    except Exception:
        return False


def count(obj: object) -> int:
    """How many children :func:`children` lists."""
    if sizing.is_not_data(obj):
        return 0
    length = builtin_len(obj)
    if length is not None:
        return 0 if is_a(obj, (str, bytes, bytearray, range)) else length
    pandas = _frames(obj)
    if pandas is not None:
        return pandas.column_count(obj)
    numpy = _arrays(obj)
    if numpy is not None:
        return _array_count(numpy, obj)
    return len(_attributes(obj))


def children(obj: object, offset: int = 0, limit: int | None = None) -> list[Child]:
    """The children ``offset`` to ``offset + limit`` of ``obj`` (see the module's
    docstring); an empty list for objects that have none."""
    stop = None if limit is None else offset + limit
    if sizing.is_not_data(obj):
        return []
    if is_a(obj, (str, bytes, bytearray, range)):
        return []
    if is_a(obj, (list, tuple)):
        items = _slice(obj, offset, stop)
        return [_item(offset + i, item) for i, item in enumerate(items)]
    if is_a(obj, collections.deque):
        items = list(itertools.islice(_iterate(obj), offset, stop))
        return [_item(offset + i, item) for i, item in enumerate(items)]
    if is_a(obj, dict):
        entries = list(itertools.islice(dict.items(obj), offset, stop))
        return [
            Child(label(key, f"<key {offset + i}: {type_name(key)}>"), _key(offset + i), value)
            for i, (key, value) in enumerate(entries)
        ]
    if is_a(obj, (set, frozenset)):
        members = list(itertools.islice(_iterate(obj), offset, stop))
        return [
            Child(
                label(member, f"<item {offset + i}: {type_name(member)}>"),
                _index(offset + i),
                member,
            )
            for i, member in enumerate(members)
        ]
    pandas = _frames(obj)
    if pandas is not None:
        return _columns(pandas, obj, offset, stop)
    numpy = _arrays(obj)
    if numpy is not None:
        return _array_children(numpy, obj, offset, stop)
    return _attributes(obj)[offset:stop]


def siblings(obj: object, page: list[Child]) -> list[object]:
    """Everything ``obj`` refers to besides the objects of ``page`` (at their places):
    the other children, dict keys, and unnamed parts. For sizing a page's retained sizes."""
    return sibling_segments(obj, page).items()


def sibling_segments(obj: object, page: list[Child]) -> sizing.Segments:
    """:func:`siblings` as a walk root: the rest of a list or tuple is not copied (a page
    of a list of ten million items leaves ten million siblings)."""
    found = sizing.Segments()
    if is_a(obj, (list, tuple)):
        if not page:
            found.add(obj)
            return found
        found.add(obj, 0, page[0].step["index"])
        found.add(obj, page[-1].step["index"] + 1)
        return found
    found.add(_other_siblings(obj, page))
    return found


def _other_siblings(obj: object, page: list[Child]) -> list[object]:
    if is_a(obj, dict):
        chosen = {child.step["index"] for child in page}
        rest: list[object] = list(dict.keys(obj))
        rest += [value for n, value in enumerate(dict.values(obj)) if n not in chosen]
        return rest
    pandas = _frames(obj)
    if pandas is not None:
        return _frame_siblings(pandas, obj, page)
    placed = {id(child.obj) for child in page}
    everything = children(obj)
    return [child.obj for child in everything if id(child.obj) not in placed]


def _frame_siblings(
    pandas: libraries.PandasFrames, frame: object, page: list[Child]
) -> list[object]:
    """A DataFrame's index, column labels and the data of its columns not in ``page``:
    an object column's items (not the array, a view of a block holding the page's
    columns too), an extension array whole; numeric columns hold no Python objects."""
    chosen = {child.step["index"] for child in page}
    found = pandas.labels(frame)
    for n in range(pandas.column_count(frame)):
        if n in chosen:
            continue
        values = pandas.column_values(frame, n)
        numpy = _arrays(values)
        if numpy is None:
            found.append(values)
        else:
            found += numpy.object_items(values)
    return found


def _item(index: int, item: object) -> Child:
    return Child(f"[{index}]", _index(index), item)


def _index(index: int) -> dict[str, Any]:
    return {"kind": "index", "index": index}


def _key(index: int) -> dict[str, Any]:
    return {"kind": "key", "index": index}


def _columns(
    pandas: libraries.PandasFrames, frame: object, offset: int, stop: int | None
) -> list[Child]:
    names = pandas.column_names(frame)[offset:stop]
    return [
        Child(
            label(name, f"<column {offset + n}: {type_name(name)}>"),
            {"kind": "column", "index": offset + n},
            pandas.column_values(frame, offset + n),
        )
        for n, name in enumerate(names)
    ]


def _array_children(
    numpy: libraries.NumpyArrays, array: object, offset: int = 0, stop: int | None = None
) -> list[Child]:
    """``.base`` (for a view), then the items along the first axis (object arrays)."""
    layout = numpy.layout(array)
    found: list[Child] = []
    if layout.base is not None:
        found.append(Child(".base", {"kind": "attr", "value": "base"}, layout.base))
    if layout.holds_objects and numpy.ndim(array) > 0:
        length = numpy.shape(array)[0]
        first = max(0, offset - len(found))
        last = length if stop is None else max(first, min(length, stop - len(found)))
        items = [_item(i, numpy.first_axis_item(array, i)) for i in range(first, last)]
        return (found[offset:stop] if offset < len(found) else []) + items
    return found[offset:stop]


def _array_count(numpy: libraries.NumpyArrays, array: object) -> int:
    layout = numpy.layout(array)
    total = 0 if layout.base is None else 1
    if layout.holds_objects and numpy.ndim(array) > 0:
        total += numpy.shape(array)[0]
    return total


# -- attributes ------------------------------------------------------------------------------


def _attributes(obj: object) -> list[Child]:
    """Named instance attributes, then the other referents by position (see the module)."""
    kind = type(obj)
    referents = [
        item for item in gc.get_referents(obj) if item is not kind and not sizing.is_not_data(item)
    ]
    named: list[Child] = []
    claimed: set[int] = set()
    for name, value in named_attributes(obj, kind):
        if id(value) in claimed:
            continue
        named.append(Child(f".{name}", {"kind": "attr", "value": name}, value))
        claimed.add(id(value))
    unnamed = [item for item in referents if id(item) not in claimed]
    named += [
        Child(f"<referent {k}: {type_name(item)}>", _index(k), item)
        for k, item in enumerate(unnamed)
    ]
    return named


# -- paths -----------------------------------------------------------------------------------


def step(obj: object, kind: str, value: Any) -> object:
    """Take one step (``attr``, ``index``, ``key`` or ``column``) from ``obj``; raise
    :class:`PathError` if it leads nowhere."""
    if sizing.is_not_data(obj):
        raise PathError(f"a {type_name(obj)} is not expanded")
    if kind == "index":
        found = _nth(obj, value)
    elif kind == "key":
        if not is_a(obj, dict):
            raise PathError(f"a {type_name(obj)} has no entries")
        found = _nth_of(dict.values(obj), value, "entry", obj)
    elif kind == "column":
        pandas = _frames(obj)
        if pandas is None:
            raise PathError(f"a {type_name(obj)} has no columns")
        if value >= pandas.column_count(obj):
            raise PathError(f"column {value} is out of range")
        found = pandas.column_values(obj, value)
    elif kind == "attr":
        found = _attribute_named(obj, value)
    else:
        raise PathError(f"unknown step kind {kind!r}")
    return found


def _nth(obj: object, index: int) -> object:
    if is_a(obj, (list, tuple)):
        length = builtin_len(obj) or 0
        if index >= length:
            raise PathError(f"index {index} is out of range (length {length})")
        return _slice(obj, index, index + 1)[0]
    if is_a(obj, (collections.deque, set, frozenset)):
        return _nth_of(_iterate(obj), index, "item", obj)
    if is_a(obj, (dict, str, bytes, bytearray, range)):
        raise PathError(f"a {type_name(obj)} has no items to index")
    if _arrays(obj) is not None or _frames(obj) is not None:
        parts = children(obj)
    else:
        parts = _attributes(obj)
    matches = [child.obj for child in parts if child.step == _index(index)]
    if not matches:
        raise PathError(f"item {index} of a {type_name(obj)} is not there")
    return matches[0]


def _nth_of(items: Any, index: int, what: str, obj: object) -> object:
    found: object
    for found in itertools.islice(items, index, index + 1):
        return found
    raise PathError(f"{what} {index} of a {type_name(obj)} is out of range")


def _attribute_named(obj: object, name: str) -> object:
    numpy = _arrays(obj)
    if numpy is not None:
        parts = _array_children(numpy, obj)
    else:
        parts = _attributes(obj)
    for child in parts:
        if child.step == {"kind": "attr", "value": name}:
            return child.obj
    raise PathError(f"a {type_name(obj)} has no attribute {name!r} here")


def trail(namespace: dict[str, Any], path: list[dict[str, Any]]) -> list[object]:
    """The objects ``path`` passes through from ``namespace``, one per step: the
    variable's value first, the object the path leads to last; :class:`PathError` if it
    does not lead anywhere."""
    first = path[0]
    name = first.get("value")
    value = namespace.get(name, _MISSING) if type(name) is str else _MISSING
    if value is _MISSING:
        raise PathError(f"there is no variable named {name!r}")
    objects = [value]
    for position, current in enumerate(path[1:], start=1):
        kind = current.get("kind")
        argument = current.get("value") if kind == "attr" else current.get("index")
        try:
            value = step(value, str(kind), argument)
        except PathError as error:
            raise PathError(f"step {position} of the path: {error}") from None
        except Exception as error:  # a library raised while reading a column
            raise PathError(f"step {position} of the path failed: {type(error).__name__}") from None
        objects.append(value)
    return objects


def resolve(namespace: dict[str, Any], path: list[dict[str, Any]]) -> object:
    """The object ``path`` leads to from ``namespace``; :class:`PathError` if it does not."""
    return trail(namespace, path)[-1]


def siblings_along(objects: list[object], path: list[dict[str, Any]]) -> list[object]:
    """What the containers a path passes through hold besides the path: for each object
    of ``objects`` (a :func:`trail` of ``path``) but the last, its :func:`siblings` around
    the next step, the nearest container first."""
    return segments_along(objects, path).items()


def segments_along(objects: list[object], path: list[dict[str, Any]]) -> sizing.Segments:
    """:func:`siblings_along` as a walk root, without copying the containers."""
    found = sizing.Segments()
    for position in range(len(objects) - 1, 0, -1):
        taken = Child("", path[position], objects[position])
        found.extend(sibling_segments(objects[position - 1], [taken]))
    return found
