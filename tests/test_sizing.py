"""memlens/sizing.py: deep sizes, checked against sums of sys.getsizeof written out by hand."""

from __future__ import annotations

import gc
import sys
from typing import Any

from memlens.sizing import deep_size


def test_a_list_of_strings_counts_the_strings() -> None:
    words = ["apple", "banana", "cherry", "date"]
    expected = sys.getsizeof(words) + sum(sys.getsizeof(w) for w in words)
    assert deep_size(words) == (expected, True)
    assert deep_size(words)[0] > sys.getsizeof(words)


def test_shared_objects_and_cycles_count_once() -> None:
    block = bytearray(10_000)
    pair = [block, block]
    pair.append(pair)
    assert deep_size(pair) == (sys.getsizeof(pair) + sys.getsizeof(block), True)


def test_dicts_count_keys_and_values() -> None:
    data = {"key": b"x" * 1000}
    expected = sys.getsizeof(data) + sys.getsizeof("key") + sys.getsizeof(data["key"])
    assert deep_size(data) == (expected, True)


def test_program_structure_is_not_data() -> None:
    things = [sys, len, int, test_dicts_count_keys_and_values, deep_size.__code__]
    assert deep_size(things) == (sys.getsizeof(things), True)


class Holder:
    def __init__(self) -> None:
        self.payload = bytearray(1 << 20)
        self.name = "holder"


def test_instance_attributes_without_materializing_dict() -> None:
    holder = Holder()
    size, complete = deep_size(holder)
    assert complete and size >= (1 << 20) + sys.getsizeof(holder)
    if sys.version_info >= (3, 11):
        referents = gc.get_referents(holder)
        assert not any(isinstance(r, dict) for r in referents), "__dict__ was materialized"


def test_budget_gives_a_lower_bound() -> None:
    many = [(i, str(i)) for i in range(300_000)]
    partial, complete = deep_size(many, budget_s=0.001)
    full, full_complete = deep_size(many)
    assert not complete and full_complete
    assert sys.getsizeof(many) <= partial < full


class FakeArray:
    """Behaves as numpy's ndarray does for sizing: __sizeof__ includes owned data only,
    a view names its owner as ``base`` and has no referents."""

    __module__ = "numpy"

    def __init__(self, nbytes: int, base: Any = None) -> None:
        self.nbytes = nbytes
        self.base = base

    def __sizeof__(self) -> int:
        return 112 + (self.nbytes if self.base is None else 0)


def test_array_buffers_count_once_at_their_owner() -> None:
    owner = FakeArray(1 << 20)
    views = [FakeArray(1 << 19, owner), FakeArray(1 << 19, owner)]
    expected = sys.getsizeof(views) + 2 * sys.getsizeof(views[0]) + sys.getsizeof(owner)
    assert deep_size(views) == (expected, True)
    assert expected < (1 << 20) + 2000
