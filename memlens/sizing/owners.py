"""Which root of a walk reached each object first: a table of small tags keyed by address.

The sizing walk (:mod:`memlens.sizing`) must remember every shared-looking object it has
met, and for retained sizes which root reached it. A dict keyed by ``id()`` costs ~90
bytes per object (a 32-byte int key, its entry, the spare room) and leaves its memory in
the very heap being measured. Here the table is an array of tags indexed by
``address >> 4`` (two live objects never start within 16 bytes of each other: a
``PyObject`` header alone is 16 bytes), in an anonymous memory map reserved for the whole
user address space with ``MAP_NORESERVE``: nothing is allocated until a page is written,
so only the pages covering the objects met become memory -- one byte (two with more than
256 tag values) per 16 bytes of address space where objects are dense, about 2 bytes per
object, at most one page per object where they are sparse. The pages written are counted
exactly, for the walker's memory cap, and go back to the operating system the moment the
walk ends (``munmap``), leaving no fragmentation behind.

Small walks (most tables never grow past a few thousand entries) and platforms where such
a map cannot be made (not Linux on x86-64 or AArch64, a strict overcommit policy, an
address-space limit) use a dict with the same interface.

Tags are small non-negative ints; 0 means "not met yet". Every operation is C-level
``map`` over a whole batch: no Python code runs per object except for objects whose tag
changes from one root's to another's, or that repeat within a batch. On the map, a batch
is claimed with as few passes per object as can be checked (:mod:`.claims`).
"""

from __future__ import annotations

import itertools
import mmap
import operator
import platform
import sys
from collections.abc import Iterable
from typing import Any

from .claims import DENSE as _DENSE
from .claims import UNSEEN, MapClaims, bounds
from .claims import discard as _discard

UNSEEN_TAG = UNSEEN
"""The walk's tags: an object not met yet."""
SKIP_TAG = 1
"""Not data (or the walker's own): neither counted nor followed."""
EXTERNAL_TAG = 2
"""Shared with the whole program (None, small ints...): in no retained size."""
FENCE_TAG = 3
"""In the fence: not counted, not followed, and the root that meets it is flagged."""


def own_tag(root: int) -> int:
    """The tag of objects root ``root`` alone reached (even); +1: several, ``root`` last."""
    return 4 + 2 * root


def root_of(tag: int) -> int:
    """The root a tag says reached an object alone, or -1."""
    return (tag - 4) >> 1 if tag >= 4 and not tag & 1 else -1


_SHIFT = 4
"""log2 of the bytes of address space one tag covers."""

_PAGE = mmap.PAGESIZE

_GROW_AT = 1 << 13
"""Entries a dict table takes on (beyond its seed) before it moves into a memory map."""

_ADDRESS_BITS = {"x86_64": 47, "amd64": 47, "aarch64": 48, "arm64": 48}
"""User address space per architecture (Linux), where the map is used at all."""


_MAP_NORESERVE = getattr(mmap, "MAP_NORESERVE", 0x4000)  # 0x4000 on x86-64 and AArch64

_repeat = itertools.repeat
_rshift = operator.rshift


_KEY_MAX = (1 << 60) - 1
"""Every key (``address >> 4`` of a 64-bit address) is at most this."""


def _hash_is_key() -> bool:
    """Whether ``object.__hash__`` gives an object's key itself: CPython's pointer hash
    rotates the address right by 4 bits, so for an object on a 16-byte boundary (any heap
    object) it is ``id(obj) >> 4`` in one C call instead of two, ~12 % of a claim's cost an
    object (BENCHMARKS.md). Objects not on such a boundary (static ones: small ints, the
    empty tuple) have their low bits rotated into the top: masking gives the key again.
    Checked here on fresh objects, so another implementation or hash keeps ``id >> 4``."""
    if sys.implementation.name != "cpython" or sys.maxsize != (1 << 63) - 1:
        return False
    probes: list[object] = [object() for _ in range(8)]
    probes += [float(len(probes)) + 0.5, [], (), 1, None]
    hashes = list(map(object.__hash__, probes))
    aligned = [h for h, o in zip(hashes, probes) if id(o) & 15 == 0]
    return bool(aligned) and all(
        (h if 0 <= h <= _KEY_MAX else h & _KEY_MAX) == id(o) >> _SHIFT
        for h, o in zip(hashes, probes)
    )


