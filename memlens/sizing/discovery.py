"""How the sizing walk counts a batch of referents: objects with one reference inherit
their parent's root; shared-looking ones are claimed in the owners table
(:mod:`.owners`); what is new is sized (:mod:`.sizes`, :mod:`.careful`) and pushed to be
walked in turn, in batches of about :data:`BATCH_REFERENTS` referents."""

from __future__ import annotations

import itertools
import sys

from . import kinds
from .batches import CHUNK, Cursor, allocated_ints
from .careful import Batch, CarefulSizes, Entry
from .kinds import INT_PADDING
from .owners import FENCE_TAG, STATIC_TYPE_IDS, root_of
from .report import FENCED
from .shared import UNIQUE_REFCOUNT

__all__ = [
    "BATCH_REFERENTS",
    "IS_CURSOR",
    "SHARING_BATCH_REFERENTS",
    "UNKNOWN",
    "Batch",
    "Discovery",
    "Entry",
]

BATCH_REFERENTS = CHUNK
"""Most referents one batch of parents should have (estimated from the parents' sizes at
8 bytes a reference): the time and memory between two checks of the limits stay small
however many items each parent holds."""
SHARING_BATCH_REFERENTS = BATCH_REFERENTS // 4
"""The same for a walk that shares the GIL with cells (one that pauses, ``pause_every_s``):
it can let a waiting thread run only between batches, and a thread that asks for the GIL
mid-batch waits the interpreter's whole switch interval (5 ms). A batch of ~16,000
referents took 7-20 ms on 2 shared cores, so a cell's dozen or so hand-offs added ~70 ms;
a quarter of that keeps each wait to a couple of milliseconds."""
UNKNOWN = -2
"""An entry's bits when its parents' kinds are not known yet."""
IS_CURSOR = -1
"""An entry's bits when it is a cursor yielding chunks of children."""


