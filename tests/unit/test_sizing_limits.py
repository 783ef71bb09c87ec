"""memlens.sizing on hostile objects (flagged results, never an exception, never a hook
called), and under its limits: budgets, the memory cap, stop requests, the walker's own
memory, no reference kept."""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc
import types
import weakref
from typing import Any, Callable

import pytest
from sizing_truth import (
    HOOK_CALLS,
    GetattrRaises,
    GetattrSelf,
    LyingClass,
    Plain,
    Point,
    Proxy,
    SizeofAbsurd,
    SizeofNegative,
    SizeofNotAnInt,
    SizeofRaises,
    nested,
)
from step_clock import StepClock

from memlens.probes.process import read_and_reset_hwm, rss_and_hwm
from memlens.sizing import Report, RootSizes, basic_size, deep_size, measure, values_array_size


def one(obj: object, **options: Any) -> RootSizes:
    return measure([[obj]], **options).roots[0]


@pytest.mark.parametrize(
    ("kind", "flag"),
    [
        (SizeofRaises, "sizeof_raised"),
        (SizeofNegative, "sizeof_negative"),
        (SizeofAbsurd, "sizeof_absurd"),
        (SizeofNotAnInt, "sizeof_raised"),
    ],
    ids=["raises", "negative", "absurd", "not an int"],
)
def test_hostile_sizeof_is_flagged_and_replaced(kind: type, flag: str) -> None:
    obj = kind()
    outer = [obj, [obj]]
    sizes = one(outer)
    assert sizes.flags == [flag]
    own = basic_size(obj)
    if sys.version_info >= (3, 11):
        own += values_array_size(0)
    assert sizes.deep == sys.getsizeof(outer) + sys.getsizeof(outer[1]) + own


HOSTILE_LOOKUPS: dict[str, Callable[[], object]] = {
    "getattr raises": GetattrRaises,
    "getattr returns self": GetattrSelf,
    "lying __class__": LyingClass,
    "proxy": lambda: Proxy([1, 2, 3]),
    "weakref proxy": lambda: weakref.proxy(Point),
}


@pytest.mark.parametrize("name", list(HOSTILE_LOOKUPS))
def test_hostile_attribute_lookup_is_never_called(name: str) -> None:
    obj = HOSTILE_LOOKUPS[name]()
    HOOK_CALLS.clear()
    sizes = one({"thing": obj, "more": [obj]})
    assert HOOK_CALLS == []
    assert not sizes.partial and sizes.flags == []
    # Sized by what it really is: the dict, the list and the object itself.
    thing = {"thing": obj, "more": [obj]}
    assert sizes.deep >= sys.getsizeof(thing) + sys.getsizeof(thing["more"]) + basic_size(obj)


def test_a_container_mutated_while_walked_is_flagged() -> None:
    class Mutator:
        def __init__(self, victim: dict[Any, Any]) -> None:
            self.victim = victim

        def __sizeof__(self) -> int:
            start = len(self.victim)
            self.victim.update({i: [i] for i in range(start, start + 100)})
            return 48

    victim: dict[Any, Any] = {i: [i] for i in range(100_000)}
    victim["mutator"] = Mutator(victim)
    sizes = one(victim)
    assert "mutated" in sizes.flags


def test_nesting_100_000_deep_is_walked_and_flagged() -> None:
    deep = nested(100_000)
    sizes = one(deep)
    assert sizes.deep == 100_001 * 64 - 8 and not sizes.partial
    assert sizes.flags == ["deep_nesting"]
    assert one(nested(999)).flags == []


def test_a_container_of_10_8_items_stops_at_the_budget() -> None:
    huge = [None] * 100_000_000
    started = time.perf_counter()
    sizes = one(huge, budget_s=0.2)
    elapsed = time.perf_counter() - started
    assert sizes.partial and sizes.flags == ["budget"]
    assert sys.getsizeof(huge) <= sizes.deep
    assert elapsed < 0.5, elapsed
    del huge


def test_the_memory_cap_stops_the_walk() -> None:
    shared = [str(i) for i in range(200_000)]
    report = measure([[shared], [list(shared)]], cap_bytes=1 << 20)
    assert report.capped and report.partial
    assert all(root.flags == ["capped"] for root in report.roots)
    assert report.walker_peak_bytes > 1 << 20


