"""How the walk cuts its work: batches of referents split into columns, huge containers
read in chunks, records' keys de-duplicated."""

from __future__ import annotations

import collections
import itertools
import operator
from collections.abc import Iterable, Iterator
from typing import Any, Callable

from ..libraries import NumpyArrays
from ..libraries.lookup import is_a

CHUNK = 1 << 14
"""Most objects taken from one huge container, or walked as parents, at a time."""

BIG_BYTES = CHUNK * 8
"""A container whose ``getsizeof`` is above this is read in chunks of :data:`CHUNK`."""

Cursor = Iterator[list[object]]
"""Chunks of what a huge container holds, as fresh lists."""

MIN_COLUMNS_PARENTS = 256
"""Fewest parents whose referents are split into columns (see :func:`columns`)."""

MAX_COLUMNS = 16
"""Most referents per parent for which the referents are split into columns."""


def columns(referents: list[object], parents: int) -> list[list[object]]:
    """``referents`` in sub-batches (taken over): when each of many parents seems to have the
    same number ``k`` of referents (records, instances of one class, pairs), the ``k``
    columns ``referents[j::k]``, most of which then hold one type each -- the class of
    every instance, every record's ``id``... -- for the single-type fast paths. Any split
    is correct (each object is in exactly one sub-batch); a good one is just faster."""
    count = len(referents)
    width = count // parents if parents else 0
    if parents < MIN_COLUMNS_PARENTS or not 2 <= width <= MAX_COLUMNS or width * parents != count:
        return [referents]
    columns = [referents[j::width] for j in range(width)]
    referents.clear()  # one reference per object, from its column: see the walk's discover
    return columns


def distinct(keys: list[object], parents: int) -> list[object]:
    """``keys`` (the keys of ``parents`` dicts, in order) each once, by identity. Records
    have the same key objects at the same places: a column of one object is found with
    an identity test per key, cheaper than de-duplicating by ``id``."""
    width = len(keys) // parents
    if width * parents == len(keys) and width <= MAX_COLUMNS:
        distinct: list[object] = []
        for column in (keys[j::width] for j in range(width)):
            first = column[0]
            if all(map(operator.is_, column, itertools.repeat(first))):
                distinct.append(first)
            else:
                distinct += column
        if len(distinct) == width:
            return distinct
        keys = distinct
    return list(dict(zip(map(id, keys), keys)).values())


def allocated_ints(ints: list[Any], context: int) -> int:
    """How many of ``ints`` (exact ints) are allocated, not CPython's small-int cache."""
    if context >= 0:  # held by one parent alone: not cached
        return len(ints)
    return len(ints) - sum(map((-5).__le__, ints)) + sum(map((256).__lt__, ints))


def counter(items: Iterable[int]) -> dict[int, int]:
    """How many times each id occurs (counted in C)."""
    return collections.Counter(items)


def slices(
    getitem: Callable[[Any, slice], Any], container: object, length: int, size: int = CHUNK
) -> Cursor:
    # ``list.__getitem__`` gives a new plain list already (a subclass's too): no copy of it.
    fresh_list = getitem is list.__getitem__
    for start in range(0, length, size):
        piece = getitem(container, slice(start, start + size))
        yield piece if fresh_list else list(piece)


def chunks(items: Iterator[object], size: int = CHUNK) -> Cursor:
    while True:
        chunk = list(itertools.islice(items, size))
        if not chunk:
            return
        yield chunk


class Segments:
    """Stretches of lists and tuples, read in chunks without copying them: a walk root
    that is most of a huge container (a page's siblings) costs no copy of it."""

    __slots__ = ("pieces",)

    def __init__(self) -> None:
        self.pieces: list[tuple[Any, int, int]] = []

    def add(self, sequence: Any, start: int = 0, stop: int | None = None) -> None:
        """Items ``start:stop`` of a list or tuple (a subclass too: read by the builtin)."""
        length = list.__len__(sequence) if is_a(sequence, list) else tuple.__len__(sequence)
        stop = length if stop is None else min(stop, length)
        if start < stop:
            self.pieces.append((sequence, start, stop))

    def extend(self, other: Segments) -> None:
        self.pieces += other.pieces

    def __len__(self) -> int:
        return sum(stop - start for _, start, stop in self.pieces)

    def chunks(self, size: int = CHUNK) -> Cursor:
        for sequence, start, stop in self.pieces:
            if is_a(sequence, list):  # a list's slice is a new list already
                for first in range(start, stop, size):
                    yield list.__getitem__(sequence, slice(first, min(first + size, stop)))
            else:
                for first in range(start, stop, size):
                    yield list(tuple.__getitem__(sequence, slice(first, min(first + size, stop))))

    def items(self) -> list[object]:
        """Every item, in one list (for tests and small roots)."""
        return [item for chunk in self.chunks() for item in chunk]


def root_chunks(root: Any, size: int = CHUNK) -> Cursor:
    """A walk root's objects in chunks of at most ``size``, without copying it whole."""
    if type(root) is Segments:
        return root.chunks(size)
    if is_a(root, list):
        return slices(list.__getitem__, root, list.__len__(root), size)
    if is_a(root, tuple):
        return slices(tuple.__getitem__, root, tuple.__len__(root), size)
    return chunks(iter(root), size)


def cursor(container: object, numpy: NumpyArrays | None, size: int = CHUNK) -> Cursor | None:
    """Chunks of what a huge container holds (None: walk it whole, as a view of a numpy
    array is, or a numpy array of plain data). Only the builtin containers' own C methods
    are called, whatever the subclass."""
    items: Iterator[object]
    if is_a(container, list):
        return slices(list.__getitem__, container, list.__len__(container), size)
    if is_a(container, tuple):
        return slices(tuple.__getitem__, container, tuple.__len__(container), size)
    if is_a(container, dict):
        items = itertools.chain(dict.values(container), dict.keys(container))
    elif is_a(container, (set, frozenset)):
        items = iter(container)
    elif numpy is not None and numpy.is_array(container):
        try:
            layout = numpy.layout(container)
            if layout.base is not None or not layout.holds_objects:
                return None  # a view leads to its owner; plain data holds no objects
            items = iter(numpy.flat_items(container))
        except Exception:
            return None
    elif is_a(container, collections.deque):
        items = iter(collections.deque.__iter__(container))
    else:
        return None
    return chunks(items, size)
