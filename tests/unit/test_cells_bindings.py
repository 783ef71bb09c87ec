"""Bindings: which names a cell bound, from namespace identities, against a plain dict."""

from __future__ import annotations

import gc
import weakref
from types import SimpleNamespace
from typing import Any

from memlens.cells import bindings
from memlens.cells.bindings import Bindings


class Data:
    pass


def shell(**names: Any) -> SimpleNamespace:
    return SimpleNamespace(user_ns=dict(names), user_ns_hidden={})


def test_new_and_rebound_names_in_namespace_order() -> None:
    sh = shell(keep=1)
    b = Bindings(sh)  # what is bound now is no cell's
    sh.user_ns.update(a=[1], c=[2])
    assert b.after_cell() == ["a", "c"]
    sh.user_ns["c"] = [3]  # rebound
    sh.user_ns["a"].append(2)  # mutated in place: not a binding
    assert b.after_cell() == ["c"]
    assert b.after_cell() == []


def test_deleting_names_shifts_positions_and_still_finds_rebinds() -> None:
    sh = shell(**{f"v{i}": [i] for i in range(1000)})
    b = Bindings(sh)
    del sh.user_ns["v3"], sh.user_ns["v10"]
    sh.user_ns["v500"] = [0]
    sh.user_ns["new"] = 1.5
    assert b.after_cell() == ["v500", "new"]


def test_a_change_deep_in_a_big_namespace_is_found_chunk_by_chunk() -> None:
    size = bindings.CHUNK * 5 + 7
    sh = shell(**{f"v{i}": [i] for i in range(size)})
    b = Bindings(sh)
    for i in (0, bindings.CHUNK - 1, bindings.CHUNK * 3 + 1, size - 1):
        sh.user_ns[f"v{i}"] = object()
    assert b.after_cell() == [
        f"v{i}" for i in (0, bindings.CHUNK - 1, bindings.CHUNK * 3 + 1, size - 1)
    ]


def test_private_ipython_and_hidden_names_are_left_out() -> None:
    sh = shell()
    b = Bindings(sh)
    hidden_value = object()
    sh.user_ns_hidden["helper"] = hidden_value
    sh.user_ns.update(_private=1, _5=[], Out={}, In=[], exit=None, helper=hidden_value, x=[1])
    assert b.after_cell() == ["x"]
    sh.user_ns["helper"] = [2]  # the user rebound IPython's hidden name: now theirs
    assert b.after_cell() == ["helper"]


def test_a_str_subclass_name_is_never_hashed() -> None:
    armed = False

    class Evil(str):
        def __hash__(self) -> int:
            assert not armed, "user code ran"
            return 7

        def __eq__(self, other: object) -> bool:
            assert not armed, "user code ran"
            return str.__eq__(self, other)

    sh = shell()
    b = Bindings(sh)
    sh.user_ns[Evil("evil")] = 1  # hashed here, by this test, before arming
    sh.user_ns["x"] = 1
    armed = True
    assert b.after_cell() == ["x"]
    sh.user_ns["y"] = 2  # "y" hashes to its own slot: Evil's __eq__ is not asked
    assert b.after_cell() == ["y"]


def test_keeps_no_reference_and_adds_no_name() -> None:
    sh = shell()
    b = Bindings(sh)
    sh.user_ns["big"] = Data()
    ref = weakref.ref(sh.user_ns["big"])
    assert b.after_cell() == ["big"]
    del sh.user_ns["big"]
    names = set(sh.user_ns)
    gc.collect()
    assert ref() is None
    assert b.after_cell() == []
    assert set(sh.user_ns) == names


def test_too_many_names_are_not_compared() -> None:
    sh = shell(**{f"v{i}": i for i in range(50)})
    b = Bindings(sh, max_names=40)
    sh.user_ns["x"] = 1
    assert b.after_cell() is None
    del sh.user_ns["v1"], sh.user_ns["v2"], sh.user_ns["v3"], sh.user_ns["v4"]
    del sh.user_ns["v5"], sh.user_ns["v6"], sh.user_ns["v7"], sh.user_ns["v8"]
    del sh.user_ns["v9"], sh.user_ns["v10"], sh.user_ns["v11"], sh.user_ns["v12"]
    assert b.after_cell() is None  # first comparison after it shrank: a fresh start
    sh.user_ns["y"] = 2
    assert b.after_cell() == ["y"]


def test_no_namespace_gives_none() -> None:
    b = Bindings(SimpleNamespace())
    assert b.after_cell() is None


def test_agrees_with_a_plain_dict_comparison_on_random_cells() -> None:
    """Random cells (bind, rebind, delete, delete and bind again) on a namespace a few
    chunks long: the same names as comparing ``name -> id`` dicts, in namespace order."""
    import random

    rng = random.Random(13)
    sh = shell(**{f"v{i}": [i] for i in range(bindings.CHUNK * 3)})
    b = Bindings(sh)
    keep: list[object] = []  # no id is reused while the test runs
    for _ in range(200):
        ns = sh.user_ns
        before = {name: id(value) for name, value in ns.items()}
        for _ in range(rng.randrange(0, 6)):
            name = f"v{rng.randrange(bindings.CHUNK * 4)}"
            action = rng.choice(["bind", "delete", "again"])
            if action == "delete" and name in ns:
                keep.append(ns.pop(name))
            elif action == "again" and name in ns:
                keep.append(ns.pop(name))
                ns[name] = [0]
            elif action == "bind":
                ns[name] = [1]
        expected = [name for name, value in ns.items() if before.get(name) != id(value)]
        assert b.after_cell() == expected
