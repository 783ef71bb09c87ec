"""The batched walk over the object graph behind :func:`memlens.sizing.measure`.

Each batch of parents is walked with one ``gc.get_referents(*parents)`` call, and its
referents are counted with C-level ``map``/``set`` operations over the whole batch (see
:mod:`.batches` for how batches are split, :mod:`.sizes` for how they are sized).

``owners`` (:class:`.owners.Owners`) tags every shared-looking object met so far:
``own_tag(i)`` when root ``i`` alone reached it, ``own_tag(i) + 1`` when several roots did
and root ``i`` was the last, :data:`SKIP_TAG` for objects that are not data,
:data:`EXTERNAL_TAG` for objects shared with the whole program, :data:`FENCE_TAG` for the
fence. An object whose reference count says it has exactly one reference is reachable
only through its one parent: it is not tagged, it inherits its parent's *context* (the
root that reached the parent first, or -1 when several roots reach it).
"""

from __future__ import annotations

import gc
import itertools
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Union

from .. import libraries
from ..libraries import opaque
from . import kinds, owners
from .batches import CHUNK, Cursor, Segments, allocated_ints, columns, root_chunks
from .budget import Limits, Stop
from .kinds import INT_PADDING, Kinds
from .owners import EXTERNAL_TAG, FENCE_TAG, SKIP_TAG, UNSEEN_TAG, own_tag, root_of
from .referents import special_referents
from .report import (
    DEEP_NESTING,
    DEEP_NESTING_LEVELS,
    FENCED,
    FILE_BACKED,
    LAZY,
    MUTATED,
    OPAQUE,
    Report,
    RootSizes,
)
from .shared import SHARED_IDS, UNIQUE_REFCOUNT, module_dict_ids
from .sizeof import Known, basic_size, careful_size
from .sizes import Sizer

BATCH_REFERENTS = CHUNK
"""Most referents one batch of parents should have (estimated from the parents' sizes at
8 bytes a reference): the time and memory between two checks of the limits stay small
however many items each parent holds."""
BATCH_BYTES = 40
"""The walker's transient bytes per object of its largest batch (lists, counts, sizes)."""
RESOURCE_BYTES = 200
"""The walker's bytes per native buffer it has counted (its key and tag)."""


Root = Union[Sequence[object], Segments]
"""The objects of one root: a list or tuple (read in chunks, never copied), or stretches
of big containers (:class:`.batches.Segments`)."""
Batch = list[object]
Entry = tuple[Union[Batch, Cursor], int, int, int]
"""(parents to walk or a cursor yielding chunks of children, context, level, bits): bits
are the parents' kinds (or a superset), :data:`UNKNOWN` or :data:`IS_CURSOR`."""
UNKNOWN = -2
IS_CURSOR = -1


def _big_sequence(root: Root) -> bool:
    """A list or tuple too big to copy (read in chunks as it is)."""
    kind = type(root)
    return (kind is list or kind is tuple) and len(root) > CHUNK


