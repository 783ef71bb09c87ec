"""Ground truth for sizing tests (and bench/sizing.py): the bytes tracemalloc sees
allocated (and still alive) while an object is built are the bytes the object keeps
alive. Also the issue's cases and hostile objects."""

from __future__ import annotations

import gc
import importlib
import os
import sys
import tracemalloc
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any, Callable

import pytest

TOLERANCE = 0.05


def need(module: str) -> Any:
    """Import a test-only dependency: skip without it, but fail in CI (env CI set)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        message = f"{module} is not installed (pip install -r requirements-dev.txt)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def built(factory: Callable[[], Any]) -> tuple[Any, int]:
    """``(object, bytes)``: the object ``factory`` builds and what building it left
    allocated, as tracemalloc counts (every allocator domain, numpy's buffers included),
    plus what pyarrow's memory pool allocated, which tracemalloc does not see (pandas keeps
    its string columns in pyarrow arrays when pyarrow is installed)."""
    gc.collect()
    pyarrow = sys.modules.get("pyarrow")
    pool = pyarrow.total_allocated_bytes() if pyarrow is not None else 0
    tracemalloc.start()
    try:
        obj = factory()
        size = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    pyarrow = sys.modules.get("pyarrow")
    if pyarrow is not None:
        size += pyarrow.total_allocated_bytes() - pool
    return obj, size


def close(measured: int, truth: int, tolerance: float = TOLERANCE) -> bool:
    return abs(measured - truth) <= tolerance * truth


@dataclass
class Point:
    x: int
    y: float
    label: str


class Slotted:
    __slots__ = ("label", "values", "x")

    def __init__(self, x: int) -> None:
        self.x = x
        self.label = f"slot-{x}"
        self.values = [x, x + 1]


class Plain:
    def __init__(self, x: int) -> None:
        self.x = x
        self.label = f"plain-{x}"
        self.values = [float(x)]


def nested(depth: int) -> list[Any]:
    inner: list[Any] = []
    for _ in range(depth):
        inner = [inner]
    return inner


def cyclic_graph() -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = [{"id": i, "edges": []} for i in range(20_000)]
    for i, node in enumerate(nodes):
        node["edges"] += [nodes[(i * 7 + 1) % 20_000], nodes[(i * 13 + 5) % 20_000]]
    nodes[0]["self"] = nodes
    return nodes


def generator() -> Any:
    def numbers() -> Any:
        data = [float(i) for i in range(20_000)]
        yield from data

    running = numbers()
    next(running)
    return running


def closure() -> Callable[[], Any]:
    data = {str(i): i * 0.5 for i in range(10_000)}

    def lookup() -> Any:
        return data

    return lookup


CASES: dict[str, Callable[[], Any]] = {
    "list of floats": lambda: [i * 0.5 for i in range(100_000)],
    "dict of str to list": lambda: {str(i): [i + 0.5, i + 1.5, i + 2.5] for i in range(20_000)},
    "set of tuples": lambda: {(i, i + 0.5, str(i)) for i in range(50_000)},
    "nested 1,000 deep": lambda: nested(1_000),
    "nested 100,000 deep": lambda: nested(100_000),
    "cyclic graph": cyclic_graph,
    "__slots__ instances": lambda: [Slotted(i + 1000) for i in range(20_000)],
    "dataclasses": lambda: [Point(i + 1000, i * 0.5, str(i)) for i in range(20_000)],
    "plain instances": lambda: [Plain(i + 1000) for i in range(20_000)],
    "bytes": lambda: [bytes(1000) + str(i).encode() for i in range(1000)],
    "bytearray": lambda: bytearray(1 << 20),
    "generator": generator,
    "closure": closure,
    "ordered dict and deque": lambda: [
        OrderedDict((str(i), [i]) for i in range(5000)),
        deque(str(i) for i in range(20_000)),
    ],
    "ints beyond the small cache": lambda: [i * 1000 for i in range(100_000)],
}


# -- hostile objects ---------------------------------------------------------------------------


class SizeofRaises:
    def __sizeof__(self) -> int:
        raise RuntimeError("no size")


class SizeofNegative:
    def __sizeof__(self) -> int:
        return -100


class SizeofAbsurd:
    def __sizeof__(self) -> int:
        return 10**18


class SizeofNotAnInt:
    def __sizeof__(self) -> Any:
        return "big"


HOOK_CALLS: list[str] = []
"""Every call of the attribute hooks below: sizing must never make one."""


class GetattrRaises:
    def __getattr__(self, name: str) -> Any:
        HOOK_CALLS.append(f"GetattrRaises.__getattr__({name})")
        raise RuntimeError(name)

    def __getattribute__(self, name: str) -> Any:
        HOOK_CALLS.append(f"GetattrRaises.__getattribute__({name})")
        raise RuntimeError(name)


class GetattrSelf:
    def __getattr__(self, name: str) -> Any:
        HOOK_CALLS.append(f"GetattrSelf.__getattr__({name})")
        return self


class LyingClass:
    @property  # type: ignore[misc]
    def __class__(self) -> Any:
        HOOK_CALLS.append("LyingClass.__class__")
        raise RuntimeError("__class__")


class Proxy:
    def __init__(self, target: object) -> None:
        object.__setattr__(self, "_target", target)

    def __getattribute__(self, name: str) -> Any:
        HOOK_CALLS.append(f"Proxy.__getattribute__({name})")
        return getattr(object.__getattribute__(self, "_target"), name)
