"""Deep and retained sizes, to the byte, of batches that take each of the walk's ways of
telling types and referrers apart (memlens/sizing/discovery.py): a batch of one type
where every object is shared, one mixing types, one mixing objects with one referrer and
shared ones, and repeats within a batch. The model: ``sys.getsizeof`` of each object
reached, once by identity (floats, strings and tuples of them, which memlens sizes exactly
as ``getsizeof`` does)."""

from __future__ import annotations

import sys

from memlens import deep_size, retained_sizes
from memlens.sizing.owners import keys_of


def model(*containers: list[object]) -> int:
    """Bytes of ``containers`` and of everything they hold, each object once."""
    seen: dict[int, object] = {}
    stack: list[object] = list(containers)
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen[id(obj)] = obj
        if type(obj) in (list, tuple):
            stack.extend(obj)  # type: ignore[call-overload]
    return sum(map(sys.getsizeof, seen.values()))


def test_one_type_all_shared_with_repeats() -> None:
    shared = [float(i) for i in range(40_000)]
    # Every float is also held by ``shared``; the second half repeats the first's floats.
    value = shared[:30_000] + shared[:10_000]
    assert deep_size(value) == model(value)


def test_mixed_types_and_single_referrers_in_one_batch() -> None:
    shared = [float(i) for i in range(40_000)]
    strings = [f"string {i}" for i in range(20_000)]
    value: list[object] = []
    for i in range(20_000):
        value.append(shared[i])  # shared
        value.append(strings[i])  # shared, another type
        value.append(float(-i - 1))  # one referrer: this list
        value.append((shared[i + 20_000], float(i) + 0.5))  # a tuple, one referrer
    assert deep_size(value) == model(value)
    # One float first, then only tuples: a batch's first type is not its only one.
    tuples: list[object] = [float("0.5"), *((float(i), float(-i)) for i in range(20_000))]
    assert deep_size(tuples) == model(tuples)
    tuples[1:] = [(obj,) for obj in shared]
    assert deep_size(tuples) == model(tuples)


def test_retained_sizes_of_lists_sharing_floats() -> None:
    floats = [float(i) for i in range(60_000)]
    names = {"halves": floats[::2], "thirds": floats[::3], "tail": floats[50_000:]}
    sizes = retained_sizes(names)
    for name, value in names.items():
        others = [other for key, other in names.items() if key != name]
        # What only this list reaches: itself and the floats no other root (nor
        # ``floats``, which is not a root) holds.
        held_elsewhere = {id(obj) for other in others for obj in other}
        own = [obj for obj in value if id(obj) not in held_elsewhere]
        expected = sys.getsizeof(value) + sum(map(sys.getsizeof, {id(o): o for o in own}.values()))
        assert sizes[name] == expected, name
        assert deep_size(value) == model(value)


def test_keys_are_addresses_over_16_for_static_and_heap_objects() -> None:
    # Small ints and the empty tuple are static, 8 bytes off a 16-byte boundary here.
    objects: list[object] = [1, 200, (), None, True, 1.5, [], "s", int, *range(1000, 1100)]
    for heap in (False, True):  # True: by the pointer hash, which these make wrong at first
        keys, lowest, highest = keys_of(objects, heap)
        assert keys == [id(obj) >> 4 for obj in objects]
        assert (lowest, highest) == (min(keys), max(keys))
    floats = [float(i) for i in range(100)]
    assert keys_of(floats, True)[0] == [id(obj) >> 4 for obj in floats]
