"""torch tensors: the native buffers behind them, read through ``torch.Tensor``'s own
descriptors with subclasses' ``__torch_function__`` turned off."""

from __future__ import annotations

from typing import Any, Callable

from .lookup import Buffer, library_module, module_dict, readers

_MEMBERS = (
    *("untyped_storage", "device", "layout", "grad", "is_leaf", "retains_grad"),
    *("_indices", "_values"),
    *("crow_indices", "col_indices", "ccol_indices", "row_indices", "values"),
)

_SPARSE_LAYOUTS = (
    ("sparse_coo", ("_indices", "_values")),
    ("sparse_csr", ("crow_indices", "col_indices", "values")),
    ("sparse_bsr", ("crow_indices", "col_indices", "values")),
    ("sparse_csc", ("ccol_indices", "row_indices", "values")),
    ("sparse_bsc", ("ccol_indices", "row_indices", "values")),
)

MOST_TENSORS = 16
"""Most tensors read behind one (its parts, its gradient, the gradient's parts...)."""


class TorchTensors:
    """Readers of tensor members (of the torch the user imported, 2.0 or later)."""

    def __init__(
        self, tensor: type, quiet: Callable[[], Any] | None, torch: dict[str, Any]
    ) -> None:
        self.tensor = tensor
        self.quiet = quiet
        """A context that turns subclasses' ``__torch_function__`` off (torch 2.0+)."""
        self.read = readers(tensor, _MEMBERS) if quiet is not None else {}
        """Readers of tensor members, by name; empty if torch is too old (before 2.0)."""
        self.layouts: dict[object, tuple[str, ...]] = {}
        """Sparse layouts: the methods giving a tensor's index and value tensors."""
        for layout, parts in _SPARSE_LAYOUTS:
            key = torch.get(layout)
            if key is not None:
                self.layouts[key] = parts

    def is_tensor_type(self, kind: type) -> bool:
        return issubclass(kind, self.tensor)

    def buffers(self, obj: object) -> list[Buffer]:
        """The storage of a tensor in CPU memory or on a CUDA device (keyed ``cuda:N``), a
        sparse one's index and value tensors', and its gradient's. Never raises."""
        found: list[Buffer] = []
        read = self.read
        quiet = self.quiet
        if not read or quiet is None:
            return found
        tensor_type = self.tensor
        pending: list[Any] = [obj]
        try:
            with quiet():
                for _ in range(MOST_TENSORS):
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
                        device = read["device"](tensor)
                        if device.type == "cpu":
                            place = "cpu"
                        elif device.type == "cuda":  # device memory (see .gpu_arrays)
                            place = f"cuda:{int(device.index or 0)}"
                        else:
                            continue  # meta tensors hold none; other devices are not read
                        parts = self.layouts.get(read["layout"](tensor))
                        if parts is not None:
                            pending.extend(read[part](tensor)() for part in parts)
                            continue
                        storage = read["untyped_storage"](tensor)()
                        found.append(((place, int(storage.data_ptr())), int(storage.nbytes())))
                    except Exception:
                        continue
        except Exception:
            pass
        return found


_cached: list[TorchTensors] = []


def torch_tensors() -> TorchTensors | None:
    """The readers for the torch in ``sys.modules``; None when it is not imported."""
    torch = library_module("torch")
    tensor = torch.get("Tensor")
    if not isinstance(tensor, type):
        return None
    if _cached and _cached[0].tensor is tensor:
        return _cached[0]
    quiet = module_dict(torch.get("_C")).get("DisableTorchFunctionSubclass")
    found = TorchTensors(tensor, quiet if isinstance(quiet, type) else None, torch)
    _cached[:] = [found]
    return found
