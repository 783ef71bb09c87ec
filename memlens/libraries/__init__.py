"""Everything memlens knows about numpy, pandas, torch, pyarrow and polars, and only here.

The safety rule, for every function of this package:

1. Never import a library. A library counts only when the user imported it: it is looked
   up in ``sys.modules``, and its classes are read from the module's own globals.
2. Never run user code or a subclass's code. Members are read through the library's own
   class (its descriptors and type slots, found along its MRO by :mod:`.lookup`), never
   with ``getattr`` on a user object or on a module object (which could run a
   ``__getattr__``, a property or an override); torch's ``__torch_function__`` of
   subclasses is turned off while tensors are read. What the library's own code does
   when so called is the library's business.

Other modules of memlens (sizing, variables) ask the questions below and never name a
library themselves.
"""

from __future__ import annotations

from typing import Any

from .arrow_data import ArrowData, arrow_data
from .gpu_arrays import GpuArrays, is_device_key
from .gpu_arrays import gpu_arrays as _gpu_arrays
from .lookup import Buffer
from .numpy_arrays import ArrayLayout, NumpyArrays, numpy_arrays
from .pandas_frames import PandasFrames, pandas_frames, sizes_itself
from .plugins import plugged_buffers
from .plugins import registry as sizers
from .polars_data import PolarsData, polars_data
from .torch_tensors import TorchTensors, torch_tensors

__all__ = [
    "SHARED_BUFFER_BYTES",
    "ArrayLayout",
    "ArrowData",
    "Buffer",
    "GpuArrays",
    "Libraries",
    "NumpyArrays",
    "PandasFrames",
    "PolarsData",
    "TorchTensors",
    "arrow_data",
    "column_data",
    "column_shape",
    "is_device_key",
    "numpy_arrays",
    "pandas_frames",
    "polars_data",
    "shape_of",
    "sizers",
    "sizes_itself",
    "torch_tensors",
]

SHARED_BUFFER_BYTES = 1 << 20
"""Smallest numpy buffer counted by address, in case torch or pyarrow shares it (reading
an array's address costs too much to do for many small arrays)."""


class Libraries:
    """The libraries the user has imported, looked up once (for one walk)."""

    def __init__(self) -> None:
        self.numpy = numpy_arrays()
        self.torch = torch_tensors()
        self.arrow = arrow_data()
        self.polars = polars_data()
        self.gpu = _gpu_arrays()
        """CuPy and JAX arrays: their device buffers only (keyed ``cuda:N``)."""
        self.shared_buffers = self.torch is not None or self.arrow is not None
        """numpy, torch and pyarrow can share one buffer (``torch.from_numpy``, zero-copy
        arrow arrays): numpy buffers are then counted by address too."""

    def is_array_type(self, kind: type) -> bool:
        """Objects of ``kind`` are numpy arrays."""
        return self.numpy is not None and issubclass(kind, self.numpy.ndarray)

    def has_native_buffers(self, kind: type) -> bool:
        """Objects of ``kind`` may hold buffers to count once per address (see
        :meth:`buffers`): tensors, pyarrow data, and numpy arrays when they may share."""
        return (
            (self.torch is not None and self.torch.is_tensor_type(kind))
            or (self.arrow is not None and self.arrow.is_arrow_type(kind))
            or (self.shared_buffers and self.is_array_type(kind))
            or (self.polars is not None and self.polars.is_data_type(kind))
            or (self.gpu is not None and self.gpu.is_array_type(kind))
            or sizers.sizer_for(kind) is not None
        )

    def is_lazy_type(self, kind: type) -> bool:
        """Objects of ``kind`` are lazy (a polars query plan): what they hold now is
        sized, never the logical size of what they would compute."""
        return self.polars is not None and self.polars.is_lazy_type(kind)

    def owns_shareable_buffer(self, array: object) -> bool:
        """Whether a numpy array owns a buffer of plain data (not Python objects), of
        :data:`SHARED_BUFFER_BYTES` or more, that torch or pyarrow may share. Never raises."""
        numpy = self.numpy
        if numpy is None:
            return False
        try:
            layout = numpy.layout(array)
            return (
                layout.base is None
                and not layout.holds_objects
                and numpy.nbytes(array) >= SHARED_BUFFER_BYTES
            )
        except Exception:
            return False

    def hidden_bytes(self, objects: list[object]) -> int:
        """Bytes the numpy arrays among ``objects`` own beyond what ``getsizeof`` says (a
        ``StringDType`` array's string arena). Never raises."""
        numpy = self.numpy
        if numpy is None:
            return 0
        total = 0
        ndarray = numpy.ndarray
        for obj in objects:
            if issubclass(type(obj), ndarray):
                try:
                    total += numpy.hidden_bytes(obj)
                except Exception:
                    pass
        return total

    def buffers(self, obj: object) -> list[Buffer]:
        """The native buffers behind a buffer-owning numpy array, a tensor or pyarrow data,
        keyed by address; a CUDA tensor's and CuPy and JAX arrays' on a GPU are keyed by
        device (``cuda:N``, see :func:`is_device_key`): the walk counts those apart from
        host memory. Never raises."""
        kind = type(obj)
        numpy = self.numpy
        if numpy is not None and issubclass(kind, numpy.ndarray):
            try:
                return [(("cpu", numpy.address(obj)), numpy.nbytes(obj))]
            except Exception:
                return []
        if self.torch is not None and self.torch.is_tensor_type(kind):
            return self.torch.buffers(obj)
        if self.polars is not None and self.polars.is_data_type(kind):
            return self.polars.buffers(obj)
        if self.arrow is not None and self.arrow.is_arrow_type(kind):
            return self.arrow.buffers(obj)
        if self.gpu is not None and self.gpu.is_array_type(kind):
            return self.gpu.buffers(obj)
        sizer = sizers.sizer_for(kind)
        return [] if sizer is None else plugged_buffers(sizer, obj)


def shape_of(obj: object) -> str | None:
    """``(1000, 3)`` for numpy arrays and pandas DataFrames and Series; else None."""
    numpy = numpy_arrays()
    if numpy is not None and numpy.is_array(obj):
        return str(numpy.shape(obj))
    pandas = pandas_frames()
    shape = None if pandas is None else pandas.shape(obj)
    return None if shape is None else str(shape)


def column_data(values: object) -> tuple[list[object], int]:
    """What to walk for the values of a DataFrame column, and the bytes of its data to
    count directly: an object column's items and its pointers, a numeric column's bytes
    (its slice of a block the other columns share), an extension array whole."""
    numpy = numpy_arrays()
    if numpy is not None and numpy.is_array(values):
        nbytes = numpy.nbytes(values)
        if numpy.layout(values).holds_objects:
            return list(numpy.flat_items(values)), nbytes
        return [], nbytes
    return [values], 0


def column_shape(values: object) -> str | None:
    """``(4,) float64``: the length and dtype of a column's values; None if unreadable."""
    numpy = numpy_arrays()
    try:
        if numpy is not None and numpy.is_array(values):
            return f"({numpy.shape(values)[0]},) {numpy.dtype_name(values)}"
        array: Any = values  # a pandas extension array
        return f"({len(array)},) {array.dtype}"
    except Exception:
        return None
