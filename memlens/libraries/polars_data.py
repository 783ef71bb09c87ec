"""polars DataFrames and Series: the Arrow buffers behind them, by address.

polars keeps its data in Arrow buffers allocated by its own allocator, which neither
``getsizeof`` nor tracemalloc sees. The buffers are read through polars' compiled classes
(``polars._plr.PyDataFrame``/``PySeries``, never a Python-level method a subclass could
override): ``PyDataFrame.get_columns`` gives the columns, ``PySeries.get_chunks`` the
chunks, and ``PySeries._export_arrow_to_c`` fills an Arrow C Data Interface struct (the
ABI is a published standard) with each buffer's address, zero-copy; the struct is
released at once. A buffer's size follows from the format, length and offset (a
string view's data buffers' sizes are in the struct). Frames that share a column after
``select``, ``clone`` or ``with_columns`` share its buffers: same address, counted once.

ctypes is the standard library's; memlens imports it only once polars is imported.
"""

from __future__ import annotations

import sys
from typing import Any, Callable

from .lookup import TYPE_DICT, Buffer, library_module

_FIXED_WIDTH = {
    "c": 1,
    "C": 1,
    "s": 2,
    "S": 2,
    "e": 2,
    "i": 4,
    "I": 4,
    "f": 4,
    "l": 8,
    "L": 8,
    "g": 8,
    "tdD": 4,
    "tdm": 8,
    "tts": 4,
    "ttm": 4,
    "ttu": 8,
    "ttn": 8,
    "tiM": 4,
    "tiD": 8,
    "tin": 16,
}
"""Bytes per value of the Arrow formats of fixed width (timestamps and durations: 8)."""

MOST_NESTING = 64
"""Deepest nesting of list and struct columns followed (deeper: left out)."""


def _width(form: str) -> int | None:
    if form in _FIXED_WIDTH:
        return _FIXED_WIDTH[form]
    if form.startswith(("ts", "tD")):
        return 8
    if form.startswith("d:"):
        bits = form.split(",")
        return int(bits[2]) // 8 if len(bits) > 2 else 16
    if form.startswith("w:"):
        return int(form[2:])
    return None


class _Structs:
    """The Arrow C Data Interface structs, made with ctypes once polars is imported."""

    def __init__(self) -> None:
        import ctypes

        self.ctypes = ctypes

        class ArrowSchema(ctypes.Structure):
            pass

        ArrowSchema._fields_ = [
            ("format", ctypes.c_char_p),
            ("name", ctypes.c_char_p),
            ("metadata", ctypes.c_char_p),
            ("flags", ctypes.c_int64),
            ("n_children", ctypes.c_int64),
            ("children", ctypes.POINTER(ctypes.POINTER(ArrowSchema))),
            ("dictionary", ctypes.POINTER(ArrowSchema)),
            ("release", ctypes.c_void_p),
            ("private_data", ctypes.c_void_p),
        ]

        class ArrowArray(ctypes.Structure):
            pass

        ArrowArray._fields_ = [
            ("length", ctypes.c_int64),
            ("null_count", ctypes.c_int64),
            ("offset", ctypes.c_int64),
            ("n_buffers", ctypes.c_int64),
            ("n_children", ctypes.c_int64),
            ("buffers", ctypes.POINTER(ctypes.c_void_p)),
            ("children", ctypes.POINTER(ctypes.POINTER(ArrowArray))),
            ("dictionary", ctypes.POINTER(ArrowArray)),
            ("release", ctypes.c_void_p),
            ("private_data", ctypes.c_void_p),
        ]
        self.ArrowSchema = ArrowSchema
        self.ArrowArray = ArrowArray
        self.release_array = ctypes.CFUNCTYPE(None, ctypes.POINTER(ArrowArray))
        self.release_schema = ctypes.CFUNCTYPE(None, ctypes.POINTER(ArrowSchema))
        self.int64s = ctypes.POINTER(ctypes.c_int64)
        self.int32s = ctypes.POINTER(ctypes.c_int32)


