"""Claiming a batch of objects on the owners table's memory map with few passes.

:meth:`memlens.sizing.owners.Owners.claim` gives each object of a batch a new tag from
its old one. Written from Python, each read or write of the map is a C-level ``map`` call
of ~50-70 ns an object, the largest cost of a walk where every object is also held
elsewhere (BENCHMARKS.md). So a batch is written without being read where that can be
checked: keys close together that all hold the first key's tag (all met for the first
time, or all by the same other root, the usual batch) get the new value, and one count
of that tag over the copied range before and after says whether every key held it and
none repeats; if not, the copy is written back and the batch is read. Repeats within a
batch (a list holding one object twice) are found the same way, without a set.
"""

from __future__ import annotations

import array
import collections
import itertools
import mmap
import operator
from collections.abc import Iterable
from typing import Any

UNSEEN = 0
"""The tag of an object not met yet (as :data:`memlens.sizing.owners.UNSEEN`)."""

DENSE = 64
"""Keys per page of the map above which a batch's pages are taken as one range; below
one key per this many slots, a batch's range is too sparse to copy and count."""

_repeat = itertools.repeat
# The builtin functions, called by ``map`` without an argument tuple: about 40 % cheaper an
# object than the memoryview's own ``__getitem__``/``__setitem__`` wrappers (BENCHMARKS.md).
_getitem = operator.getitem
_setitem = operator.setitem


_ORDER_PROBES = 64
"""Keys sampled, evenly spaced, to guess whether a batch's keys come in address order."""
_RUNS = 12
"""Most falls between sampled keys for the batch to be taken as a few increasing runs
(pymalloc fills each arena upwards, but a new arena may lie below the last one)."""