class Discovery(CarefulSizes):
    """Counting batches of referents (see the module)."""

    def _discover(self, found: list[object], context: int, level: int) -> None:
        """Count the objects in ``found`` (the referents of parents of ``context``) that
        this root's walk has not counted yet, and push them to be walked in turn.

        Takes ``found`` over: nothing else may hold it, since reference counts decide
        which objects have a single referrer.
        """
        if not found:
            return
        if len(found) > self.batch:
            self.batch = len(found)
        present = self._types(found)
        of = self.kinds.of
        bits = 0
        for kind in present:
            bits |= of(kind)
        if len(present) == 1 and bits & kinds.SKIP:
            return  # e.g. the class of each of a batch of instances
        unique: list[object]
        anchors: list[object]
        if UNIQUE_REFCOUNT and UNIQUE_REFCOUNT not in map(sys.getrefcount, found):
            unique, anchors = [], found  # all shared-looking (the usual big batch): no list
        elif UNIQUE_REFCOUNT:
            counts = list(map(sys.getrefcount, found))
            singles = counts.count(UNIQUE_REFCOUNT)
            if singles == len(found):
                unique, anchors = found, []
            elif singles == 0:
                unique, anchors = [], found
            else:
                unique = list(itertools.compress(found, map(UNIQUE_REFCOUNT.__eq__, counts)))
                anchors = list(itertools.compress(found, map(UNIQUE_REFCOUNT.__ne__, counts)))
            del counts
        else:
            unique, anchors = [], found
        del found
        if unique:
            self._count(unique, bits, context, level, present=present if not anchors else None)
        if anchors:
            whole = -1 if unique else len(anchors)
            heap = not any(id(kind) in STATIC_TYPE_IDS for kind in present)
            fresh, moved = self._claim(anchors, heap)
            del anchors
            if fresh:
                known = present if len(fresh) == whole else None  # all of found, once each
                self._count(fresh, bits, self.index, level, anchors=True, present=known)
            for tag, objects in moved.items():
                # The root that met them last, alone (context) or after others (sharer).
                known = present if len(objects) == whole else None
                self._count(
                    objects, bits, root_of(tag), level, anchors=True, sharer=tag, present=known
                )

    def _types(self, found: list[object]) -> list[type]:
        """The types of ``found``, each once. Where no metaclass compares classes in Python
        (``Kinds.safe``), a batch of one type (the usual big batch) is told by one C-level
        count of its first type in the list of types, cheaper than a set of them."""
        if not self.kinds.safe:
            return self.kinds.distinct(found)
        types = list(map(type, found))
        first = types[0]
        if types.count(first) == len(types):
            return [first]
        return list(set(types))

    def _claim(
        self, anchors: list[object], heap: bool = False
    ) -> tuple[list[object], dict[int, list[object]]]:
        """Split shared-looking objects into those no root reached before (claimed for this
        one) and, by their tag, those other roots reached before; drop the rest. ``heap``:
        none is of a type with static instances (:func:`.owners.keys_of`)."""
        fresh, changed, old_tags, tags = self.owners.claim(anchors, self.translate, heap=heap)
        if self.fence and FENCE_TAG in tags:
            self.flags[self.index].add(FENCED)
        del tags
        moved: dict[int, list[object]] = {}
        if old_tags and old_tags.count(old_tags[0]) == len(old_tags):
            moved[old_tags[0]] = changed  # one previous tag (the usual case): no loop
        else:
            for obj, tag in zip(changed, old_tags):
                moved.setdefault(tag, []).append(obj)
        return fresh, moved

    def _count(
        self,
        objects: list[object],
        bits: int,
        context: int,
        level: int,
        *,
        anchors: bool = False,
        present: list[type] | None = None,
        sharer: int = 0,
    ) -> None:
        """Add ``objects`` (none yet counted by this root's walk) to the sizes; push them.

        ``context``: this root (they are new), another root (that root reached them
        before, alone) or -1 (several roots did).
        """
        index = self.index
        sizer = self.sizer
        total = 0
        careful: list[object] = []
        walk_bits = UNKNOWN
        fixed: int | None = None
        if bits & (kinds.DISCOVER_SPECIAL | kinds.MANAGED | kinds.FIXED):
            if present is None:
                present = self.kinds.distinct(objects)
            of = self.kinds.of
            bits = 0
            for kind in present:
                bits |= of(kind)
            walk_bits = bits
            if bits & kinds.DISCOVER_SPECIAL:
                objects, careful, total = self._special_sizes(objects, anchors=anchors)
                objects.extend(careful)  # sized already; walked like the rest
                walk_bits = UNKNOWN
            elif bits & kinds.FIXED:
                fixed = sizer.fixed_sizes_of(objects, present)
            if bits & kinds.MANAGED:
                total += sizer.managed_sizes(objects)
        elif present is not None:  # their types are known: the walk need not find them again
            of = self.kinds.of
            walk_bits = 0
            for kind in present:
                walk_bits |= of(kind)
        counted = len(objects)
        cursors: list[Cursor] = []
        if fixed is not None:
            total += fixed
        elif careful:
            fast = objects[: len(objects) - len(careful)]
            if fast:
                size, cursors = sizer.sizes(fast)
                total += size
            objects = fast + careful
        elif bits & kinds.PY_SIZEOF:  # one call each, never twice (see Sizer.careful_sizes)
            size, cursors = sizer.careful_sizes(objects)
            total += size
        else:
            size, cursors = sizer.sizes(objects, present)
            total += size
        for cursor in cursors:
            self.stack.append((cursor, context, level, IS_CURSOR))
        if bits & kinds.ARRAY:  # a StringDType array's arena is outside getsizeof
            total += self.libraries.hidden_bytes(objects)
        if bits & kinds.INT:
            if present is not None and len(present) == 1:  # all ints
                total += INT_PADDING * allocated_ints(objects, context)
            elif context >= 0:
                total += INT_PADDING * list(map(type, objects)).count(int)
            else:  # may hold CPython's small ints, which are not allocated
                total += INT_PADDING * sum(
                    1 for obj in objects if type(obj) is int and not -5 <= obj <= 256
                )
        self.deep[index] += total
        self.objects[index] += counted
        if not counted:
            return
        if context == index:
            self.retained[index] += total
        elif context >= 0:
            self.retained[context] -= total
            self._share(context, total)
        elif sharer >= 4:  # several roots met them before: the last of them shares them
            self._share((sharer - 4) >> 1, total)
        if bits & kinds.WALK and objects:
            self._push(objects, context, level, walk_bits, total)

    def _push(self, objects: list[object], context: int, level: int, bits: int, total: int) -> None:
        """Push ``objects`` (of ``total`` bytes) to be walked, in batches of at most
        :data:`CHUNK` parents and about :data:`BATCH_REFERENTS` referents."""
        stack = self.stack
        count = len(objects)
        sharing = self.limits.pause_every_s is not None
        referents = SHARING_BATCH_REFERENTS if sharing else BATCH_REFERENTS
        step = CHUNK
        if total > 8 * referents:  # many items each: fewer parents a batch
            step = max(1, min(CHUNK, count * 8 * referents // total))
        if count <= step:
            stack.append((objects, context, level, bits))
        else:
            for start in range(0, count, step):
                stack.append((objects[start : start + step], context, level, bits))
        self.pending += count
