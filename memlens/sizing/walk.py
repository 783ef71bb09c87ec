"""Deep and retained sizes over the object graph: measure only, no model and no comms.

The public API (also exported by :mod:`memlens`):

- :func:`deep_size` -- the bytes reachable from one object;
- :func:`retained_sizes` -- for a mapping of names to objects, the bytes deleting each
  name would free;
- :func:`measure` -- the same for groups of objects ("roots"), under a time budget and a
  memory cap, with object counts, flags and the walker's own cost (a :class:`Report`).

Standard library only; numpy, pandas, torch and pyarrow are recognized when the user has
imported them already (they are looked up in ``sys.modules``, never imported).

What is counted
---------------
Every object reachable through ``gc.get_referents`` (plus a dict's keys, which the gc
does not visit when they are all strings, and the items of numpy object arrays) is
counted once, by identity, with ``sys.getsizeof``. Not counted and not followed, because
they are the program rather than its data: modules, classes, functions without closure
cells, methods, builtin functions, code, frames, tracebacks, descriptors, the dicts of
modules (module globals), the builtins, and whatever the caller passes as ``skip`` (the
kernel passes the user namespace dict itself). A function *with* closure cells counts
itself, its cells and what they hold, and its defaults. Instance attributes are reached
through the instance's referents; ``__dict__`` is never read (on Python 3.11+ that would
build a dict that did not exist); the attribute-value array such an instance keeps beside
itself (3.11-3.13) is added as an estimate from the number of attributes.

numpy: ``sys.getsizeof`` of an array includes its buffer when the array owns it, and a
view leads to its ``base`` (the items of an object array are walked at the owner only),
so a buffer is counted once, at its owner: a view's deep size
includes its base, its retained size is its small header (when the base is held
elsewhere). pandas objects are walked like any other (their own ``__sizeof__`` would
count their data a second time); object and string columns are numpy object arrays, so
a string held by many rows is counted once. torch tensors count their storage (a sparse
tensor its index and value tensors, a leaf its gradient) and pyarrow arrays, chunked
arrays, tables and record batches their buffers, once per buffer address, when those
libraries are imported; numpy buffers of 1 MiB or more then count by address too, so a
buffer a tensor or an arrow array shares with a numpy array (``torch.from_numpy``,
zero-copy ``pa.array``) counts once. Not seen: smaller shared numpy buffers and Python
bytes wrapped zero-copy by pyarrow count twice; the autograd graph behind ``grad_fn``;
GPU memory (not in the process's RSS).

Retained sizes
--------------
The retained size of a root is the size of the objects reachable from that root and from
no other root: what deleting it would free, if nothing outside the roots holds them. The
walk records, per object, which root reached it first and whether another one did too
(a tag per *shared-looking* object only, in :class:`memlens.owners.Owners`, ~2 bytes per
object: an object whose reference count says exactly one reference exists can be reached
only through its one parent, so it inherits its parent's state and costs the walker no
memory). Objects every Python program shares
(None, True, False, small integers, one-character strings, the empty tuple...) count in
deep sizes and in no retained size. References from outside the roots (module globals,
library caches) are not seen: objects they hold count as retained.

Hostile objects never make the walk raise: a ``__sizeof__`` that raises, returns a
negative or absurd number is replaced by the object's basic size and flagged
(``sizeof_raised``, ``sizeof_negative``, ``sizeof_absurd``); ``__getattr__`` is never
called; a dict, set or deque changing size during a chunked walk is flagged ``mutated``;
nesting of any depth is walked without recursion (``deep_nesting`` past 1,000 levels,
where ``repr``, ``pickle`` or ``copy.deepcopy`` would fail); huge containers are read in
chunks, so the time budget (``budget``) and the memory cap (``capped``) are checked
every few milliseconds.

Speed: the walk is batched, ``gc.get_referents(*parents)`` for many parents at once and
C-level ``map``/``set`` operations over whole batches. The referents of many parents with
as many referents each (records, instances of a class, pairs) are split into columns,
which mostly hold one type each: a column of classes is dropped at once, a column of one
builtin type is sized by that type's own ``__sizeof__``, and objects whose size is fixed
by their type (floats, instances) are sized once per type. 6-27 million objects per
second on containers of builtin objects, class instances and records, ~3 million where
every object is also held elsewhere (CPython 3.11, see BENCHMARKS.md).
"""

from __future__ import annotations

import collections
import gc
import itertools
import operator
import os
import sys
import time
import types
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Callable, Union

from . import owners

__all__ = [
    "BUDGET",
    "CAPPED",
    "DEEP_NESTING",
    "DEEP_NESTING_LEVELS",
    "FENCED",
    "INTERRUPTED",
    "MUTATED",
    "SIZEOF_ABSURD",
    "SIZEOF_NEGATIVE",
    "SIZEOF_RAISED",
    "Report",
    "RootSizes",
    "deep_size",
    "default_cap_bytes",
    "measure",
    "retained_sizes",
]

# -- flags ----------------------------------------------------------------------------------

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
DEEP_NESTING = "deep_nesting"
"""Nested more than :data:`DEEP_NESTING_LEVELS` levels deep (sizes are still right)."""

FENCED = "fenced"
"""The walk met an object of ``fence`` and stopped there: both sizes leave out what is
reachable only through it (right for retained sizes when something outside the roots
keeps the fenced objects alive, as the namespace does for the containers above a part)."""

DEEP_NESTING_LEVELS = 1000
"""Nesting deeper than this is flagged: Python's recursion limit, where recursive tools fail."""

_STOPS = (BUDGET, CAPPED, INTERRUPTED)

# -- tuning -----------------------------------------------------------------------------------

_CHUNK = 1 << 14
"""Most objects taken from one huge container, or walked as parents, at a time."""

_BIG_BYTES = _CHUNK * 8
"""A container whose ``getsizeof`` is above this is read in chunks of :data:`_CHUNK`."""

_BATCH_BYTES = 40
"""The walker's transient bytes per object of its largest batch (lists, counts, sizes)."""


def _physical_memory() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        return 1 << 40


_ABSURD = max(_physical_memory(), 1 << 33)
"""A ``__sizeof__`` above this (the machine's memory, at least 8 GiB) is not believed."""


def _available_memory() -> int | None:
    """MemAvailable from /proc/meminfo, in bytes; None where there is none."""
    try:
        with open("/proc/meminfo", "rb") as meminfo:
            for line in meminfo:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


_cap: tuple[float, int] = (-1.0, 0)