def bounds(keys: list[int]) -> tuple[int, int]:
    """The lowest and the highest of ``keys`` (not empty).

    ``min`` and ``max`` compare int objects one by one (two passes, ~30 ns a key); sorting
    a copy compares them with the sort's specialised int compare, and on keys already in
    order (objects allocated one after another: a list's floats, a batch of instances)
    one pass finds the few runs and merges them: ~3 times cheaper (BENCHMARKS.md). On keys
    in no order a sort costs several times more than ``min`` and ``max``, so it is used
    only when keys sampled across the batch fall at most :data:`_RUNS` times. Either way
    the bounds are exact."""
    count = len(keys)
    if count >= 4 * _ORDER_PROBES:
        sample = keys[:: count // _ORDER_PROBES]
        sample.append(keys[-1])
        if sum(map(operator.gt, sample, itertools.islice(sample, 1, None))) <= _RUNS:
            ordered = sorted(keys)
            return ordered[0], ordered[-1]
    return min(keys), max(keys)


def discard(iterator: Iterable[Any]) -> None:
    """Run a C-level ``map`` to its end, keeping nothing."""
    collections.deque(iterator, 0)


class MapClaims:
    """:meth:`claim` on the memory map, for :class:`~memlens.sizing.owners.Owners`."""

    map: mmap.mmap | None
    view: Any
    typecode: str | None

    def _count_pages(
        self, keys: list[int], highest: int | None = None, lowest: int | None = None
    ) -> None:
        raise NotImplementedError

    def _claim_mapped(
        self,
        anchors: list[object],
        keys: list[int],
        translate: list[int],
        lowest: int,
        highest: int,
    ) -> tuple[list[object], list[object], list[int], list[int]]:
        """:meth:`claim` on the map, with as few C-level passes per object as can be:

        - keys close together that all hold the first key's tag (the usual batch: all met
          for the first time, or all by the same other root): written without being
          read, checked by counting that tag in their range before and after
          (:meth:`_guess`);
        - old tags all the same: read, then one new value written for all;
        - else each group that changes (met first; met by other roots, to which
          ``translate`` gives one value) is written with its one value.

        Objects twice in the batch read as the same old tag: :meth:`_write_group` finds
        such repeats, and each object is returned once."""
        count = len(keys)
        if highest - lowest < DENSE * count:
            guessed = self._guess(keys, translate, lowest, highest)
            if guessed is not None:
                if guessed == UNSEEN:
                    self._count_pages(keys, highest, lowest)
                    return anchors, [], [], [UNSEEN] * count
                return [], anchors, [guessed] * count, [guessed] * count
        view = self.view
        tags = list(map(_getitem, _repeat(view), keys))
        first = tags[0]
        if tags.count(first) == count:  # one old tag
            value = translate[first]
            if value == first:
                return [], [], [], tags
            kept = self._write_group(keys, value, lowest, highest)
            if first == UNSEEN:
                self._count_pages(keys, highest, lowest)
            objects = anchors if kept is None else self._once(anchors, kept)
            if first == UNSEEN:
                return objects, [], [], tags
            return [], objects, [first] * len(objects), tags
        new = list(map(translate.__getitem__, tags))
        changes = list(map(operator.ne, tags, new))
        if not any(changes):
            return [], [], [], tags
        fresh_mask = list(map(operator.not_, tags))
        fresh: list[object] = []
        if any(fresh_mask):
            fresh_keys = list(itertools.compress(keys, fresh_mask))
            fresh = list(itertools.compress(anchors, fresh_mask))
            kept = self._write_group(fresh_keys, translate[UNSEEN], None, None)
            self._count_pages(fresh_keys)
            if kept is not None:
                fresh = self._once(fresh, kept)
        moved = list(map(operator.and_, changes, map(operator.truth, tags)))
        if not any(moved):
            return fresh, [], [], tags
        moved_keys = list(itertools.compress(keys, moved))
        changed = list(itertools.compress(anchors, moved))
        old = list(itertools.compress(tags, moved))
        values = set(itertools.compress(new, moved))
        if len(values) == 1:
            kept = self._write_group(moved_keys, values.pop(), None, None)
        else:  # not a walk's translation: key by key
            discard(map(_setitem, _repeat(view), moved_keys, itertools.compress(new, moved)))
            kept = dict(zip(moved_keys, range(len(moved_keys))))
            if len(kept) == len(moved_keys):
                kept = None
        if kept is not None:
            changed = [changed[i] for i in kept.values()]
            old = [old[i] for i in kept.values()]
        return fresh, changed, old, tags

    def _guess(
        self, keys: list[int], translate: list[int], lowest: int, highest: int
    ) -> int | None:
        """Give every key ``translate[tag]``, ``tag`` being the first key's tag, without
        reading each: the range's slots are copied, the new value written at every key,
        and the slots holding ``tag`` counted before and after. They fell by exactly
        ``len(keys)`` only if every key held ``tag`` and none repeats: then ``tag`` is
        returned. Else the copy is written back, undoing it all, and None returned."""
        view = self.view
        tag: int = view[keys[0]]
        value = translate[tag]
        if value == tag:
            return None
        before = self._slots(lowest, highest)
        held = self._count_in(before, tag)
        if held < len(keys):
            return None
        discard(map(_setitem, _repeat(view), keys, _repeat(value)))
        if held - self._count_in(self._slots(lowest, highest), tag) == len(keys):
            return tag
        self._restore(lowest, before)
        return None

    def _slots(self, lowest: int, highest: int) -> bytes:
        """A copy of the table's slots from ``lowest`` to ``highest`` (included)."""
        table = self.map
        assert table is not None
        width = 1 if self.typecode == "B" else 2
        return table[width * lowest : width * (highest + 1)]

    def _restore(self, lowest: int, slots: bytes) -> None:
        table = self.map
        assert table is not None
        width = 1 if self.typecode == "B" else 2
        table[width * lowest : width * lowest + len(slots)] = slots

    def _count_in(self, slots: bytes, value: int) -> int:
        """How many slots of a copy (:meth:`_slots`) hold ``value``."""
        if self.typecode == "B":
            return slots.count(value)
        return array.array("H", slots).count(value)

    def _write_group(
        self,
        keys: list[int],
        value: int,
        lowest: int | None,
        highest: int | None,
    ) -> dict[int, int] | None:
        """Write ``value`` at ``keys`` (none of which holds it yet). Returns None when no
        key repeats, else each key's first position in ``keys``.

        Repeats are found without a set where the keys are dense: the number of slots
        holding ``value`` between the lowest and the highest key grows by the number of
        distinct keys written (one C-level count of the range before and after).
        """
        view = self.view
        if lowest is None or highest is None:
            lowest, highest = bounds(keys)
        dense = highest - lowest < DENSE * len(keys)
        before = self._count_in(self._slots(lowest, highest), value) if dense else 0
        discard(map(_setitem, _repeat(view), keys, _repeat(value)))
        if dense:
            distinct = self._count_in(self._slots(lowest, highest), value) - before
        else:
            distinct = len(set(keys))
        if distinct == len(keys):
            return None
        first: dict[int, int] = {}
        for position, key in enumerate(keys):
            first.setdefault(key, position)
        return first

    @staticmethod
    def _once(objects: list[object], first: dict[int, int]) -> list[object]:
        """``objects`` each once (``first``: each key's first position)."""
        return [objects[position] for position in first.values()]
