"""The batched walk over the object graph behind :func:`memlens.sizing.measure`.

Each batch of parents is walked with one ``gc.get_referents(*parents)`` call, and its
referents are counted with C-level ``map``/``set`` operations over the whole batch (see
:mod:`.batches` for how batches are split, :mod:`.discovery` for how a batch of referents
is counted, :mod:`.careful` for objects sized one by one, :mod:`.sizes` for how they are
sized). This module sets a walk up and runs it, root by root, batch by batch.

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
import sys
import time
from collections.abc import Iterable, Mapping, Sequence

from .. import libraries
from . import kinds, owners
from .batches import CHUNK, Cursor, Segments, columns, root_chunks
from .budget import Limits, Stop
from .careful import Root
from .discovery import IS_CURSOR, SHARING_BATCH_REFERENTS, UNKNOWN, Batch, Discovery
from .kinds import Kinds
from .owners import EXTERNAL_TAG, FENCE_TAG, SKIP_TAG, UNSEEN_TAG, own_tag
from .referents import special_referents
from .report import (
    DEEP_NESTING,
    DEEP_NESTING_LEVELS,
    MUTATED,
    Report,
    RootSizes,
)
from .shared import SHARED_IDS, module_dict_ids
from .sizeof import Known
from .sizes import Sizer

BATCH_BYTES = 40
"""The walker's transient bytes per object of its largest batch (lists, counts, sizes)."""
RESOURCE_BYTES = 200
"""The walker's bytes per native buffer it has counted (its key and tag)."""
CHECK_EVERY = 32
"""Most batches walked between two checks of the limits when batches are small (fewer
than :data:`.batches.CHUNK` objects met since the last check): a few microseconds each,
so the time and memory between checks stay as small as with big batches."""


def _big_sequence(root: Root) -> bool:
    """A list or tuple too big to copy (read in chunks as it is)."""
    kind = type(root)
    return (kind is list or kind is tuple) and len(root) > CHUNK


class Walk(Discovery):
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
        self.roots = [
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
        if limits.pause_every_s is not None:  # shares the GIL with cells: shorter stretches
            self.sizer.chunk = SHARING_BATCH_REFERENTS
        self.own_tags = [own_tag(i) for i in range(count)]
        self.shared_tags = [own_tag(i) + 1 for i in range(count)]
        self.owners = owners.Owners(own_tag(count))
        self.translate = []
        self.resources = {}
        self.native = {}
        self.deep = [0] * count
        self.retained = [0] * count
        self.device = [0] * count
        self.shared = {}
        self.objects = [0] * count
        self.flags = [set() for _ in range(count)]
        self.partial = [False] * count
        self.stack = []
        self.pending = 0
        self.batch = 0
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
        stack.append((root_chunks(self.roots[index], self.sizer.chunk), index, -1, IS_CURSOR))
        get_referents = gc.get_referents
        # A walk that shares the GIL with cells checks (and so pauses) after fewer objects.
        check_after = self.sizer.chunk
        deepest = 0
        ticks, met = CHECK_EVERY, 0
        while stack:
            # The limits are checked before every batch once a batch's worth of objects
            # was met since the last check, else every few small batches (a chain of
            # one-item lists: the check would cost as much as the walk).
            if ticks >= CHECK_EVERY or met >= check_after:
                self._check()
                ticks = met = 0
            ticks += 1
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
                    met += len(chunk)
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
            met += parent_count + len(referents) + len(keys)
            split = columns(referents, parent_count) if referents else []
            del referents
            # A key the gc also reports (not a str) is in both lists: with both alive
            # it looks shared in each, and is claimed, hence counted, once.
            if keys:
                self._discover(keys, context, level + 1)
            for column in split:
                self._discover(column, context, level + 1)
            del keys, split
