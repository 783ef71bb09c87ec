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
        """:attr:`ArrayLayout.holds_objects` alone."""
        return bool(self._dtype(array).kind == "O")

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
        """The items in memory order, as a one-dimensional array (a view where it can)."""
        return self._ravel(array, "K")

    def first_axis_item(self, array: object, index: int) -> object:
        """``array[index]`` by ndarray's own ``__getitem__``."""
        return self._getitem(array, index)

    def object_items(self, array: object) -> list[object]:
        """The Python objects an object array of one dimension holds ([] otherwise)."""
        layout = self.layout(array)
        if not layout.holds_objects or self.ndim(array) != 1:
            return []
        return list(self._ravel(array, "C"))


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