class Walk:
    """One measurement: the state shared by the walks of all roots."""

    def __init__(
        self,
        roots: Sequence[Root],
        *,
        limits: Limits,
        skip: Iterable[object],
        fence: Iterable[object],
        user_sizeof: bool = True,
        known_sizes: Mapping[int, Known] | None = None,
    ) -> None:
        # Lists, tuples and segments are read in chunks as they are: a copy of a root of
        # ten million objects would take the memory the cap is there to bound.
        self.roots: list[Root] = [
            root if type(root) is Segments or _big_sequence(root) else list(root)  # type: ignore[arg-type]
            for root in roots
        ]
        copies = [root for root, given in zip(self.roots, roots) if root is not given]
        # Held, so that no skipped or fenced object can look single-referenced.
        self.skipped = list(skip)
        self.fence = list(fence)
        count = len(self.roots)
        if len(limits.shares) != count:
            raise ValueError("shares must have one weight per root")
        self.limits = limits
        self.libraries = libraries.Libraries()
        self.kinds = Kinds(self.libraries, user_sizeof=user_sizeof)
        self.sizer = Sizer(self.kinds, known_sizes)
        self.own_tags = [own_tag(i) for i in range(count)]
        self.shared_tags = [own_tag(i) + 1 for i in range(count)]
        self.owners = owners.Owners(own_tag(count))
        self.translate: list[int] = []
        """Per root: the tag an object gets when the root meets it, by its tag before."""
        self.resources: dict[tuple[str, int], int] = {}
        """Native buffers counted so far, by key: the tag of the root(s) that met them."""
        self.native: dict[str, int] = {}
        """Bytes of the native buffers counted (each once over all roots), by the library
        of the object that led to them first (see :attr:`.report.Report.native_buffers`)."""
        self.deep = [0] * count
        self.retained = [0] * count
        self.device = [0] * count
        """GPU bytes each root reaches (device buffers, each once per root): never in
        ``deep`` or ``retained`` (see :attr:`.report.RootSizes.device`)."""
        self.shared: dict[tuple[int, int], int] = {}
        """Bytes two roots share (see :attr:`.report.Report.shared`)."""
        self.objects = [0] * count
        self.flags: list[set[str]] = [set() for _ in range(count)]
        self.partial = [False] * count
        self.stack: list[Entry] = []
        self.pending = 0
        self.batch = 0
        """The most referents met in one batch (their lists and tables are transient)."""
        self.index = 0
        self.own = 0
        self.mine = 0
        seed = self.owners.seed
        seed(SHARED_IDS, EXTERNAL_TAG)
        mine = [self, self.roots, self.owners, self.resources, self.kinds.bits, self.stack]
        mine += [self.skipped, self.fence]
        ids = [*module_dict_ids(), id(sys.modules), *map(id, self.skipped), *map(id, mine)]
        # The copies are memlens' own lists; a root given as it is may be the user's.
        seed([*ids, *map(id, copies)], SKIP_TAG)
        seed(map(id, self.fence), FENCE_TAG)

    # -- running ------------------------------------------------------------------------------

    def run(self) -> Report:
        started = time.perf_counter()
        self.limits.start(started)
        try:
            return self._run(started)
        finally:  # even if something escapes: give the map back at once
            self.owners.close()
            self.resources.clear()
            self.roots.clear()
            self.fence.clear()
            self.skipped.clear()
            self.kinds.clear()
            self.sizer.clear()

    def _run(self, started: float) -> Report:
        stopped_all: str | None = None
        count = len(self.roots)
        for index in range(count):
            if stopped_all is not None:
                self.partial[index] = True
                self.flags[index].add(stopped_all)
                continue
            self.limits.start_root(index)
            try:
                self._walk_root(index)
            except Stop as stop:
                self.partial[index] = True
                self.flags[index].add(stop.flag)
                if stop.everything:
                    stopped_all = stop.flag
            finally:
                self.stack.clear()
                self.pending = 0
        roots = [
            RootSizes(
                self.deep[i],
                max(0, self.retained[i]),
                self.objects[i],
                self.partial[i],
                self.flags[i],
                device=self.device[i],
            )
            for i in range(count)
        ]
        return Report(
            roots,
            objects=sum(self.objects),
            elapsed_s=time.perf_counter() - started,
            walker_peak_bytes=self.limits.peak_bytes,
            capped=self.limits.capped,
            shared=self.shared,
            native_buffers=dict(self.native),
        )

    def _check(self) -> None:
        """Between batches: the walker's memory estimate against the limits."""
        used = self.owners.bytes_used() + 8 * self.pending + 8 * len(self.stack)
        used += RESOURCE_BYTES * len(self.resources) + BATCH_BYTES * self.batch
        self.limits.check(used)

    def _walk_root(self, index: int) -> None:
        stack = self.stack
        self.index = index
        self.own = own = self.own_tags[index]
        self.mine = mine = self.shared_tags[index]
        # Met first: this root's own; met by another root before: shared, this root last.
        translate = [mine] * (own + 2)
        translate[UNSEEN_TAG] = translate[own] = own
        translate[SKIP_TAG] = SKIP_TAG
        translate[FENCE_TAG] = FENCE_TAG
        self.translate = translate
        flags = self.sizer.flags = self.flags[index]
        # The root's objects come in chunks, the limits checked between them (level -1:
        # what a chunk holds is at level 0).
        stack.append((root_chunks(self.roots[index]), index, -1, IS_CURSOR))
        get_referents = gc.get_referents
        deepest = 0
        while stack:
            self._check()
            source, context, level, bits = stack.pop()
            if level > deepest:
                deepest = level
                if deepest > DEEP_NESTING_LEVELS:
                    flags.add(DEEP_NESTING)
            if bits == IS_CURSOR:
                cursor: Cursor = source  # type: ignore[assignment]
                try:
                    chunk = next(cursor, None)
                except RuntimeError:  # a dict, set or deque changed size
                    flags.add(MUTATED)
                    continue
                if chunk is not None:
                    stack.append((cursor, context, level, IS_CURSOR))
                    self._discover(chunk, context, level + 1)
                continue
            parents: Batch = source  # type: ignore[assignment]
            parent_count = len(parents)
            self.pending -= parent_count
            if bits == UNKNOWN:
                bits = self.kinds.of_all(parents)
            keys: list[object] = []
            if bits & kinds.WALK_SPECIAL:
                try:
                    referents, keys = special_referents(parents, self.kinds)
                except RuntimeError:  # a dict or set another thread changed meanwhile
                    flags.add(MUTATED)
                    referents = get_referents(*parents)
            else:
                referents = get_referents(*parents)
            del parents, source
            split = columns(referents, parent_count) if referents else []
            del referents
            # A key the gc also reports (not a str) is in both lists: with both alive
            # it looks shared in each, and is claimed, hence counted, once.
            if keys:
                self._discover(keys, context, level + 1)
            for column in split:
                self._discover(column, context, level + 1)
            del keys, split

    # -- discovering a batch of referents ---------------------------------------------------

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
        present = self.kinds.distinct(found)
        of = self.kinds.of
        bits = 0
        for kind in present:
            bits |= of(kind)
        if len(present) == 1 and bits & kinds.SKIP:
            return  # e.g. the class of each of a batch of instances
        unique: list[object]
        anchors: list[object]
        if UNIQUE_REFCOUNT:
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
            fresh, moved = self._claim(anchors)
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

    def _claim(self, anchors: list[object]) -> tuple[list[object], dict[int, list[object]]]:
        """Split shared-looking objects into those no root reached before (claimed for this
        one) and, by their tag, those other roots reached before; drop the rest."""
        fresh, changed, old_tags, tags = self.owners.claim(anchors, self.translate)
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
        step = CHUNK
        if total > 8 * BATCH_REFERENTS:  # many items each: fewer parents a batch
            step = max(1, min(CHUNK, count * 8 * BATCH_REFERENTS // total))
        if count <= step:
            stack.append((objects, context, level, bits))
        else:
            for start in range(0, count, step):
                stack.append((objects[start : start + step], context, level, bits))
        self.pending += count

    # -- objects that need care -------------------------------------------------------------

    def _special_sizes(
        self, objects: list[object], *, anchors: bool
    ) -> tuple[list[object], list[object], int]:
        """Drop what is not data; size one by one what needs care.

        Returns the objects for ``getsizeof``, those sized here, and the bytes of the
        latter (native buffers are added to the sizes directly, by ownership).
        """
        of = self.kinds.of
        found = self.libraries
        keep: list[object] = []
        careful: list[object] = []
        total = 0
        flags = self.flags[self.index]
        for obj in objects:
            bits = of(type(obj))
            if not bits & kinds.DISCOVER_SPECIAL:
                keep.append(obj)
            elif bits & kinds.SKIP or (bits & kinds.FUNCTION and not kinds.FUNCTION_CLOSURE(obj)):
                if anchors:
                    self.owners.mark(obj, SKIP_TAG)
            elif bits & kinds.LAZY and not bits & (kinds.OWN_SIZE | kinds.RESOURCE | kinds.OPAQUE):
                flags.add(LAZY)
                keep.append(obj)
            elif bits & kinds.ARRAY and not found.owns_shareable_buffer(obj):
                keep.append(obj)  # a view, or an object array (pointers, read in chunks)
            elif bits & kinds.OPAQUE:
                total += basic_size(obj) if bits & kinds.OWN_SIZE else careful_size(obj, flags)
                total += opaque.native_bytes(obj)
                flags.add(FILE_BACKED if opaque.file_backed(obj) else OPAQUE)
                careful.append(obj)
            elif bits & (kinds.OWN_SIZE | kinds.RESOURCE):
                total += self.sizer.array_header(obj) if bits & kinds.ARRAY else basic_size(obj)
                if bits & kinds.RESOURCE:
                    self._resources(obj)
                careful.append(obj)
            else:
                keep.append(obj)
        return keep, careful, total

    def _share(self, other: int, size: int) -> None:
        """Root ``other`` reached ``size`` bytes alone that this root reaches too."""
        index = self.index
        if other != index:
            pair = (other, index) if other < index else (index, other)
            self.shared[pair] = self.shared.get(pair, 0) + size

    def _resources(self, obj: object) -> None:
        """Native buffers (torch storages, pyarrow buffers) of ``obj`` not yet counted
        by this root's walk: counted in its deep size, in a retained size by ownership."""
        index = self.index
        resources = self.resources
        own, mine = self.own, self.mine
        library = ""
        for key, size in self.libraries.buffers(obj):
            tag = resources.get(key)
            if tag == own or tag == mine:
                continue
            if libraries.is_device_key(key[0]):  # GPU memory: its own figure, not RSS
                resources[key] = own if tag is None else mine
                self.device[index] += size
                continue
            if tag is None:
                resources[key] = own
                self.retained[index] += size
                library = library or self._library_of(type(obj))
                self.native[library] = self.native.get(library, 0) + size
            else:
                resources[key] = mine
                if root_of(tag) >= 0:
                    self.retained[root_of(tag)] -= size
                    self._share(root_of(tag), size)
            self.deep[index] += size

    def _library_of(self, kind: type) -> str:
        """Whose object holds native buffers: ``numpy`` (an array owning its buffer),
        ``pyarrow``, ``torch``, ``polars`` or ``plugin`` (a plugged-in sizer)."""
        found = self.libraries
        if found.is_array_type(kind):
            return "numpy"
        if found.arrow is not None and found.arrow.is_arrow_type(kind):
            return "pyarrow"
        if found.torch is not None and found.torch.is_tensor_type(kind):
            return "torch"
        if found.polars is not None and found.polars.is_data_type(kind):
            return "polars"
        return "plugin"