_HASH_IS_KEY = _hash_is_key()
_pointer_hash = object.__hash__


STATIC_TYPES = (int, bool, str, bytes, tuple, frozenset, type(None), type(...))
"""Types of which CPython has static instances (small ints, the empty tuple, identifier
strings...), possibly not on a 16-byte boundary: a batch holding them keys by ``id``."""
STATIC_TYPE_IDS = frozenset(map(id, STATIC_TYPES))


def keys_of(objects: list[object], heap: bool = False) -> tuple[list[int], int, int]:
    """The keys of ``objects`` (``id >> 4``), with the lowest and the highest. ``heap``:
    none of them is of a :data:`STATIC_TYPES` type (so the pointer hash is the key)."""
    if heap and _HASH_IS_KEY:
        keys = list(map(_pointer_hash, objects))
        lowest, highest = bounds(keys)
        if lowest >= 0 and highest <= _KEY_MAX:
            return keys, lowest, highest
        keys = list(map(operator.and_, keys, _repeat(_KEY_MAX)))  # an unaligned object
    else:
        keys = list(map(_rshift, map(id, objects), _repeat(_SHIFT)))
    lowest, highest = bounds(keys)
    return keys, lowest, highest


def _address_bits() -> int | None:
    if not sys.platform.startswith("linux") or sys.maxsize < 1 << 62:
        return None
    return _ADDRESS_BITS.get(platform.machine().lower())