class PolarsData:
    """polars' compiled classes (of the polars the user imported) and their readers."""

    def __init__(self, frame: type, series: type, lazy: type | None) -> None:
        self.frame = frame
        self.series = series
        self.lazy = lazy
        self._columns: Callable[[Any], Any] = TYPE_DICT(frame)["get_columns"]
        self._chunks: Callable[[Any], Any] = TYPE_DICT(series)["get_chunks"]
        self._export: Callable[[Any, int, int], Any] = TYPE_DICT(series)["_export_arrow_to_c"]
        self._structs: _Structs | None = None

    def is_data_type(self, kind: type) -> bool:
        """Objects of ``kind`` hold Arrow buffers (a frame's or a series' compiled core)."""
        return issubclass(kind, (self.frame, self.series))

    def is_lazy_type(self, kind: type) -> bool:
        """Objects of ``kind`` are query plans (``LazyFrame``'s compiled core)."""
        return self.lazy is not None and issubclass(kind, self.lazy)

    def buffers(self, obj: object) -> list[Buffer]:
        """The buffers of a ``PyDataFrame``'s columns or of a ``PySeries``. Never raises."""
        found: dict[int, int] = {}
        try:
            columns = self._columns(obj) if issubclass(type(obj), self.frame) else [obj]
            for column in columns:
                for chunk in self._chunks(column):
                    core = _core(chunk, self.series)
                    if core is not None:
                        self._chunk_buffers(core, found)
        except Exception:
            pass
        return [(("cpu", address), size) for address, size in found.items()]

    def _chunk_buffers(self, core: object, found: dict[int, int]) -> None:
        if self._structs is None:
            self._structs = _Structs()
        structs = self._structs
        ctypes = structs.ctypes
        array = structs.ArrowArray()
        schema = structs.ArrowSchema()
        self._export(core, ctypes.addressof(array), ctypes.addressof(schema))
        try:
            _read(structs, array, schema, found, 0)
        finally:
            if array.release:
                structs.release_array(array.release)(ctypes.byref(array))
            if schema.release:
                structs.release_schema(schema.release)(ctypes.byref(schema))


def _core(chunk: object, series: type) -> object | None:
    """The ``PySeries`` of a chunk (``get_chunks`` gives polars ``Series`` wrappers)."""
    if issubclass(type(chunk), series):
        return chunk
    try:
        namespace = object.__getattribute__(chunk, "__dict__")
    except Exception:
        return None
    core = namespace.get("_s") if type(namespace) is dict else None
    return core if core is not None and issubclass(type(core), series) else None


def _add(found: dict[int, int], address: int | None, size: int) -> None:
    if address and size > 0 and size > found.get(address, 0):
        found[address] = size  # slices of one buffer: the largest reach of it


def _read(structs: _Structs, array: Any, schema: Any, found: dict[int, int], depth: int) -> None:
    """Add the buffers of one exported array (and its children, dictionary) to ``found``."""
    if depth > MOST_NESTING:
        return
    form = (schema.format or b"").decode("ascii", "replace")
    span = int(array.length) + int(array.offset)
    buffers = array.buffers
    count = int(array.n_buffers)
    addresses = [buffers[i] for i in range(count)]
    if count and addresses[0]:
        _add(found, addresses[0], (span + 7) // 8)  # validity bitmap
    width = _width(form)
    if form == "b" and count > 1:
        _add(found, addresses[1], (span + 7) // 8)
    elif width is not None and count > 1:
        _add(found, addresses[1], span * width)
    elif form in ("u", "z", "U", "Z") and count > 2:
        offsets = structs.int32s if form in ("u", "z") else structs.int64s
        step = 4 if form in ("u", "z") else 8
        _add(found, addresses[1], (span + 1) * step)
        if addresses[1]:
            end = structs.ctypes.cast(addresses[1], offsets)[span]
            _add(found, addresses[2], int(end))
    elif form in ("vu", "vz") and count >= 3:
        _add(found, addresses[1], span * 16)
        variadic = count - 3  # the last buffer: the sizes of the data buffers (export's own)
        sizes = structs.ctypes.cast(addresses[-1], structs.int64s) if addresses[-1] else None
        for index in range(variadic):
            if sizes is not None:
                _add(found, addresses[2 + index], int(sizes[index]))
    elif form in ("+l", "+L", "+m") and count > 1:
        _add(found, addresses[1], (span + 1) * (4 if form != "+L" else 8))
    for index in range(int(array.n_children)):
        _read(structs, array.children[index][0], schema.children[index][0], found, depth + 1)
    if array.dictionary and schema.dictionary:
        _read(structs, array.dictionary[0], schema.dictionary[0], found, depth + 1)


_cached: list[tuple[object, PolarsData | None]] = []


def polars_data() -> PolarsData | None:
    """The readers for the polars in ``sys.modules``; None when it is not imported (or
    its compiled classes are not where this version expects them)."""
    if "polars" not in sys.modules:
        return None
    core = library_module("polars._plr")
    frame, series = core.get("PyDataFrame"), core.get("PySeries")
    if _cached and _cached[0][0] is series:
        return _cached[0][1]
    found: PolarsData | None = None
    if isinstance(frame, type) and isinstance(series, type):
        lazy = core.get("PyLazyFrame")
        try:
            found = PolarsData(frame, series, lazy if isinstance(lazy, type) else None)
        except (KeyError, TypeError):
            found = None
    _cached[:] = [(series, found)]
    return found