def test_should_stop_interrupts() -> None:
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 3

    many = [[i] for i in range(200_000)]
    report = measure([[many], [[1.5]]], should_stop=stop)
    assert report.roots[0].flags == ["interrupted"] and report.roots[1].flags == ["interrupted"]
    assert report.partial


def test_budget_shares(monkeypatch: pytest.MonkeyPatch) -> None:
    slow = [(i, str(i)) for i in range(1_000_000)]
    quick = [1.5, 2.5]
    # Timed on a clock that advances 1 ms per read: the slow root's share is ~25 checks
    # (its whole walk takes ~180) and the quick one's the rest. On the real clock a loaded
    # machine could stall the slow root past the whole 50 ms, which stops every root.
    monkeypatch.setattr(time, "perf_counter", StepClock(0.001))
    report = measure([[slow], [quick]], budget_s=0.05, shares=[1, 1])
    monkeypatch.undo()
    assert "budget" in report.roots[0].flags, report.roots[0]
    assert report.roots[0].partial and not report.roots[1].partial
    assert report.roots[1].deep == sys.getsizeof(quick) + 48


# -- the walker's own memory -----------------------------------------------------------------


def walker_peak(roots: list[list[object]]) -> tuple[Report, int, int]:
    """The report, the walker's peak Python allocations (tracemalloc) and, over a second
    walk without tracemalloc, the growth of the process's peak RSS as the OS counts it
    (VmHWM reset through /proc/self/clear_refs): that one sees the pages of the walker's
    address-keyed memory map, which tracemalloc does not."""
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        report = measure(roots)
        traced = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    gc.collect()
    rss, _, reset = read_and_reset_hwm()
    measure(roots)
    _, hwm = rss_and_hwm()
    assert reset and rss is not None and hwm is not None, "this test needs Linux's VmHWM reset"
    return report, traced, hwm - rss


def test_walker_memory_per_object() -> None:
    records = [{"id": i, "name": str(i), "tags": (str(i), i * 0.5)} for i in range(200_000)]
    report, traced, grown = walker_peak([[records]])
    assert traced <= 40 * report.objects, (traced, report.objects)
    assert grown <= 40 * report.objects, (grown, report.objects)
    assert report.walker_peak_bytes <= 40 * report.objects
    namespace = {f"v{k}": records[k::10] for k in range(10)}
    report, traced, grown = walker_peak([[value] for value in namespace.values()])
    assert traced <= 120 * report.objects, (traced, report.objects)
    assert grown <= 120 * report.objects, (grown, report.objects)
    # The estimate the walker reports is of the right size.
    assert report.walker_peak_bytes <= (traced + grown) * 2
    assert max(traced, grown) <= report.walker_peak_bytes * 3


def test_walker_memory_when_every_object_is_shared() -> None:
    # The worst case: every object has a second referrer, so the walker must remember
    # each one (a dict keyed by id would cost ~90 bytes per object).
    floats = [i * 0.5 for i in range(1_000_000)]
    elsewhere = list(floats)
    report, traced, grown = walker_peak([[floats]])
    assert report.objects == 1_000_001
    assert traced + grown <= 40 * report.objects, (traced, grown)
    assert max(traced, grown) <= report.walker_peak_bytes * 3
    # Deep and retained stay right: the second list is not a root, so all is retained.
    assert report.roots[0].deep == sys.getsizeof(floats) + 24 * len(floats)
    assert report.roots[0].retained == report.roots[0].deep
    both = measure([[floats], [elsewhere]])
    assert both.roots[0].retained == sys.getsizeof(floats)
    assert both.roots[1].retained == sys.getsizeof(elsewhere)
    assert both.roots[1].deep == sys.getsizeof(elsewhere) + 24 * len(floats)


def test_no_reference_to_user_objects_is_kept() -> None:
    data = [str(i) for i in range(1000)]
    probe = weakref.ref(Plain(1))
    deep_size([data, probe()])
    assert probe() is None


def test_skipped_module_globals() -> None:
    module = types.ModuleType("fake")
    module.payload = bytearray(1 << 20)  # type: ignore[attr-defined]
    assert deep_size([module]) == sys.getsizeof([module])
