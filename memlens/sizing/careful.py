"""Objects the sizing walk sizes one by one: what is not data, native buffers counted once
per address (torch storages, pyarrow and polars buffers, shareable numpy arrays), opaque
objects, lazy containers; and the bytes two roots share.

:class:`WalkState` declares the state of one walk (:class:`.walk.Walk` sets it up);
:class:`CarefulSizes` adds these sizes, :class:`.discovery.Discovery` the counting of
batches, :class:`.walk.Walk` the running.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

from .. import libraries
from ..libraries import opaque
from . import kinds, owners
from .batches import Cursor, Segments
from .budget import Limits
from .kinds import Kinds
from .owners import SKIP_TAG, root_of
from .report import FILE_BACKED, LAZY, OPAQUE
from .sizeof import basic_size, careful_size
from .sizes import Sizer

Root = Union[Sequence[object], Segments]
"""The objects of one root: a list or tuple (read in chunks, never copied), or stretches
of big containers (:class:`.batches.Segments`)."""
Batch = list[object]
Entry = tuple[Union[Batch, Cursor], int, int, int]
"""(parents to walk or a cursor yielding chunks of children, context, level, bits): bits
are the parents' kinds (or a superset), :data:`.discovery.UNKNOWN` or
:data:`.discovery.IS_CURSOR`."""


class WalkState:
    """The state of one measurement, shared by the walks of all its roots (set up by
    :class:`.walk.Walk`)."""

    roots: list[Root]
    skipped: list[object]
    fence: list[object]
    limits: Limits
    libraries: libraries.Libraries
    kinds: Kinds
    sizer: Sizer
    own_tags: list[int]
    shared_tags: list[int]
    owners: owners.Owners
    translate: list[int]
    """Per root: the tag an object gets when the root meets it, by its tag before."""
    resources: dict[tuple[str, int], int]
    """Native buffers counted so far, by key: the tag of the root(s) that met them."""
    native: dict[str, int]
    """Bytes of the native buffers counted (each once over all roots), by the library
    of the object that led to them first (see :attr:`.report.Report.native_buffers`)."""
    deep: list[int]
    retained: list[int]
    device: list[int]
    """GPU bytes each root reaches (device buffers, each once per root): never in
    ``deep`` or ``retained`` (see :attr:`.report.RootSizes.device`)."""
    shared: dict[tuple[int, int], int]
    """Bytes two roots share (see :attr:`.report.Report.shared`)."""
    objects: list[int]
    flags: list[set[str]]
    partial: list[bool]
    stack: list[Entry]
    pending: int
    batch: int
    """The most referents met in one batch (their lists and tables are transient)."""
    index: int
    own: int
    mine: int


class CarefulSizes(WalkState):
    """Sizes of the objects that need care (see the module)."""

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