def default_cap_bytes() -> int:
    """The default cap on the walker's own memory: 10 % of the memory still available
    (``MemAvailable``), at most 1 GiB, at least 16 MiB; 256 MiB where that is unknown.
    Read at most once a second."""
    global _cap
    now = time.monotonic()
    if now - _cap[0] < 1.0:
        return _cap[1]
    available = _available_memory()
    if available is None:
        cap = 256 << 20
    else:
        cap = max(16 << 20, min(available // 10, 1 << 30))
    _cap = (now, cap)
    return cap


# -- reports ----------------------------------------------------------------------------------


class RootSizes:
    """The sizes of one root (a variable, or a group of objects measured together)."""

    __slots__ = ("deep", "flags", "objects", "partial", "retained")

    def __init__(
        self,
        deep: int = 0,
        retained: int = 0,
        objects: int = 0,
        partial: bool = False,
        flags: Iterable[str] = (),
    ) -> None:
        self.deep = deep
        """Bytes of every object reachable from the root, each counted once."""
        self.retained = retained
        """Bytes of the objects reachable from this root and from no other root."""
        self.objects = objects
        """How many objects the deep size counts."""
        self.partial = partial
        """The walk of this root did not finish: ``deep`` is a lower bound (and
        ``retained`` may be too low, or, for the other roots, too high)."""
        self.flags: list[str] = sorted(set(flags))
        """Oddities met on the way (see the module's flag constants)."""

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

    __slots__ = ("capped", "elapsed_s", "objects", "partial", "roots", "walker_peak_bytes")

    def __init__(
        self,
        roots: list[RootSizes],
        *,
        objects: int,
        elapsed_s: float,
        walker_peak_bytes: int,
        capped: bool,
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

    def __repr__(self) -> str:
        return (
            f"Report(roots={self.roots!r}, objects={self.objects},"
            f" elapsed_s={self.elapsed_s:.6f}, walker_peak_bytes={self.walker_peak_bytes},"
            f" capped={self.capped})"
        )


# -- the public API -----------------------------------------------------------------------------


def deep_size(obj: object) -> int:
    """The bytes of ``obj`` and of everything it refers to, each object counted once.

    See the module's docstring for what is counted. Never raises for a hostile object
    (its basic size is counted instead); no time limit (use :func:`measure` for one).
    A module, class or function without closure is program, not data: its deep size is 0.
    """
    return measure([[obj]]).roots[0].deep


def retained_sizes(namespace: Mapping[str, object]) -> dict[str, int]:
    """For each name of ``namespace``, the bytes that deleting that name would free.

    That is the size of the objects reachable from the name's object and from no other
    name's (a name bound to the same object as another name retains nothing). Objects
    held from outside ``namespace`` (module globals, caches) are not seen, so they count
    as retained. No time limit (use :func:`measure` for one).
    """
    names = list(namespace)
    report = measure([[namespace[name]] for name in names])
    return {name: sizes.retained for name, sizes in zip(names, report.roots)}


def measure(
    roots: Sequence[Sequence[object]],
    *,
    budget_s: float | None = None,
    shares: Sequence[float] | None = None,
    cap_bytes: int | None = None,
    skip: Iterable[object] = (),
    fence: Iterable[object] = (),
    should_stop: Callable[[], bool] | None = None,
    pause_every_s: float | None = None,
) -> Report:
    """Deep and retained sizes of ``roots``, each root a group of objects sized together.

    - ``budget_s``: time for the whole walk, in seconds (None: no limit). Roots are
      walked in order; each may use its share of what is left (``shares``: weights per
      root, default equal; a root with share 0 gets whatever the others leave). A root
      cut short is ``partial`` and flagged ``budget``.
    - ``cap_bytes``: the most memory the walker may use for its own tables (default
      :func:`default_cap_bytes`); past it the walk stops (``capped``).
    - ``skip``: objects never counted nor followed (e.g. a namespace dict).
    - ``fence``: objects never counted nor followed either, and a root that reaches one
      is flagged ``fenced`` (e.g. the containers above the parts whose retained sizes
      are wanted, which would make every part look shared).
    - ``should_stop``: called every few milliseconds; True stops the walk (``interrupted``).
    - ``pause_every_s``: sleep briefly after each such stretch of work, so that other
      threads waiting for the GIL get it at once (for walks run on a background thread).
    """
    return _Walk(
        roots,
        budget_s=budget_s,
        shares=shares,
        cap_bytes=default_cap_bytes() if cap_bytes is None else cap_bytes,
        skip=skip,
        fence=fence,
        should_stop=should_stop,
        pause_every_s=pause_every_s,
    ).run()


# -- type kinds ---------------------------------------------------------------------------------

_K_SKIP = 1
"""Not data: neither counted nor followed."""
_K_OWN_SIZE = 2
"""Its ``__sizeof__`` is deep (pandas): count ``object.__sizeof__`` plus the gc header."""
_K_MANAGED = 4
"""Keeps attribute values in an array beside the object (3.11+): add its estimated size."""
_K_RESOURCE = 8
"""torch tensor or pyarrow data: count native buffers once per address."""
_K_FUNCTION = 16
"""A function: kept (with its closure and defaults) only if it has closure cells."""
_K_DICT = 32
"""Follow the keys too (the gc does not visit all-string keys)."""
_K_ARRAY = 64
"""numpy array: follow ``base`` and, for object arrays, the items."""
_K_ATOMIC = 128
"""Refers to nothing: never walked as a parent."""
_K_CONTAINER = 256
"""May hold very many items: read in chunks when big."""
_K_WALK = 1024
"""May refer to something: walked as a parent (every kind that is not atomic)."""
_K_INT = 512
"""An exact int: CPython 3.11+ allocates a one-digit int as 32 bytes, ``getsizeof`` says 28."""
_K_FIXED = 2048
"""Sized by the inherited ``object.__sizeof__`` with no items: its ``getsizeof`` (and the
attribute-value estimate) depends on its type alone, so it is read once per type."""

_DISCOVER_SPECIAL = _K_SKIP | _K_OWN_SIZE | _K_RESOURCE | _K_FUNCTION
_WALK_SPECIAL = _K_FUNCTION | _K_DICT | _K_ARRAY

_SKIPPED_TYPES: tuple[type, ...] = (
    types.ModuleType,
    type,
    types.BuiltinFunctionType,
    types.MethodType,
    types.CodeType,
    types.FrameType,
    types.TracebackType,
    types.MethodDescriptorType,
    types.WrapperDescriptorType,
    types.MethodWrapperType,
    types.GetSetDescriptorType,
    types.MemberDescriptorType,
    types.ClassMethodDescriptorType,
)
_ATOMIC_TYPES = frozenset(
    (int, float, complex, bool, str, bytes, bytearray, type(None), range, type(Ellipsis))
)
_CONTAINER_TYPES = (list, tuple, dict, set, frozenset)

_INT_PADDING = 4 if sys.version_info >= (3, 11) else 0
"""Bytes CPython 3.11+ allocates for an int of one digit (most ints) beyond its getsizeof."""
_Py_TPFLAGS_MANAGED_DICT = 1 << 4
_Py_TPFLAGS_INLINE_VALUES = 1 << 2
_Py_TPFLAGS_HAVE_GC = 1 << 14
_GC_HEADER = sys.getsizeof([]) - [].__sizeof__()
_TYPE_FLAGS = type.__dict__["__flags__"].__get__
_TYPE_MRO = type.__dict__["__mro__"].__get__
_TYPE_DICT = type.__dict__["__dict__"].__get__
_TYPE_ITEMSIZE = type.__dict__["__itemsize__"].__get__
_FUNC_CLOSURE = types.FunctionType.__dict__["__closure__"].__get__
_FUNC_DEFAULTS = types.FunctionType.__dict__["__defaults__"].__get__
_FUNC_KWDEFAULTS = types.FunctionType.__dict__["__kwdefaults__"].__get__
_OBJECT_SIZEOF = object.__sizeof__
_MODULE_DICT: Callable[[object], Any] = vars(types.ModuleType)["__dict__"].__get__


def _defining_class(kind: type, name: str) -> type | None:
    """The class of ``kind``'s MRO whose own dict defines ``name`` (no descriptors run)."""
    for klass in _TYPE_MRO(kind):
        if name in _TYPE_DICT(klass):
            return klass  # type: ignore[no-any-return]
    return None


def _module_of(klass: type) -> str:
    module = _TYPE_DICT(klass).get("__module__", "")
    return module if isinstance(module, str) else ""


class _Libraries:
    """The classes of numpy, pandas, torch and pyarrow that the user has imported."""

    def __init__(self) -> None:
        modules = sys.modules
        numpy = modules.get("numpy")
        self.ndarray: type | None = getattr(numpy, "ndarray", None)
        self.array_base: Callable[[Any], Any] | None = None
        self.array_dtype: Callable[[Any], Any] | None = None
        self.array_ravel: Callable[..., Any] | None = None
        self.array_nbytes: Callable[[Any], Any] | None = None
        self.array_interface: Callable[[Any], Any] | None = None
        if isinstance(self.ndarray, type):
            try:
                self.array_base = _TYPE_DICT(self.ndarray)["base"].__get__
                self.array_dtype = _TYPE_DICT(self.ndarray)["dtype"].__get__
                self.array_ravel = _TYPE_DICT(self.ndarray)["ravel"]
                self.array_nbytes = _TYPE_DICT(self.ndarray)["nbytes"].__get__
                self.array_interface = _TYPE_DICT(self.ndarray)["__array_interface__"].__get__
            except (KeyError, AttributeError):
                self.ndarray = None
        else:
            self.ndarray = None
        # torch and pyarrow members are read through their own classes' descriptors (see
        # _readers): no override of a subclass runs.
        torch = modules.get("torch")
        tensor = getattr(torch, "Tensor", None)
        self.tensor: type | None = tensor if isinstance(tensor, type) else None
        self.torch: dict[str, Callable[[Any], Any]] = {}
        """Readers of tensor members, by name; empty if torch is too old (before 2.0)."""
        self.torch_layouts: dict[object, tuple[str, ...]] = {}
        """Sparse layouts: the methods giving a tensor's index and value tensors."""
        quiet = getattr(getattr(torch, "_C", None), "DisableTorchFunctionSubclass", None)
        self.torch_quiet: Callable[[], Any] | None = quiet if isinstance(quiet, type) else None
        """A context that turns subclasses' ``__torch_function__`` off (torch 2.0+)."""
        if self.tensor is not None and self.torch_quiet is not None:
            self.torch = self._readers(
                self.tensor,
                (
                    *("untyped_storage", "device", "layout", "grad", "is_leaf", "retains_grad"),
                    *("_indices", "_values"),
                    *("crow_indices", "col_indices", "ccol_indices", "row_indices", "values"),
                ),
            )
            for layout, parts in (
                ("sparse_coo", ("_indices", "_values")),
                ("sparse_csr", ("crow_indices", "col_indices", "values")),
                ("sparse_bsr", ("crow_indices", "col_indices", "values")),
                ("sparse_csc", ("ccol_indices", "row_indices", "values")),
                ("sparse_bsc", ("ccol_indices", "row_indices", "values")),
            ):
                key = getattr(torch, layout, None)
                if key is not None:
                    self.torch_layouts[key] = parts
        pyarrow = modules.get("pyarrow")
        arrow: list[type] = []
        self.arrow_reads: list[tuple[type, str, dict[str, Callable[[Any], Any]]]] = []
        """pyarrow's classes (a subclass before its base), with readers of their members."""
        for name, members in (
            ("Buffer", ("address", "size", "is_cpu")),
            ("Table", ("columns",)),
            ("RecordBatch", ("columns",)),
            ("ChunkedArray", ("chunks",)),
            ("DictionaryArray", ("buffers", "slice", "dictionary")),
            ("Array", ("buffers",)),
        ):
            klass = getattr(pyarrow, name, None)
            if isinstance(klass, type):
                arrow.append(klass)
                self.arrow_reads.append((klass, name, self._readers(klass, members)))
        self.arrow: tuple[type, ...] = tuple(arrow)
        self.shared_buffers = self.tensor is not None or bool(self.arrow)
        """numpy, torch and pyarrow can share one buffer (``torch.from_numpy``, zero-copy
        arrow arrays): numpy buffers are then counted by address too."""

    @staticmethod
    def _readers(klass: type, names: Iterable[str]) -> dict[str, Callable[[Any], Any]]:
        """The ``__get__`` of the descriptors that ``klass`` or a base defines for ``names``
        (a property's or getter's returns the value, a method's the bound method)."""
        readers: dict[str, Callable[[Any], Any]] = {}
        for name in names:
            owner = _defining_class(klass, name)
            getter = None if owner is None else getattr(_TYPE_DICT(owner)[name], "__get__", None)
            if callable(getter):
                readers[name] = getter
        return readers

    def classify(self, kind: type) -> int:
        """The ``_K_*`` bits of objects of type ``kind``."""
        if issubclass(kind, _SKIPPED_TYPES):
            return _K_SKIP
        if kind is types.FunctionType:
            return _K_FUNCTION | _K_WALK
        bits = 0
        bits |= _K_ATOMIC if kind in _ATOMIC_TYPES else _K_WALK
        if kind is int and _INT_PADDING:
            bits |= _K_INT
        if issubclass(kind, dict):
            bits |= _K_DICT
        if issubclass(kind, _CONTAINER_TYPES) or kind.__module__ == "collections":
            bits |= _K_CONTAINER
        if self.ndarray is not None and issubclass(kind, self.ndarray):
            bits |= _K_ARRAY | _K_CONTAINER
            if self.shared_buffers:
                bits |= _K_RESOURCE
        if (self.tensor is not None and issubclass(kind, self.tensor)) or (
            self.arrow and issubclass(kind, self.arrow)
        ):
            bits |= _K_RESOURCE
        sizer = _defining_class(kind, "__sizeof__")
        if sizer is not None and _module_of(sizer).startswith("pandas"):
            bits |= _K_OWN_SIZE
        flags = _TYPE_FLAGS(kind)
        if sys.version_info >= (3, 11) and flags & (
            _Py_TPFLAGS_MANAGED_DICT | _Py_TPFLAGS_INLINE_VALUES
        ):
            bits |= _K_MANAGED
        if (
            sizer is object
            and _TYPE_ITEMSIZE(kind) == 0
            and not bits & (_K_CONTAINER | _K_ARRAY | _K_RESOURCE | _K_OWN_SIZE)
        ):
            bits |= _K_FIXED
        return bits


def _basic_size(obj: object) -> int:
    """``object.__sizeof__`` plus the gc header: a size that runs no code of the object's."""
    size: int = _OBJECT_SIZEOF(obj)
    if _TYPE_FLAGS(type(obj)) & _Py_TPFLAGS_HAVE_GC:
        size += _GC_HEADER
    return size


def _values_array_size(attributes: int) -> int:
    """Estimated bytes of the attribute-value array of an instance with ``attributes``
    attribute values (CPython 3.11+: a managed dict not turned into a real dict).

    Measured on 3.11 and 3.12 with tracemalloc: one slot per attribute plus one, after a
    prefix of one byte per slot plus two, rounded up to 8 bytes. 3.13 allocates the values
    inline, after the object (``_PyInlineValuesSize``): a prefix of one byte per slot
    rounded up to 8, then one slot more; with the class's keys sized to its attributes
    plus one, as measured with tracemalloc for 1 to 12 attributes.
    """
    slots = attributes + 1
    if sys.version_info[:2] == (3, 13):
        return (slots + 7) // 8 * 8 + 8 * (slots + 1)
    return (slots + 2 + 7) // 8 * 8 + 8 * slots


def _unique_refcount() -> int:
    """What ``sys.getrefcount`` reports, when mapped over a list of referents, for an
    object whose only reference is its one parent's (0 where it cannot be told)."""
    holder = [object()]
    referents = gc.get_referents(holder)
    counts = list(map(sys.getrefcount, referents))
    if len(counts) != 1 or counts[0] < 2 or counts[0] > 8:
        return 0
    # Check with a second layout: a tuple slot, a dict value.
    parents = ((object(),), {"k": object()})
    again = list(map(sys.getrefcount, gc.get_referents(*parents)))
    del parents
    return counts[0] if all(count == counts[0] for count in again) else 0


_UNIQUE = _unique_refcount()


def _shared_by_everyone() -> list[object]:
    """Objects that no user variable can free: singletons and CPython's small caches."""
    objects: list[object] = [None, True, False, Ellipsis, NotImplemented, (), "", b""]
    objects += list(range(-5, 257))
    objects += [chr(code) for code in range(256)]
    objects += [bytes((code,)) for code in range(256)]
    return objects


_SHARED_BY_EVERYONE = _shared_by_everyone()
_SHARED_IDS = [id(thing) for thing in _SHARED_BY_EVERYONE]

_module_dicts: tuple[int, list[int]] = (-1, [])


def _module_dict_ids() -> list[int]:
    """The ids of the dicts of the modules in ``sys.modules`` (module globals), cached
    while the number of modules stays the same."""
    global _module_dicts
    modules = list(sys.modules.values())
    if _module_dicts[0] == len(modules):
        return _module_dicts[1]
    module_dict = _MODULE_DICT
    ids: list[int] = []
    for module in modules:
        if issubclass(type(module), types.ModuleType):
            try:
                ids.append(id(module_dict(module)))
            except Exception:
                continue
    _module_dicts = (len(modules), ids)
    return ids


# -- the walk -------------------------------------------------------------------------------------


class _Stop(Exception):
    """Ends the walk of a root (or of all roots): its flag says why."""

    def __init__(self, flag: str, *, everything: bool) -> None:
        super().__init__(flag)
        self.flag = flag
        self.everything = everything


_UNSEEN_TAG = owners.UNSEEN
_SKIP_TAG = 1
_EXTERNAL_TAG = 2
_FENCE_TAG = 3


def _own_tag(root: int) -> int:
    """The tag of objects root ``root`` alone reached (even); +1: several, ``root`` last."""
    return 4 + 2 * root


def _root_of(tag: int) -> int:
    """The root a tag says reached an object alone, or -1."""
    return (tag - 4) >> 1 if tag >= 4 and not tag & 1 else -1


_Batch = list[object]
_Cursor = Iterator[list[object]]
_Entry = tuple[Union[_Batch, _Cursor], int, int, int]
"""(parents to walk or a cursor yielding chunks of children, context, level, bits): bits
are the parents' kinds (or a superset), :data:`_UNKNOWN` or :data:`_IS_CURSOR`."""
_UNKNOWN = -2
_IS_CURSOR = -1


class _Walk:
    """One measurement: the state shared by the walks of all roots.

    ``owners`` (:class:`memlens.owners.Owners`) tags every shared-looking object met so
    far: ``own_tags[i]`` when root ``i`` alone reached it, ``shared_tags[i]`` when several
    roots did and root ``i`` was the last, :data:`_SKIP_TAG` for objects that are not
    data, :data:`_EXTERNAL_TAG` for objects shared with the whole program. The *context*
    of a batch (what its objects that have no other reference inherit from their parent)
    is the root that reached the parent first, or -1 when several roots reach it.
    """

    def __init__(
        self,
        roots: Sequence[Sequence[object]],
        *,
        budget_s: float | None,
        shares: Sequence[float] | None,
        cap_bytes: int,
        skip: Iterable[object],
        fence: Iterable[object],
        should_stop: Callable[[], bool] | None,
        pause_every_s: float | None,
    ) -> None:
        self.roots = [list(root) for root in roots]
        # Held, so that no skipped or fenced object can look single-referenced.
        self.skipped = list(skip)
        self.fence = list(fence)
        count = len(self.roots)
        self.budget_s = budget_s
        self.shares = [1.0] * count if shares is None else [float(w) for w in shares]
        if len(self.shares) != count:
            raise ValueError("shares must have one weight per root")
        self.cap_bytes = cap_bytes
        self.should_stop = should_stop
        self.pause_every_s = pause_every_s
        self.libraries = _Libraries()
        self.kinds: dict[type, int] = {}
        self.values_bytes: dict[type, int] = {}
        self.fixed_sizes: dict[type, int] = {}
        self.own_tags = [_own_tag(i) for i in range(count)]
        self.shared_tags = [_own_tag(i) + 1 for i in range(count)]
        self.owners = owners.Owners(_own_tag(count))
        self.translate: list[int] = []
        """Per root: the tag an object gets when the root meets it, by its tag before."""
        self.resources: dict[tuple[str, int], int] = {}
        self.deep = [0] * count
        self.retained = [0] * count
        self.objects = [0] * count
        self.flags: list[set[str]] = [set() for _ in range(count)]
        self.partial = [False] * count
        self.peak_bytes = 0
        self.capped = False
        self.stack: list[_Entry] = []
        self.pending = 0
        self.batch = 0
        """The most referents met in one batch (their lists and tables are transient)."""
        self.index = 0
        self.own = 0
        self.mine = 0
        self.deadline: float | None = None
        self.root_deadline: float | None = None
        self.last_pause = 0.0
        self._seed()

    # -- set-up -----------------------------------------------------------------------------

    def _seed(self) -> None:
        seed = self.owners.seed
        seed(_SHARED_IDS, _EXTERNAL_TAG)
        mine = [self, self.roots, self.owners, self.resources, self.kinds, self.stack]
        mine += [self.skipped, self.fence]
        ids = [*_module_dict_ids(), id(sys.modules), *map(id, self.skipped), *map(id, mine)]
        seed([*ids, *map(id, self.roots)], _SKIP_TAG)
        seed(map(id, self.fence), _FENCE_TAG)

    def kind(self, of: type) -> int:
        bits = self.kinds.get(of)
        if bits is None:
            try:
                bits = self.libraries.classify(of)
            except Exception:
                bits = 0
            self.kinds[of] = bits
        return bits

    def kinds_of(self, objects: list[object]) -> int:
        bits = 0
        kind = self.kind
        for of in set(map(type, objects)):
            bits |= kind(of)
        return bits

    # -- running ------------------------------------------------------------------------------

    def run(self) -> Report:
        started = time.perf_counter()
        self.deadline = None if self.budget_s is None else started + self.budget_s
        self.last_pause = started
        try:
            return self._run(started)
        finally:  # even if something escapes: give the map back at once
            self.owners.close()
            self.resources.clear()
            self.roots.clear()
            self.fence.clear()
            self.skipped.clear()

    def _run(self, started: float) -> Report:
        stopped_all: str | None = None
        count = len(self.roots)
        for index in range(count):
            if stopped_all is not None:
                self.partial[index] = True
                self.flags[index].add(stopped_all)
                continue
            self.root_deadline = self._root_deadline(index)
            try:
                self._walk_root(index)
            except _Stop as stop:
                self.partial[index] = True
                self.flags[index].add(stop.flag)
                if stop.everything:
                    stopped_all = stop.flag
            finally:
                self.stack.clear()
                self.pending = 0
        report = Report(
            [
                RootSizes(
                    self.deep[i],
                    max(0, self.retained[i]),
                    self.objects[i],
                    self.partial[i],
                    self.flags[i],
                )
                for i in range(count)
            ],
            objects=sum(self.objects),
            elapsed_s=time.perf_counter() - started,
            walker_peak_bytes=self.peak_bytes,
            capped=self.capped,
        )
        return report

    def _root_deadline(self, index: int) -> float | None:
        deadline = self.deadline
        if deadline is None:
            return None
        now = time.perf_counter()
        weights = self.shares[index:]
        total = sum(weights)
        if total <= 0 or weights[0] <= 0:
            return deadline
        return now + max(0.0, deadline - now) * weights[0] / total

    def _check(self) -> None:
        """Between batches: the memory cap, the time budget, a stop request, a pause."""
        used = self.owners.bytes_used() + 8 * self.pending
        used += 8 * len(self.stack) + 200 * len(self.resources) + _BATCH_BYTES * self.batch
        if used > self.peak_bytes:
            self.peak_bytes = used
        if used > self.cap_bytes:
            self.capped = True
            raise _Stop(CAPPED, everything=True)
        now = time.perf_counter()
        if self.deadline is not None and now > self.deadline:
            raise _Stop(BUDGET, everything=True)
        if self.root_deadline is not None and now > self.root_deadline:
            raise _Stop(BUDGET, everything=False)
        if self.should_stop is not None and self.should_stop():
            raise _Stop(INTERRUPTED, everything=True)
        if self.pause_every_s is not None and now - self.last_pause > self.pause_every_s:
            time.sleep(_PAUSE_S)
            self.last_pause = time.perf_counter()

    def _walk_root(self, index: int) -> None:
        stack = self.stack
        self.index = index
        self.own = own = self.own_tags[index]
        self.mine = mine = self.shared_tags[index]
        # Met first: this root's own; met by another root before: shared, this root last.
        translate = [mine] * (own + 2)
        translate[_UNSEEN_TAG] = translate[own] = own
        translate[_SKIP_TAG] = _SKIP_TAG
        translate[_FENCE_TAG] = _FENCE_TAG
        self.translate = translate
        flags = self.flags[index]
        self._discover(list(self.roots[index]), index, 0)
        get_referents = gc.get_referents
        deepest = 0
        while stack:
            self._check()
            source, context, level, bits = stack.pop()
            if level > deepest:
                deepest = level
                if deepest > DEEP_NESTING_LEVELS:
                    flags.add(DEEP_NESTING)
            if bits == _IS_CURSOR:
                cursor: _Cursor = source  # type: ignore[assignment]
                try:
                    chunk = next(cursor, None)
                except RuntimeError:  # a dict, set or deque changed size
                    flags.add(MUTATED)
                    continue
                if chunk is not None:
                    stack.append((cursor, context, level, _IS_CURSOR))
                    self._discover(chunk, context, level + 1)
                continue
            parents: _Batch = source  # type: ignore[assignment]
            parent_count = len(parents)
            self.pending -= parent_count
            if bits == _UNKNOWN:
                bits = self.kinds_of(parents)
            keys: list[object] = []
            if bits & _WALK_SPECIAL:
                referents, keys = self._special_referents(parents)
            else:
                referents = get_referents(*parents)
            del parents, source
            columns = _columns(referents, parent_count) if referents else []
            del referents
            # A key the gc also reports (not a str) is in both lists: with both alive
            # it looks shared in each, and is claimed, hence counted, once.
            if keys:
                self._discover(keys, context, level + 1)
            for column in columns:
                self._discover(column, context, level + 1)
            del keys, columns

    def _special_referents(self, parents: _Batch) -> tuple[list[object], list[object]]:
        """Referents of parents among which are dicts, numpy arrays or functions; for
        parents that are all dicts, their values and (apart) their keys."""
        kind = self.kind
        if all(
            kind(of) & (_K_DICT | _K_FUNCTION | _K_ARRAY) == _K_DICT
            for of in set(map(type, parents))
        ):  # dicts only: their keys in C, without a loop per dict
            referents = gc.get_referents(*parents)
            keys = list(itertools.chain.from_iterable(map(_DICT_KEYS, parents)))
            if len(keys) > len(parents):  # records: the same keys, over and over
                keys = _distinct(keys, len(parents))
            return referents, keys
        plain: list[object] = []
        extra: list[object] = []
        for parent in parents:
            bits = kind(type(parent))
            if bits & _K_FUNCTION:
                for part in (
                    _FUNC_CLOSURE(parent),
                    _FUNC_DEFAULTS(parent),
                    _FUNC_KWDEFAULTS(parent),
                ):
                    if part is not None:
                        extra.append(part)
                continue
            plain.append(parent)
            if bits & _K_DICT:
                extra.extend(_dict_keys(parent))
            elif bits & _K_ARRAY:
                self._array_parts(parent, extra)
        referents = gc.get_referents(*plain)
        del plain
        referents += extra
        return referents, []

    def _array_parts(self, array: object, extra: list[object]) -> None:
        """A numpy array's base and, for object arrays, its items (small arrays: big
        object arrays are read in chunks by a cursor)."""
        libraries = self.libraries
        try:
            base = libraries.array_base(array)  # type: ignore[misc]
            if base is not None:
                extra.append(base)  # a view: its items are its owner's
            elif getattr(libraries.array_dtype(array), "kind", "") == "O":  # type: ignore[misc]
                extra.extend(libraries.array_ravel(array, "K"))  # type: ignore[misc]
        except Exception:
            pass

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
        present = set(map(type, found))
        kind = self.kind
        bits = 0
        for of in present:
            bits |= kind(of)
        if len(present) == 1 and bits & _K_SKIP:
            return  # e.g. the class of each of a batch of instances
        unique: list[object]
        anchors: list[object]
        if _UNIQUE:
            counts = list(map(sys.getrefcount, found))
            singles = counts.count(_UNIQUE)
            if singles == len(found):
                unique, anchors = found, []
            elif singles == 0:
                unique, anchors = [], found
            else:
                unique = list(itertools.compress(found, map(_UNIQUE.__eq__, counts)))
                anchors = list(itertools.compress(found, map(_UNIQUE.__ne__, counts)))
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
            for previous, objects in moved.items():
                self._count(objects, bits, previous, level, anchors=True)

    def _claim(self, anchors: list[object]) -> tuple[list[object], dict[int, list[object]]]:
        """Split shared-looking objects into those no root reached before (claimed for this
        one) and, by their context, those other roots reached before; drop the rest."""
        fresh, changed, old_tags, tags = self.owners.claim(anchors, self.translate)
        if self.fence and _FENCE_TAG in tags:
            self.flags[self.index].add(FENCED)
        del tags
        moved: dict[int, list[object]] = {}
        for obj, tag in zip(changed, old_tags):
            moved.setdefault(_root_of(tag), []).append(obj)
        return fresh, moved

    def _count(
        self,
        objects: list[object],
        bits: int,
        context: int,
        level: int,
        *,
        anchors: bool = False,
        present: set[type] | None = None,
    ) -> None:
        """Add ``objects`` (none yet counted by this root's walk) to the sizes; push them.

        ``context``: this root (they are new), another root (that root reached them
        before, alone) or -1 (several roots did).
        """
        index = self.index
        total = 0
        careful: list[object] = []
        walk_bits = _UNKNOWN
        fixed: int | None = None
        if bits & (_DISCOVER_SPECIAL | _K_MANAGED | _K_FIXED):
            if present is None:
                present = set(map(type, objects))
            kind = self.kind
            bits = 0
            for of in present:
                bits |= kind(of)
            walk_bits = bits
            if bits & _DISCOVER_SPECIAL:
                objects, careful, total = self._special_sizes(objects, anchors=anchors)
                objects.extend(careful)  # sized already; walked like the rest
                walk_bits = _UNKNOWN
            elif bits & _K_FIXED:
                fixed = self._fixed_sizes(objects, present)
            if bits & _K_MANAGED and fixed is None:
                total += self._managed_sizes(objects)
        counted = len(objects)
        if fixed is not None:
            total += fixed
        elif careful:
            fast = objects[: len(objects) - len(careful)]
            total += self._sizes(fast, context, level) if fast else 0
            objects = fast + careful
        else:
            total += self._sizes(objects, context, level, present)
        if bits & _K_INT:
            if present is not None and len(present) == 1:  # all ints
                total += _INT_PADDING * _allocated_ints(objects, context)
            elif context >= 0:
                total += _INT_PADDING * list(map(type, objects)).count(int)
            else:  # may hold CPython's small ints, which are not allocated
                total += _INT_PADDING * sum(
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
        if bits & _K_WALK and objects:
            self._push(objects, context, level, walk_bits)

    def _push(self, objects: list[object], context: int, level: int, bits: int) -> None:
        stack = self.stack
        if len(objects) <= _CHUNK:
            stack.append((objects, context, level, bits))
        else:
            for start in range(0, len(objects), _CHUNK):
                stack.append((objects[start : start + _CHUNK], context, level, bits))
        self.pending += len(objects)

    def _sizes(
        self, objects: list[object], context: int, level: int, present: set[type] | None = None
    ) -> int:
        """The summed ``getsizeof`` of ``objects``. Huge containers among them leave the
        list (it is changed in place) and are read in chunks by cursors instead.

        ``present``: the types of ``objects``, if known. When that is one builtin type,
        its own ``__sizeof__`` is mapped directly, without ``getsizeof``'s lookup."""
        try:
            sizer = _SIZERS.get(next(iter(present))) if present and len(present) == 1 else None
            if sizer is None:
                sizes = list(map(sys.getsizeof, objects))
                total = sum(sizes)
            else:
                sizes = list(map(sizer[0], objects))
                total = sum(sizes) + sizer[1] * len(sizes)
        except Exception:
            return self._careful_sizes(objects, context, level)
        if total > _ABSURD:
            return self._careful_sizes(objects, context, level)
        if total > _BIG_BYTES and max(sizes) > _BIG_BYTES:
            self._chunk_big(objects, sizes, context, level)
        return total

    def _careful_sizes(self, objects: list[object], context: int, level: int) -> int:
        """Sizes one object at a time, replacing and flagging hostile ``__sizeof__``s."""
        sizes = [self._careful_size(obj) for obj in objects]
        total = sum(sizes)
        if total > _BIG_BYTES and max(sizes) > _BIG_BYTES:
            self._chunk_big(objects, sizes, context, level)
        return total

    def _careful_size(self, obj: object) -> int:
        flags = self.flags[self.index]
        try:
            size = sys.getsizeof(obj)
        except ValueError as error:
            flags.add(SIZEOF_NEGATIVE if ">= 0" in _message(error) else SIZEOF_RAISED)
            return _basic_size(obj)
        except OverflowError:
            flags.add(SIZEOF_ABSURD)
            return _basic_size(obj)
        except Exception:
            flags.add(SIZEOF_RAISED)
            return _basic_size(obj)
        if size > _ABSURD:
            flags.add(SIZEOF_ABSURD)
            return _basic_size(obj)
        return size

    def _chunk_big(self, objects: list[object], sizes: list[int], context: int, level: int) -> None:
        """Move huge containers out of ``objects`` onto the stack as cursors."""
        kind = self.kind
        keep: list[object] = []
        moved = False
        for obj, size in zip(objects, sizes):
            if size > _BIG_BYTES and kind(type(obj)) & _K_CONTAINER:
                cursor = self._cursor(obj)
                if cursor is not None:
                    self.stack.append((cursor, context, level, _IS_CURSOR))
                    moved = True
                    continue
            keep.append(obj)
        if moved:
            objects[:] = keep

    def _cursor(self, container: object) -> _Cursor | None:
        """Chunks of what a huge container holds, as fresh lists (None: walk it whole).

        Only the builtin containers' own C methods are called, whatever the subclass.
        """
        items: Iterator[object]
        if isinstance(container, list):
            return _slices(list.__getitem__, container, list.__len__(container))
        if isinstance(container, tuple):
            return _slices(tuple.__getitem__, container, tuple.__len__(container))
        if isinstance(container, dict):
            items = itertools.chain(dict.values(container), dict.keys(container))
        elif isinstance(container, (set, frozenset)):
            items = iter(container)
        elif self.libraries.ndarray is not None and isinstance(container, self.libraries.ndarray):
            libraries = self.libraries
            try:
                base = libraries.array_base(container)  # type: ignore[misc]
                if base is not None:
                    return None  # a view: walked whole, it leads to its owner
                if getattr(libraries.array_dtype(container), "kind", "") != "O":  # type: ignore[misc]
                    return None
                flat = libraries.array_ravel(container, "K")  # type: ignore[misc]
            except Exception:
                return None
            items = iter(flat)
        else:
            deque = sys.modules.get("collections")
            deque_type = getattr(deque, "deque", None)
            if not (isinstance(deque_type, type) and isinstance(container, deque_type)):
                return None
            items = iter(_deque_iter(deque_type, container))
        return _chunks(items)

    # -- objects that need care -------------------------------------------------------------

    def _special_sizes(
        self, objects: list[object], *, anchors: bool
    ) -> tuple[list[object], list[object], int]:
        """Drop what is not data; size one by one what needs care.

        Returns the objects for ``getsizeof``, those sized here, and the bytes of the
        latter (native buffers are added to the sizes directly, by ownership).
        """
        kind = self.kind
        keep: list[object] = []
        careful: list[object] = []
        total = 0
        for obj in objects:
            bits = kind(type(obj))
            if not bits & _DISCOVER_SPECIAL:
                keep.append(obj)
            elif bits & _K_SKIP or (bits & _K_FUNCTION and not _FUNC_CLOSURE(obj)):
                if anchors:
                    self.owners.mark(obj, _SKIP_TAG)
            elif bits & _K_ARRAY and not self._owns_shareable_buffer(obj):
                keep.append(obj)  # a view, or an object array (pointers, read in chunks)
            elif bits & (_K_OWN_SIZE | _K_RESOURCE):
                total += self._array_header(obj) if bits & _K_ARRAY else _basic_size(obj)
                if bits & _K_RESOURCE:
                    self._resources(obj)
                careful.append(obj)
            else:
                keep.append(obj)
        return keep, careful, total

    def _owns_shareable_buffer(self, array: object) -> bool:
        """Whether a numpy array owns a buffer of plain data, of :data:`_SHARED_BUFFER`
        bytes or more, that torch or pyarrow may share (counted by address then, like
        theirs; reading an array's address costs ~4 us, too much for many small ones)."""
        libraries = self.libraries
        try:
            return (
                libraries.array_base(array) is None  # type: ignore[misc]
                and int(libraries.array_nbytes(array)) >= _SHARED_BUFFER  # type: ignore[misc]
                and getattr(libraries.array_dtype(array), "kind", "O") != "O"  # type: ignore[misc]
            )
        except Exception:
            return False

    def _array_header(self, array: object) -> int:
        """A buffer-owning numpy array's size without its buffer (counted by address)."""
        try:
            return self._careful_size(array) - int(self.libraries.array_nbytes(array))  # type: ignore[misc]
        except Exception:
            return _basic_size(array)

    def _fixed_sizes(self, objects: list[object], present: set[type]) -> int | None:
        """The summed sizes of ``objects`` if all their types (``present``) are of fixed
        size (getsizeof plus attribute-value estimate, read once per type); else None."""
        kind = self.kind
        sizes = self.fixed_sizes
        for of in present:
            if not kind(of) & _K_FIXED:
                return None
            if of not in sizes:
                sample = next(obj for obj in objects if type(obj) is of)
                try:
                    size = sys.getsizeof(sample)
                except Exception:
                    size = -1
                if not 0 <= size <= _ABSURD:
                    self.kinds[of] = kind(of) & ~_K_FIXED
                    return None
                if kind(of) & _K_MANAGED:
                    size += self._values_bytes(of, sample)
                sizes[of] = size
        if len(present) == 1:
            return len(objects) * sizes[next(iter(present))]
        return sum(sizes[of] * count for of, count in _counter(map(type, objects)).items())

    def _values_bytes(self, of: type, sample: object) -> int:
        size = self.values_bytes.get(of)
        if size is None:
            size = self.values_bytes[of] = _values_size(sample)
        return size

    def _managed_sizes(self, objects: list[object]) -> int:
        """Estimated bytes of the attribute-value arrays of instances among ``objects``."""
        total = 0
        kind = self.kind
        for of, count in _counter(map(type, objects)).items():
            if not kind(of) & _K_MANAGED:
                continue
            size = self.values_bytes.get(of)
            if size is None:
                sample = next(obj for obj in objects if type(obj) is of)
                size = self.values_bytes[of] = _values_size(sample)
            total += count * size
        return total

    def _resources(self, obj: object) -> None:
        """Native buffers (torch storages, pyarrow buffers) of ``obj`` not yet counted
        by this root's walk: counted in its deep size, in a retained size by ownership."""
        index = self.index
        resources = self.resources
        own, mine = self.own, self.mine
        for key, size in _buffers(obj, self.libraries):
            tag = resources.get(key)
            if tag == own or tag == mine:
                continue
            if tag is None:
                resources[key] = own
                self.retained[index] += size
            else:
                resources[key] = mine
                if _root_of(tag) >= 0:
                    self.retained[_root_of(tag)] -= size
            self.deep[index] += size


_SHARED_BUFFER = 1 << 20
"""Smallest numpy buffer counted by address, in case torch or pyarrow shares it."""

_PAUSE_S = 0.0005
"""How long a walk on a background thread sleeps after each stretch of work."""


_DICT_KEYS: Callable[[Any], Any] = dict.keys


def _sizer(kind: type) -> tuple[Callable[[Any], int], int]:
    extra = _GC_HEADER if _TYPE_FLAGS(kind) & _Py_TPFLAGS_HAVE_GC else 0
    sizeof: Callable[[Any], int] = getattr(kind, "__sizeof__")  # noqa: B009 (typed)
    return sizeof, extra


_SIZERS: dict[type, tuple[Callable[[Any], int], int]] = {
    kind: _sizer(kind)
    for kind in (int, str, bytes, bytearray, tuple, list, dict, set, frozenset, complex)
}
"""Builtin types by their own ``__sizeof__`` and the GC header ``getsizeof`` adds: for a
batch of one exact builtin type, ``map(str.__sizeof__, ...)`` is ~4x faster than
``map(sys.getsizeof, ...)`` (no method lookup and no bound method per object)."""

_MIN_COLUMNS_PARENTS = 256
"""Fewest parents whose referents are split into columns (see :func:`_columns`)."""

_MAX_COLUMNS = 16


def _columns(referents: list[object], parents: int) -> list[list[object]]:
    """``referents`` in sub-batches (taken over): when each of many parents seems to have the
    same number ``k`` of referents (records, instances of one class, pairs), the ``k``
    columns ``referents[j::k]``, most of which then hold one type each -- the class of
    every instance, every record's ``id``... -- for the single-type fast paths. Any split
    is correct (each object is in exactly one sub-batch); a good one is just faster."""
    count = len(referents)
    width = count // parents if parents else 0
    if parents < _MIN_COLUMNS_PARENTS or not 2 <= width <= _MAX_COLUMNS or width * parents != count:
        return [referents]
    columns = [referents[j::width] for j in range(width)]
    referents.clear()  # one reference per object, from its column: see _discover
    return columns


def _distinct(keys: list[object], parents: int) -> list[object]:
    """``keys`` (the keys of ``parents`` dicts, in order) each once, by identity. Records
    have the same key objects at the same places: a column of one object is found with
    an identity test per key, cheaper than de-duplicating by ``id``."""
    width = len(keys) // parents
    if width * parents == len(keys) and width <= _MAX_COLUMNS:
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


def _allocated_ints(ints: list[Any], context: int) -> int:
    """How many of ``ints`` (exact ints) are allocated, not CPython's small-int cache."""
    if context >= 0:  # held by one parent alone: not cached
        return len(ints)
    return len(ints) - sum(map((-5).__le__, ints)) + sum(map((256).__lt__, ints))


def _dict_keys(mapping: Any) -> Any:
    return dict.keys(mapping)


def _deque_iter(deque_type: Any, container: Any) -> Any:
    return deque_type.__iter__(container)


def _message(error: BaseException) -> str:
    try:
        return str(error)
    except Exception:
        return ""


def _counter(items: Iterable[type]) -> dict[type, int]:
    return collections.Counter(items)  # counted in C


def _values_size(sample: object) -> int:
    """The estimated attribute-value array of instances like ``sample`` (see
    :func:`_values_array_size`); 0 if its attributes live in a real dict."""
    of = type(sample)
    values = [value for value in gc.get_referents(sample) if value is not of]
    if len(values) == 1 and type(values[0]) is dict:
        return 0
    return _values_array_size(len(values))


def _slices(getitem: Callable[[Any, slice], Any], container: object, length: int) -> _Cursor:
    for start in range(0, length, _CHUNK):
        yield list(getitem(container, slice(start, start + _CHUNK)))


def _chunks(items: Iterator[object]) -> _Cursor:
    while True:
        chunk = list(itertools.islice(items, _CHUNK))
        if not chunk:
            return
        yield chunk


def _buffers(obj: object, libraries: _Libraries) -> list[tuple[tuple[str, int], int]]:
    """``(("cpu", address), bytes)`` of the native buffers behind a buffer-owning numpy
    array, a torch tensor (its storage, a sparse one's index and value tensors, its
    gradient's; in CPU memory only) or a pyarrow array (a dictionary array's dictionary
    too), chunked array, table, record batch or buffer: keyed by address alone, so that a
    buffer two libraries share (``torch.from_numpy``, zero-copy arrow) counts once.
    Members are read through the libraries' own descriptors, with subclasses'
    ``__torch_function__`` off: no code of a subclass runs. Never raises."""
    found: list[tuple[tuple[str, int], int]] = []
    ndarray = libraries.ndarray
    if ndarray is not None and issubclass(type(obj), ndarray):
        try:
            address = libraries.array_interface(obj)["data"][0]  # type: ignore[misc]
            found.append((("cpu", int(address)), int(libraries.array_nbytes(obj))))  # type: ignore[misc]
        except Exception:
            pass
        return found
    pending: list[Any] = [obj]
    tensor_type = libraries.tensor
    read: dict[str, Callable[[Any], Any]]
    if tensor_type is not None and issubclass(type(obj), tensor_type):
        read = libraries.torch
        quiet = libraries.torch_quiet
        if not read or quiet is None:
            return found
        try:
            with quiet():
                for _ in range(16):  # the tensor, its parts, its gradient's...
                    if not pending:
                        break
                    tensor = pending.pop()
                    if not issubclass(type(tensor), tensor_type):
                        continue
                    try:
                        if read["is_leaf"](tensor) or read["retains_grad"](tensor):
                            grad = read["grad"](tensor)  # (which warns on other tensors)
                            if grad is not None:
                                pending.append(grad)
                        if read["device"](tensor).type != "cpu":
                            continue
                        parts = libraries.torch_layouts.get(read["layout"](tensor))
                        if parts is not None:
                            pending.extend(read[part](tensor)() for part in parts)
                            continue
                        storage = read["untyped_storage"](tensor)()
                        found.append((("cpu", int(storage.data_ptr())), int(storage.nbytes())))
                    except Exception:
                        continue
        except Exception:
            pass
        return found
    reads = libraries.arrow_reads
    try:
        while pending:
            item = pending.pop()
            kind = type(item)
            entry = next((entry for entry in reads if issubclass(kind, entry[0])), None)
            if entry is None:
                continue
            _, name, read = entry
            if name == "Buffer":
                is_cpu = read.get("is_cpu")
                if is_cpu is None or is_cpu(item):
                    found.append((("cpu", int(read["address"](item))), int(read["size"](item))))
            elif name == "ChunkedArray":
                pending.extend(read["chunks"](item))
            elif name in ("Table", "RecordBatch"):
                pending.extend(read["columns"](item))
            else:
                pending.extend(read["buffers"](item)())
                if name == "DictionaryArray":  # read from a copy: the getter caches it
                    pending.append(read["dictionary"](read["slice"](item)(0)))
    except Exception:
        pass
    return found
