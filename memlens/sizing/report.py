"""What a measurement found: the sizes of each root, the walk's cost, and the flags
that say why a size is a lower bound or how an object misbehaved."""

from __future__ import annotations

from collections.abc import Iterable

BUDGET = "budget"
"""The walk ran out of time before it finished this root: its sizes are lower bounds."""
CAPPED = "capped"
"""The walker's own memory reached its cap and the walk stopped: sizes are lower bounds."""
INTERRUPTED = "interrupted"
"""The caller stopped the walk (the kernel does when a cell starts): lower bounds."""
MUTATED = "mutated"
"""A container changed size while it was being walked: its sizes may be off."""
SIZEOF_RAISED = "sizeof_raised"
"""An object's ``__sizeof__`` raised; its basic size was counted instead."""
SIZEOF_NEGATIVE = "sizeof_negative"
"""An object's ``__sizeof__`` returned a negative number; its basic size was counted."""
SIZEOF_ABSURD = "sizeof_absurd"
"""An object's ``__sizeof__`` claimed more bytes than the machine has; basic size counted."""
OPAQUE = "opaque"
"""The object holds native memory memlens cannot see (a ctypes buffer it does not own, an
``io.StringIO``, a sqlite connection...): its sizes leave that out, so they are lower bounds."""
LAZY = "lazy"
"""A lazy container (a polars ``LazyFrame``, a dask collection, an xarray array not yet
loaded from its file): the sizes are what it holds now, not what it would compute."""
FILE_BACKED = "file_backed"
"""Maps a file (a ``numpy.memmap``): the file's pages are the page cache's, shown apart
from the heap and left out of the sizes."""
DEEP_NESTING = "deep_nesting"
"""Nested more than :data:`DEEP_NESTING_LEVELS` levels deep (sizes are still right)."""

FENCED = "fenced"
"""The walk met an object of ``fence`` and stopped there: both sizes leave out what is
reachable only through it (right for retained sizes when something outside the roots
keeps the fenced objects alive, as the namespace does for the containers above a part)."""

DEEP_NESTING_LEVELS = 1000
"""Nesting deeper than this is flagged: Python's recursion limit, where recursive tools fail."""


class RootSizes:
    """The sizes of one root (a variable, or a group of objects measured together)."""

    __slots__ = ("deep", "device", "flags", "objects", "partial", "retained")

    def __init__(
        self,
        deep: int = 0,
        retained: int = 0,
        objects: int = 0,
        partial: bool = False,
        flags: Iterable[str] = (),
        *,
        device: int = 0,
    ) -> None:
        self.deep = deep
        """Bytes of every object reachable from the root, each counted once."""
        self.retained = retained
        """Bytes of the objects reachable from this root and from no other root."""
        self.objects = objects
        """How many objects the deep size counts."""
        self.partial = partial
        """The walk of this root did not finish: ``deep`` is a lower bound; ``retained`` is
        no bound either way (too low for what was not reached, too high for objects this
        walk reached first that roots cut short would have reached too), so it is never
        to be shown as "≥"."""
        self.flags: list[str] = sorted(set(flags))
        """Oddities met on the way (see the module's flag constants)."""
        self.device = device
        """GPU bytes reachable from the root (CUDA tensors' storages, CuPy and JAX arrays on
        a GPU), each device buffer once: device memory, never part of ``deep``/``retained``."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RootSizes):
            return NotImplemented
        return (self.deep, self.retained, self.objects, self.partial, self.flags) == (
            other.deep,
            other.retained,
            other.objects,
            other.partial,
            other.flags,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"RootSizes(deep={self.deep}, retained={self.retained}, objects={self.objects},"
            f" partial={self.partial}, flags={self.flags})"
        )


class Report:
    """What :func:`measure` found: one :class:`RootSizes` per root, and the walk's cost."""

    __slots__ = (
        "capped",
        "elapsed_s",
        "native_buffers",
        "objects",
        "partial",
        "roots",
        "shared",
        "walker_peak_bytes",
    )

    def __init__(
        self,
        roots: list[RootSizes],
        *,
        objects: int,
        elapsed_s: float,
        walker_peak_bytes: int,
        capped: bool,
        shared: dict[tuple[int, int], int] | None = None,
        native_buffers: dict[str, int] | None = None,
    ) -> None:
        self.roots = roots
        self.objects = objects
        """Objects counted over all roots (an object reached from two roots counts twice)."""
        self.elapsed_s = elapsed_s
        """Wall time of the walk, in seconds (pauses included)."""
        self.walker_peak_bytes = walker_peak_bytes
        """The walker's own peak memory, estimated from its tables (within ~20 %)."""
        self.capped = capped
        """The walk stopped at its memory cap."""
        self.partial = any(root.partial for root in roots)
        """Some root's walk did not finish."""
        self.shared: dict[tuple[int, int], int] = shared or {}
        """Bytes two roots share, by ``(i, j)`` with ``i < j``: objects one of them reached
        (alone, or last of several) before the other reached them too. An object three or
        more roots reach counts for the last two that met it: a lower bound for others."""
        self.native_buffers: dict[str, int] = native_buffers or {}
        """Bytes of the native buffers counted by address (each once over all roots), by
        the library of the object that led to them first: ``numpy`` (arrays that own
        their buffer, counted by address only while torch or pyarrow is imported),
        ``pyarrow``, ``torch``, ``polars``, ``plugin``. Part of the sizes above; a buffer
        one library wraps from another (zero-copy) is the first one's."""

    def __repr__(self) -> str:
        return (
            f"Report(roots={self.roots!r}, objects={self.objects},"
            f" elapsed_s={self.elapsed_s:.6f}, walker_peak_bytes={self.walker_peak_bytes},"
            f" capped={self.capped})"
        )
