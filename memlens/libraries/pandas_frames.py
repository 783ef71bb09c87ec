"""pandas DataFrames and Series, read through pandas' own class descriptors.

A DataFrame's columns are its parts: the values of a column are an ndarray (for an
object or numeric column; a numeric one is a view of a block shared with its siblings)
or a pandas extension array.
"""

from __future__ import annotations

import types
from typing import Any, Callable

from .lookup import TYPE_DICT, class_module, defining_class, library_class, readers


def sizes_itself(kind: type) -> bool:
    """Whether ``kind`` inherits pandas' deep ``__sizeof__`` (``PandasObject``'s, written
    in Python, which counts the data too, so a walk that follows the data would count it
    twice). A ``__sizeof__`` compiled in a pandas extension (the Cython ``IndexEngine``'s,
    which counts its hash table and nothing it refers to) is shallow: trusted as is."""
    sizer = defining_class(kind, "__sizeof__")
    if sizer is None or not class_module(sizer).startswith("pandas"):
        return False
    return type(TYPE_DICT(sizer)["__sizeof__"]) is types.FunctionType


class PandasFrames:
    """Readers of DataFrame and Series members (of the pandas the user imported)."""

    def __init__(self, frame: type, series: type | None, index: type | None) -> None:
        self.frame = frame
        self.series = series
        self._frame: dict[str, Callable[[Any], Any]] = readers(
            frame, ("columns", "index", "shape", "iloc")
        )
        self._series = {} if series is None else readers(series, ("shape", "_values"))
        self._index = {} if index is None else readers(index, ("tolist",))

    def is_frame(self, obj: object) -> bool:
        return issubclass(type(obj), self.frame)

    def is_series(self, obj: object) -> bool:
        return self.series is not None and issubclass(type(obj), self.series)

    def shape(self, obj: object) -> tuple[int, ...] | None:
        """The shape of a DataFrame or Series; None for anything else."""
        if self.is_frame(obj):
            return tuple(self._frame["shape"](obj))
        if self.is_series(obj):
            return tuple(self._series["shape"](obj))
        return None

    def column_count(self, frame: object) -> int:
        return int(self._frame["shape"](frame)[1])

    def column_names(self, frame: object) -> list[object]:
        return list(self._index["tolist"](self._frame["columns"](frame))())

    def column_values(self, frame: object, index: int) -> object:
        """The values of column ``index``: an ndarray or a pandas extension array."""
        column = self._frame["iloc"](frame)[:, index]
        return self._series["_values"](column)

    def labels(self, frame: object) -> list[object]:
        """A DataFrame's row index and column index objects."""
        return [self._frame["index"](frame), self._frame["columns"](frame)]


_cached: list[PandasFrames] = []


def pandas_frames() -> PandasFrames | None:
    """The readers for the pandas in ``sys.modules``; None when it is not imported."""
    frame = library_class("pandas", "DataFrame")
    if frame is None:
        return None
    if _cached and _cached[0].frame is frame:
        return _cached[0]
    found = PandasFrames(frame, library_class("pandas", "Series"), library_class("pandas", "Index"))
    _cached[:] = [found]
    return found
