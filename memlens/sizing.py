"""Sizes of objects over the object graph: measure only, no model and no comms.

A first version: :func:`deep_size` walks what an object refers to, under a time budget.
Retained sizes (what deleting an object would free) come later. Standard library only.
"""

from __future__ import annotations

import gc
import sys
import time
import types

_SKIPPED = (
    types.ModuleType,
    type,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.CodeType,
    types.FrameType,
)
"""Shared program structure, not data: never counted and never walked into."""

_ATOMIC = frozenset((int, float, complex, bool, str, bytes, bytearray, type(None)))
"""Types whose objects refer to nothing that is not counted in ``getsizeof``."""

_CHECK_EVERY = 256
"""Objects visited between two looks at the clock."""


def _array_base(obj: object) -> tuple[bool, object]:
    """``(is an array, its base)`` for numpy arrays; (False, None) for anything else.

    Looks only at types defined in numpy, so that no user ``__getattr__`` runs.
    """
    module = getattr(type(obj), "__module__", "")
    if not isinstance(module, str) or not module.startswith("numpy"):
        return False, None
    try:
        base = getattr(obj, "base", None)
        nbytes = getattr(obj, "nbytes", None)
    except Exception:
        return False, None
    return isinstance(nbytes, int), base


def deep_size(obj: object, *, budget_s: float | None = None) -> tuple[int, bool]:
    """``(bytes, complete)``: the size of ``obj`` and of everything it refers to.

    Each object reachable through ``gc.get_referents`` (and a dict's keys, which the gc
    skips when they are all strings) is counted once (by id) with
    ``sys.getsizeof``. Modules, classes, functions, methods, code and frames are neither
    counted nor followed: they are the program, not its data. A numpy array counts its
    buffer only where it owns it (numpy's ``__sizeof__`` includes owned data); a view
    counts its header and leads to its ``base``, so a buffer is counted once at its owner.
    Instance attributes are reached through the instance's referents, never by reading
    ``__dict__`` (which on Python 3.11+ would build a dict that did not exist).

    The walk is iterative. With ``budget_s``, it stops after about that many seconds and
    returns ``complete=False`` with the bytes counted so far (a lower bound).
    """
    deadline = None if budget_s is None else time.perf_counter() + budget_s
    seen: set[int] = set()
    stack: list[object] = [obj]
    total = 0
    visited = 0
    getsizeof = sys.getsizeof
    get_referents = gc.get_referents
    while stack:
        item = stack.pop()
        key = id(item)
        if key in seen:
            continue
        seen.add(key)
        kind = type(item)
        if kind in _ATOMIC:
            total += getsizeof(item, 0)
        elif isinstance(item, _SKIPPED):
            continue
        else:
            try:
                total += getsizeof(item, 0)
            except Exception:  # a __sizeof__ that fails
                pass
            is_array, base = _array_base(item)
            if is_array:
                if base is not None:
                    stack.append(base)
            else:
                stack.extend(get_referents(item))
                if isinstance(item, dict):
                    # The gc does not visit a dict's str keys (they cannot form cycles).
                    stack.extend(dict.keys(item))
        visited += 1
        if deadline is not None and visited % _CHECK_EVERY == 0:
            if time.perf_counter() > deadline:
                return total, False
    return total, True
