"""numpy arrays, read through ``numpy.ndarray``'s own descriptors.

A view (an array with a ``base``) leads to the array that owns its buffer; an object
array (dtype kind ``"O"``) holds pointers to Python objects, its items.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

from .lookup import TYPE_DICT, library_class


class ArrayLayout(NamedTuple):
    """What a numpy array refers to: the one answer to "view or object array?"."""

    base: object
    """The array (or other object) whose buffer a view uses; None when it owns its own."""
    holds_objects: bool
    """Its items are Python objects (dtype kind ``"O"``)."""


class NumpyArrays:
    """Readers of the members of ``numpy.ndarray`` (of the numpy the user imported)."""

    def __init__(self, ndarray: type) -> None:
        members = TYPE_DICT(ndarray)
        self.ndarray = ndarray
        self._base: Callable[[Any], Any] = members["base"].__get__
        self._dtype: Callable[[Any], Any] = members["dtype"].__get__
        self._nbytes: Callable[[Any], Any] = members["nbytes"].__get__
        self._shape: Callable[[Any], Any] = members["shape"].__get__
        self._ndim: Callable[[Any], Any] = members["ndim"].__get__
        self._interface: Callable[[Any], Any] = members["__array_interface__"].__get__
        self._ravel: Callable[..., Any] = members["ravel"]
        self._view: Callable[..., Any] = members["view"]
        self._tolist: Callable[[Any], Any] = members["tolist"]
        self._getitem: Callable[[Any, Any], Any] = members["__getitem__"]

    def is_array(self, obj: object) -> bool:
        return issubclass(type(obj), self.ndarray)

    def layout(self, array: object) -> ArrayLayout:
        """Whether ``array`` is a view (of what) and whether it holds Python objects."""
        return ArrayLayout(self._base(array), self.holds_objects(array))

    def base(self, array: object) -> object:
        """:attr:`ArrayLayout.base` alone (for the walk, which needs speed)."""
        return self._base(array)

    def holds_objects(self, array: object) -> bool:
        """:attr:`ArrayLayout.holds_objects` alone: an object array, or a structured array
        with an object field (``df.to_records()``: ``dtype.hasobject``)."""
        dtype = self._dtype(array)
        kind = dtype.kind  # a StringDType ("T") says hasobject too: its arena is not objects
        return kind == "O" or (kind == "V" and bool(dtype.hasobject))

    def nbytes(self, array: object) -> int:
        """Bytes of the array's items (of its buffer, when it owns one)."""
        return int(self._nbytes(array))

    def address(self, array: object) -> int:
        """Address of the array's first item in memory."""
        return int(self._interface(array)["data"][0])

    def shape(self, array: object) -> tuple[int, ...]:
        return tuple(self._shape(array))

    def ndim(self, array: object) -> int:
        return int(self._ndim(array))

    def dtype_name(self, array: object) -> str:
        return str(self._dtype(array))

    def flat_items(self, array: object) -> Any:
        """The Python objects an array holds: an object array's items in memory order, as a
        one-dimensional array (a view where it can); a structured array's object fields'
        items, field after field (read from a plain-``ndarray`` view, so that no
        subclass's ``__array_finalize__`` or ``__getitem__`` runs)."""
        dtype = self._dtype(array)
        if dtype.kind == "O":
            return self._ravel(array, "K")
        return self._field_objects(self._view(array, self.ndarray), dtype)

    def _field_objects(self, plain: Any, dtype: Any) -> list[object]:
        found: list[object] = []
        fields = dtype.fields
        if not dtype.hasobject or not fields:
            return found
        for name, entry in fields.items():
            field_dtype = entry[0]
            if not field_dtype.hasobject or type(name) is not str:
                continue
            values = self._getitem(plain, name)
            if field_dtype.kind == "O":
                found.extend(self._ravel(values, "K"))
            else:  # a nested structure, or a subarray of objects
                found.extend(self._field_objects(values, field_dtype))
        return found

    def hidden_bytes(self, array: object) -> int:
        """Bytes an array owns beyond ``nbytes`` that ``getsizeof`` does not count: the
        string arena of a numpy 2 ``StringDType`` array (each string over 15 UTF-8 bytes
        lies there with a 1-byte length prefix, 8 bytes from 256 up). A lower bound of
        the arena: it grows by reallocation, and its spare capacity cannot be read. 0 for
        a view (the owner's arena counts) and any other dtype."""
        if self._dtype(array).kind != "T" or self._base(array) is not None:
            return 0
        total = 0
        flat = self._ravel(array, "K")
        length = len(flat)
        for start in range(0, length, 1 << 14):
            for item in self._tolist(self._getitem(flat, slice(start, start + (1 << 14)))):
                if type(item) is str:
                    size = len(item) if item.isascii() else len(item.encode("utf-8", "replace"))
                    if size > 15:
                        total += size + (1 if size < 256 else 8)
        return total

    def first_axis_item(self, array: object, index: int) -> object:
        """``array[index]`` by ndarray's own ``__getitem__``."""
        return self._getitem(array, index)

    def object_items(self, array: object) -> list[object]:
        """The Python objects an object array of one dimension holds ([] otherwise)."""
        layout = self.layout(array)
        if not layout.holds_objects or self.ndim(array) != 1:
            return []
        return list(self.flat_items(array))


_cached: list[NumpyArrays] = []


def numpy_arrays() -> NumpyArrays | None:
    """The readers for the numpy in ``sys.modules``; None when it is not imported."""
    ndarray = library_class("numpy", "ndarray")
    if ndarray is None:
        return None
    if _cached and _cached[0].ndarray is ndarray:
        return _cached[0]
    try:
        found = NumpyArrays(ndarray)
    except (KeyError, AttributeError):
        return None
    _cached[:] = [found]
    return found
