"""pyarrow arrays, chunked arrays, tables, record batches and buffers: the native buffers
behind them, read through pyarrow's own class descriptors."""

from __future__ import annotations

from typing import Any, Callable

from .lookup import Buffer, library_module, readers

_CLASSES = (  # a subclass before its base
    ("Buffer", ("address", "size", "is_cpu")),
    ("Table", ("columns",)),
    ("RecordBatch", ("columns",)),
    ("ChunkedArray", ("chunks",)),
    ("DictionaryArray", ("buffers", "slice", "dictionary")),
    ("Array", ("buffers",)),
)


class ArrowData:
    """pyarrow's classes (of the pyarrow the user imported), with readers of their members."""

    def __init__(self, found: list[tuple[type, str, dict[str, Callable[[Any], Any]]]]) -> None:
        self.reads = found
        self.classes: tuple[type, ...] = tuple(klass for klass, _, _ in found)

    def is_arrow_type(self, kind: type) -> bool:
        return issubclass(kind, self.classes)

    def buffers(self, obj: object) -> list[Buffer]:
        """The buffers of an array (a dictionary array's dictionary's too), of the chunks
        of a chunked array, of the columns of a table or record batch; a buffer itself.
        Never raises."""
        found: list[Buffer] = []
        reads = self.reads
        pending: list[Any] = [obj]
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
                        address = int(read["address"](item))
                        found.append((("cpu", address), int(read["size"](item))))
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


_cached: list[tuple[object, ArrowData]] = []


def arrow_data() -> ArrowData | None:
    """The readers for the pyarrow in ``sys.modules``; None when it is not imported."""
    pyarrow = library_module("pyarrow")
    array = pyarrow.get("Array")
    if _cached and _cached[0][0] is array:
        return _cached[0][1]
    found = []
    for name, members in _CLASSES:
        klass = pyarrow.get(name)
        if isinstance(klass, type):
            found.append((klass, name, readers(klass, members)))
    data = ArrowData(found) if found else None
    if data is not None:
        _cached[:] = [(array, data)]
    return data