class Owners(MapClaims):
    """Tags by object, for one walk; :meth:`close` frees the table.

    ``tags`` is how many distinct tag values (0 included) the walk uses.
    """

    def __init__(self, tags: int) -> None:
        self.entries: dict[int, int] = {}
        """The dict table (all entries before the map exists; those beyond its range after)."""
        self.seeded = 0
        self.map: mmap.mmap | None = None
        self.view: Any = None
        self.limit = 0
        self.pages: set[int] = set()
        self.page_shift = 0
        self.typecode = "B" if tags <= 1 << 8 else "H" if tags <= 1 << 16 else None
        self.bits = _address_bits() if self.typecode is not None else None

    # -- reading and writing ---------------------------------------------------------------

    def seed(self, ids: Iterable[int], tag: int) -> None:
        """Tag the objects with these ids (objects never counted, or shared by everyone)."""
        keys = list(map(_rshift, ids, _repeat(_SHIFT)))
        self._write(keys, _repeat(tag))
        if self.map is None:
            self.seeded = len(self.entries)

    def mark(self, obj: object, tag: int) -> None:
        self._write([id(obj) >> _SHIFT], _repeat(tag))

    def claim(
        self, anchors: list[object], translate: list[int], *, heap: bool = False
    ) -> tuple[list[object], list[object], list[int], list[int]]:
        """Give each object of ``anchors`` the tag ``translate[old tag]``.

        Returns the objects met for the first time (old tag 0, each once even if it is in
        ``anchors`` twice), those whose tag changed from another non-zero tag with their
        old tags, and all the old tags. ``translate`` must map 0 to a non-zero tag.
        ``heap``: as :func:`keys_of` has it.
        """
        keys, lowest, highest = keys_of(anchors, heap)
        if self.map is None and len(self.entries) - self.seeded > _GROW_AT:
            self._grow()
        view = self.view
        if view is not None and highest < self.limit:
            return self._claim_mapped(anchors, keys, translate, lowest, highest)
        if view is None:
            by_key = dict(zip(keys, anchors))  # each object once
            if len(by_key) < len(keys):
                keys = list(by_key)
                anchors = list(by_key.values())
            del by_key
            entries = self.entries
            tags = list(map(entries.get, keys, _repeat(UNSEEN)))
            entries.update(zip(keys, map(translate.__getitem__, tags)))
        else:
            tags = self._exchange(keys, translate)
        fresh_count = tags.count(UNSEEN)
        if fresh_count == len(tags):
            self._count_pages(keys, highest)
            return anchors, [], [], tags
        fresh = list(itertools.compress(anchors, map(operator.not_, tags)))
        if fresh:
            self._count_pages(list(itertools.compress(keys, map(operator.not_, tags))))
        # Met before under another root's tag: their old tags say whose they were.
        moved = list(
            map(
                operator.and_,
                map(operator.ne, tags, map(translate.__getitem__, tags)),
                map(operator.truth, tags),
            )
        )
        if not any(moved):
            return fresh, [], [], tags
        changed = list(itertools.compress(anchors, moved))
        return fresh, changed, list(itertools.compress(tags, moved)), tags

    def _exchange(self, keys: list[int], translate: list[int]) -> list[int]:
        """``claim``'s read-translate-write, key by key: some keys are beyond the map."""
        entries = self.entries
        view = self.view
        limit = self.limit
        tags: list[int] = []
        for key in keys:
            if view is not None and key < limit:
                tag = view[key]
                view[key] = translate[tag]
            else:
                tag = entries.get(key, UNSEEN)
                entries[key] = translate[tag]
            tags.append(tag)
        return tags

    def _write(self, keys: list[int], tags: Iterable[int]) -> None:
        view = self.view
        if view is not None and keys and max(keys) < self.limit:
            _discard(map(operator.setitem, _repeat(view), keys, tags))
            self._count_pages(keys)
            return
        entries = self.entries
        limit = self.limit
        for key, tag in zip(keys, tags):
            if view is not None and key < limit:
                view[key] = tag
                self.pages.add(key >> self.page_shift)
            else:
                entries[key] = tag

    def _count_pages(
        self, keys: list[int], highest: int | None = None, lowest: int | None = None
    ) -> None:
        """Add the pages of the map that ``keys`` (``highest`` and ``lowest`` their maximum
        and minimum, if known) fall in to :attr:`pages`."""
        if self.view is None or not keys:
            return
        shift = self.page_shift
        if lowest is None or highest is None:
            lowest, highest = bounds(keys)
        first = lowest >> shift
        last = highest >> shift
        if (last - first) * _DENSE < len(keys):
            # Objects allocated together: every page between the first and the last is
            # counted, written or not (a bound, for the cap), without a set insert per key.
            self.pages.update(range(first, last + 1))
        else:
            self.pages.update(map(_rshift, keys, _repeat(shift)))

    # -- the map -----------------------------------------------------------------------------

    def _grow(self) -> None:
        """Move the dict's entries into a memory map (once; stays a dict if it cannot)."""
        if self.bits is None or self.typecode is None:
            return
        width = 1 if self.typecode == "B" else 2
        limit = 1 << (self.bits - _SHIFT)
        try:
            table = mmap.mmap(
                -1,
                limit * width,
                flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | _MAP_NORESERVE,
                prot=mmap.PROT_READ | mmap.PROT_WRITE,
            )
        except (OSError, OverflowError, ValueError, AttributeError):
            self.bits = None
            return
        try:  # with transparent huge pages "always", one write would bring in 2 MiB
            table.madvise(mmap.MADV_NOHUGEPAGE)
        except (AttributeError, OSError, ValueError):
            pass
        self.map = table
        self.view = memoryview(table).cast("B") if width == 1 else memoryview(table).cast("H")
        self.limit = limit
        self.page_shift = (_PAGE // width).bit_length() - 1
        entries = self.entries
        self.entries = {}
        self._write(list(entries), entries.values())

    # -- cost and clean-up -------------------------------------------------------------------

    def bytes_used(self) -> int:
        """The table's own memory: pages of the map written, plus the dict."""
        entries = self.entries
        used = sys.getsizeof(entries) + 32 * len(entries)
        if self.view is not None:
            pages = self.pages
            used += _PAGE * len(pages) + sys.getsizeof(pages) + 32 * len(pages)
        return used

    def close(self) -> None:
        self.entries = {}
        self.pages = set()
        if self.view is not None:
            self.view.release()
            self.view = None
        if self.map is not None:
            self.map.close()
            self.map = None
