"""The fingerprint that tells an unchanged variable (memlens.variables.fingerprint), and the
store of kept sizes (memlens.variables.kept), without a kernel."""

from __future__ import annotations

import collections
import gc
import time
import weakref
from typing import Any

from memlens.variables import kept
from memlens.variables.fingerprint import fingerprint, is_small_atom


class Node:
    def __init__(self, items: list[Any]) -> None:
        self.items = items


def test_an_unchanged_value_has_the_same_fingerprint() -> None:
    value = {"a": [1, 2, 3], "b": Node(["x" * 10, {"deep": [0.5] * 10}])}
    assert fingerprint([value]) == fingerprint([value])
    assert fingerprint([value]) is not None


def test_changes_the_fingerprint_sees() -> None:
    items = [str(i) for i in range(10)]
    node = Node(items)
    mapping = {"node": node, "n": 1}
    changes = [
        lambda: items.append("more"),  # a length, two levels down
        lambda: items.__setitem__(3, "other"),  # an identity
        lambda: mapping.__setitem__("n", 2),
        lambda: setattr(node, "extra", [1]),  # the instance's attributes
        lambda: items.pop(),
    ]
    for change in changes:
        before = fingerprint([mapping])
        change()
        assert fingerprint([mapping]) != before


def test_a_big_container_is_sampled_in_bounded_time() -> None:
    big = [str(i) for i in range(2_000_000)]
    started = time.perf_counter()
    first = fingerprint([big])
    took = time.perf_counter() - started
    assert took < 0.05, took
    big.append("x")  # its length always counts
    assert fingerprint([big]) != first
    deque = collections.deque(range(100_000))
    assert fingerprint([deque]) == fingerprint([deque])


def test_it_holds_no_reference() -> None:
    node = Node([1, 2])
    ref = weakref.ref(node)
    print_ = fingerprint([node])
    del node
    gc.collect()
    assert ref() is None
    assert all(type(fact) is int for fact in print_ or ())


def test_python_sizeof_is_never_called() -> None:
    calls: list[int] = []

    class Loud:
        def __sizeof__(self) -> int:
            calls.append(1)
            return 10

    assert fingerprint([[Loud(), Loud()]]) is not None
    assert calls == []


def test_small_atoms() -> None:
    assert is_small_atom(5) and is_small_atom("abc") and is_small_atom(None)
    assert not is_small_atom("x" * 10_000)
    assert not is_small_atom([1])

    class MyInt(int):
        pass

    assert not is_small_atom(MyInt(3))  # only exact types


def _row(name: str, deep: int, retained: int) -> Any:
    return {
        "name": name,
        "type": "list",
        "shape": "len 1",
        "getsizeof": 64,
        "deep": deep,
        "retained": retained,
        "partial": False,
        "flags": [],
        "expandable": True,
    }


def test_the_store_keeps_a_row_while_the_world_is_stable() -> None:
    store = kept.Store()
    a = [str(i) for i in range(100)]
    b = Node([1])
    variables: list[tuple[str, object]] = [("a", a), ("b", b)]
    plan = kept.Plan(store, variables, None, [])
    assert plan.kept == set() and not plan.stable
    finished = [("a", a, _row("a", 5000, 5000)), ("b", b, _row("b", 100, 100))]
    store.remember(plan, finished, {"a", "b"}, complete=True, cell=3, walked_all=True)

    again = kept.Plan(store, [*variables, ("n", 7)], None, [])
    assert again.stable and again.kept == {"a", "b"}
    row = again.kept_row("a", None, {"a", "b", "n"})
    assert row["kept_from"] == 3 and row["deep"] == 5000 and "retained_stale" not in row["flags"]

    bigger = kept.Plan(store, [*variables, ("c", [a])], None, [])
    assert not bigger.stable and bigger.kept == {"a", "b"}  # kept, but retained may be stale
    assert "retained_stale" in bigger.kept_row("a", None, {"a", "b", "c"})["flags"]

    a.append("x")
    changed = kept.Plan(store, variables, None, [])
    assert changed.kept == {"b"} and not changed.stable


def test_a_new_object_at_the_same_id_with_a_weak_reference_is_not_kept() -> None:
    store = kept.Store()
    b = Node([1])
    plan = kept.Plan(store, [("b", b)], None, [])
    store.remember(
        plan, [("b", b, _row("b", 100, 100))], {"b"}, complete=True, cell=1, walked_all=True
    )
    entry = store.entries["b"]
    entry.ref = weakref.ref(Node([1]))  # what a reused id leaves: another object, or none
    assert kept.Plan(store, [("b", b)], None, []).kept == set()


def test_a_deleted_name_is_forgotten() -> None:
    store = kept.Store()
    a = [1, 2]
    plan = kept.Plan(store, [("a", a)], None, [])
    store.remember(
        plan, [("a", a, _row("a", 100, 100))], {"a"}, complete=True, cell=1, walked_all=True
    )
    plan = kept.Plan(store, [], None, [])
    store.remember(plan, [], set(), complete=True, cell=2, walked_all=True)
    assert store.entries == {}


def test_no_class_is_hashed_or_compared() -> None:
    calls: list[str] = []

    class Meta(type):
        def __hash__(cls) -> int:
            calls.append("hash")
            return 1

        def __eq__(cls, other: object) -> bool:
            calls.append("eq")
            return False

    class Odd(metaclass=Meta):
        pass

    value = {"a": [Odd(), Odd()], "b": Odd()}
    assert fingerprint([value]) is not None
    assert not is_small_atom(Odd())
    assert calls == []


def test_fingerprints_stop_at_their_time_limit(monkeypatch: Any) -> None:
    store = kept.Store()
    variables: list[tuple[str, object]] = [(f"v{i}", [i]) for i in range(100)]
    plan = kept.Plan(store, variables, None, [])
    finished = [(name, value, _row(name, 100, 100)) for name, value in variables]
    store.remember(
        plan, finished, {n for n, _ in variables}, complete=True, cell=1, walked_all=True
    )
    assert kept.Plan(store, variables, None, []).stable
    monkeypatch.setattr(kept, "FINGERPRINTS_S", 0.0)
    late = kept.Plan(store, variables, None, [])
    assert late.kept == set() and not late.stable  # none read in time: all walked again
