"""The bytes of a batch of objects, as fast as their types allow and safely: one
``getsizeof`` per type where the type fixes the size, a builtin's own ``__sizeof__``
mapped over a batch of one builtin type, one object at a time where one misbehaves."""

from __future__ import annotations

import sys
from collections.abc import Mapping

from . import kinds
from .batches import BIG_BYTES, CHUNK, Cursor, counter, cursor
from .kinds import Kinds
from .sizeof import (
    ABSURD_BYTES,
    BUILTIN_SIZERS,
    Known,
    basic_size,
    careful_size,
    reraise_interrupt,
)


class Sizer:
    """Sizes objects for one walk; caches what each type's instances weigh."""

    def __init__(self, types: Kinds, known: Mapping[int, Known] | None = None) -> None:
        self.kinds = types
        self.known: Mapping[int, Known] = known or {}
        """``checked_getsizeof`` results the caller read already, by object id: a slow
        ``__sizeof__`` is not called again."""
        self.numpy = types.libraries.numpy
        self.fixed_sizes: dict[int, int] = {}
        """``getsizeof`` of types of fixed size (attribute values are per instance: see
        :meth:`managed_sizes`)."""
        self.flags: set[str] = set()
        """The flags of the root being walked (hostile ``__sizeof__``s are flagged there)."""
        self.chunk = CHUNK
        """Objects a cursor over a huge container yields at a time (fewer on a walk that
        shares the GIL with cells: see :data:`.discovery.SHARING_BATCH_REFERENTS`)."""

    def sizes(
        self, objects: list[object], present: list[type] | None = None
    ) -> tuple[int, list[Cursor]]:
        """The summed ``getsizeof`` of ``objects``, and cursors over the huge containers
        among them, which leave the list (changed in place) to be read in chunks instead.

        ``present``: the types of ``objects``, if known. When that is one builtin type,
        its own ``__sizeof__`` is mapped directly, without ``getsizeof``'s lookup."""
        try:
            one = next(iter(present)) if present and len(present) == 1 else None
            sizer = BUILTIN_SIZERS.get(id(one)) if one is not None else None
            if sizer is None:
                sizes = list(map(sys.getsizeof, objects))
                total = sum(sizes)
            else:
                sizes = list(map(sizer[0], objects))
                total = sum(sizes) + sizer[1] * len(sizes)
        except BaseException as error:  # a user __sizeof__: see careful_size
            reraise_interrupt(error)
            return self.careful_sizes(objects)
        if total > ABSURD_BYTES:
            return self.careful_sizes(objects)
        if total > BIG_BYTES and max(sizes) > BIG_BYTES:
            return total, self._take_big(objects, sizes)
        return total, []

    def careful_sizes(self, objects: list[object]) -> tuple[int, list[Cursor]]:
        """:meth:`sizes` one object at a time, replacing and flagging hostile ``__sizeof__``s."""
        flags = self.flags
        known = self.known
        sizes = [careful_size(obj, flags, known.get(id(obj))) for obj in objects]
        total = sum(sizes)
        if total > BIG_BYTES and max(sizes) > BIG_BYTES:
            return total, self._take_big(objects, sizes)
        return total, []

    def _take_big(self, objects: list[object], sizes: list[int]) -> list[Cursor]:
        """Cursors over the huge containers of ``objects``, which leave the list."""
        of = self.kinds.of
        keep: list[object] = []
        cursors: list[Cursor] = []
        for obj, size in zip(objects, sizes):
            if size > BIG_BYTES and of(type(obj)) & kinds.CONTAINER:
                chunks = cursor(obj, self.numpy, self.chunk)
                if chunks is not None:
                    cursors.append(chunks)
                    continue
            keep.append(obj)
        if cursors:
            objects[:] = keep
        return cursors

    def array_header(self, array: object) -> int:
        """A buffer-owning numpy array's size without its buffer (counted by address)."""
        try:
            return careful_size(array, self.flags) - self.numpy.nbytes(array)  # type: ignore[union-attr]
        except Exception:
            return basic_size(array)

    def fixed_sizes_of(self, objects: list[object], present: list[type]) -> int | None:
        """The summed ``getsizeof`` of ``objects`` if all their types (``present``) are of
        fixed size (read once per type); else None."""
        of = self.kinds.of
        sizes = self.fixed_sizes
        for kind in present:
            if not of(kind) & kinds.FIXED:
                return None
            if id(kind) not in sizes:
                sample = next(obj for obj in objects if type(obj) is kind)
                try:
                    size = sys.getsizeof(sample)
                except Exception:
                    size = -1
                if not 0 <= size <= ABSURD_BYTES:
                    self.kinds.forget(kind, kinds.FIXED)
                    return None
                sizes[id(kind)] = size
        if len(present) == 1:
            return len(objects) * sizes[id(present[0])]
        counts = counter(map(id, map(type, objects)))
        return sum(sizes[identity] * count for identity, count in counts.items())

    def managed_sizes(self, objects: list[object]) -> int:
        """Estimated bytes of the attribute-value arrays of instances among ``objects``,
        read per instance (see :func:`.kinds.values_sizes`)."""
        of = self.kinds.of
        present = self.kinds.distinct(objects)
        managed = [kind for kind in present if of(kind) & kinds.MANAGED]
        if not managed:
            return 0
        if len(managed) == len(present):
            return kinds.values_sizes(objects)
        ids = set(map(id, managed))
        return kinds.values_sizes([obj for obj in objects if id(type(obj)) in ids])

    def clear(self) -> None:
        """The walk is over (the types whose ids key the tables may go)."""
        self.fixed_sizes.clear()
