"""memlens.variables (parts, names, report) on plain objects and a stand-in shell
(the real-kernel round trips are in tests/kernel/test_variables.py)."""

from __future__ import annotations

import sys
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import pytest
from sizing_truth import need
from step_clock import StepClock

from memlens.sizing import deep_size
from memlens.variables import describe
from memlens.variables import expand as variables_expand
from memlens.variables import names as variable_names
from memlens.variables import parts as object_parts
from memlens.variables import report as variables_report
from memlens.variables.describe import label, shape, type_name
from memlens.variables.parts import PathError, children, count, resolve
from memlens.wire import protocol


class Shell:
    """What memlens reads of an IPython shell."""

    def __init__(self, user_ns: dict[str, Any], hidden: dict[str, Any] | None = None) -> None:
        self.user_ns = user_ns
        self.user_ns_hidden = hidden or {}


@dataclass
class Holder:
    name: str
    weights: list[float]


class Slotted:
    __slots__ = ("__secret", "values")

    def __init__(self) -> None:
        self.values = [1.5, 2.5]
        self.__secret = "s"


class Trap:
    """Every hook a careless tool would call raises."""

    def __init__(self) -> None:
        self.payload = [1.5] * 3

    def __repr__(self) -> str:
        raise AssertionError("repr called")

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"__getattr__({name}) called")

    def __len__(self) -> int:
        raise AssertionError("len called")

    def __iter__(self) -> Any:
        raise AssertionError("iter called")

    def __hash__(self) -> int:
        return 1

    @property
    def computed(self) -> Any:
        raise AssertionError("property called")


def test_type_names_and_shapes() -> None:
    assert type_name([1]) == "list"
    assert type_name(Holder("a", [])) == f"{__name__}.Holder"
    assert shape([1, 2]) == "len 2" and shape("abc") == "len 3" and shape(deque([1])) == "len 1"
    assert shape(Trap()) is None and shape(3) is None


def test_labels_never_run_user_code() -> None:
    assert label("apple", "?") == "'apple'"
    assert label(3, "?") == "3" and label(None, "?") == "None" and label(2.5, "?") == "2.5"
    assert label((1, "x"), "?") == "(1, 'x')" and label((1,), "?") == "(1,)"
    assert label(b"ab", "?") == "b'ab'"
    assert label(Trap(), "<key 3: Trap>") == "<key 3: Trap>"
    assert label((1, Trap()), "fallback") == "fallback"
    assert len(label("x" * 1000, "?")) == describe.LABEL_LENGTH
    assert label(10**5000, "?") == "<int of 16610 bits>"


def test_children_of_containers() -> None:
    data = {"apple": [1.5], 3: "three", (1, "x"): None}
    parts = children(data)
    assert [(c.label, c.step) for c in parts] == [
        ("'apple'", {"kind": "key", "index": 0}),
        ("3", {"kind": "key", "index": 1}),
        ("(1, 'x')", {"kind": "key", "index": 2}),
    ]
    assert parts[1].obj == "three"
    items = list(range(1000, 1250))
    page = children(items, 200, 100)
    assert len(page) == 50 and page[0].label == "[200]" and page[0].obj == 1200
    assert count(items) == 250 and count("text") == 0
    assert [c.obj for c in children({5, 6})] == [5, 6]
    assert children(deque("ab"))[1].obj == "b"


def test_attributes_without_dict_or_hooks() -> None:
    trap = Trap()
    parts = children(trap)
    step = {"kind": "attr", "value": "payload"}
    assert [(c.label, c.step) for c in parts] == [(".payload", step)]
    assert resolve({"t": trap}, [{"kind": "name", "value": "t"}, step]) is trap.payload
    if sys.version_info >= (3, 11):
        import gc

        assert not any(type(r) is dict for r in gc.get_referents(trap)), "__dict__ was made"
    holder = Holder("h", [0.5])
    assert {c.label for c in children(holder)} == {".name", ".weights"}
    slotted = Slotted()
    assert {c.label for c in children(slotted)} == {".values", ".__secret"}
    assert describe.attribute_flags(trap) == ["getattr_hostile"]
    assert describe.attribute_flags(holder) == []


def test_unnamed_referents_are_indexed() -> None:
    class Dynamic:
        pass

    thing = Dynamic()
    thing.__dict__["added later"] = [1.5]
    parts = children(thing)
    assert [(c.label, c.step) for c in parts] == [
        ("<referent 0: dict>", {"kind": "index", "index": 0})
    ]
    assert resolve({"d": thing}, [{"kind": "name", "value": "d"}, parts[0].step]) is thing.__dict__


def test_paths_resolve_or_explain() -> None:
    ns = {"data": {"a": [Holder("h", [0.5, 1.5])]}, "n": 5}
    path: list[dict[str, Any]] = [
        {"kind": "name", "value": "data"},
        {"kind": "key", "index": 0},
        {"kind": "index", "index": 0},
        {"kind": "attr", "value": "weights"},
        {"kind": "index", "index": 1},
    ]
    assert resolve(ns, path) == 1.5
    for bad, message in [
        ([{"kind": "name", "value": "gone"}], "no variable named 'gone'"),
        ([*path[:2], {"kind": "index", "index": 5}], "out of range"),
        ([*path[:1], {"kind": "column", "index": 0}], "no columns"),
        ([{"kind": "name", "value": "n"}, {"kind": "index", "index": 0}], "not there"),
        ([*path[:3], {"kind": "attr", "value": "missing"}], "no attribute 'missing'"),
    ]:
        with pytest.raises(PathError, match=message):
            resolve(ns, bad)


def test_a_trail_lists_the_containers_and_siblings_along_it() -> None:
    weights = [0.5, 1.5]
    holder = Holder("h", weights)
    data = {"a": [holder, "other"], "b": "bee"}
    path: list[dict[str, Any]] = [
        {"kind": "name", "value": "data"},
        {"kind": "key", "index": 0},
        {"kind": "index", "index": 0},
        {"kind": "attr", "value": "weights"},
    ]
    objects = object_parts.trail({"data": data}, path)
    assert [id(obj) for obj in objects] == [id(data), id(data["a"]), id(holder), id(weights)]
    assert resolve({"data": data}, path) is weights
    along = object_parts.siblings_along(objects, path)
    # The holder's name, the list's other item, the dict's keys and its other value.
    assert sorted(map(str, along)) == ["a", "b", "bee", "h", "other"]
    assert object_parts.siblings_along(objects[:1], path[:1]) == []
    with pytest.raises(PathError, match="step 2"):
        object_parts.trail({"data": data}, [*path[:2], {"kind": "index", "index": 9}])


def test_a_cut_walk_of_the_rest_flags_the_children() -> None:
    """The rest of the namespace is walked last: cut short, the reply is partial and the
    children's retained sizes are marked as possibly too high."""
    ns: dict[str, Any] = {
        "pair": [[1.5] * 10, [2.5] * 10],
        "huge": [(i, str(i)) for i in range(500_000)],
    }
    path = [{"kind": "name", "value": "pair"}]
    body = variables_expand.expand_body(Shell(ns), path=path, offset=0, limit=10, budget_ms=5)
    assert body["partial"] is True
    for child in body["children"]:
        assert child["partial"] or "retained_approx" in child["flags"], child
    body = variables_expand.expand_body(Shell(ns), path=path, offset=0, limit=10, budget_ms=10_000)
    assert body["partial"] is False
    assert [child["flags"] for child in body["children"]] == [[], []]
    assert [child["retained"] for child in body["children"]] == [56 + 8 * 10 + 24] * 2


class Node:
    """A tree node that points back at its parent."""

    def __init__(self, parent: Node | None, payload: list[float]) -> None:
        self.parent = parent
        self.payload = payload
        self.kids: list[Node] = []


def test_a_part_pointing_back_up_the_path_has_its_whole_deep_size() -> None:
    root = Node(None, [0.5] * 1000)
    for k in range(2):
        kid = Node(root, [k + 0.25] * 2000)
        root.kids.append(kid)
    ns: dict[str, Any] = {"root": root}
    path = [
        {"kind": "name", "value": "root"},
        {"kind": "attr", "value": "kids"},
        {"kind": "index", "index": 0},
    ]
    body = variables_expand.expand_body(Shell(ns), path=path, offset=0, limit=10, budget_ms=10_000)
    parts = {child["label"]: child for child in body["children"]}
    # .parent leads back to the root: its deep size is the whole tree, as deep_size says,
    # and removing it from the kid frees nothing (the namespace holds the root).
    assert parts[".parent"]["deep"] == deep_size(root)
    assert parts[".parent"]["retained"] == 0
    assert not parts[".parent"]["flags"] and not parts[".parent"]["partial"]
    payload = root.kids[0].payload
    assert parts[".payload"]["deep"] == parts[".payload"]["retained"] == deep_size(payload)


def test_a_part_pointing_back_keeps_its_sizes_when_the_budget_runs_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = Node(None, [])
    root.kids.append(Node(root, [k + 0.5 for k in range(200_000)]))
    ns: dict[str, Any] = {"root": root, "other": [(i, str(i)) for i in range(1_000_000)]}
    path = [{"kind": "name", "value": "root"}, {"kind": "attr", "value": "kids"}]
    checks = 0

    def stop_soon() -> bool:
        nonlocal checks
        checks += 1
        return checks > 20

    payload = deep_size(root.kids[0].payload)
    # 30 ms: the kid's own walk ends in time, the rest of the namespace does not. Timed on
    # a clock that advances 0.5 ms each time it is read (about once per check, every
    # CHUNK objects), so the budget is ~60 checks however loaded the machine is (on the
    # real clock a loaded machine cut the kid's own walk): the kid's walk takes ~12, the
    # whole namespace ~220.
    with monkeypatch.context() as patch:
        patch.setattr(time, "perf_counter", StepClock(0.0005))
        body = variables_expand.expand_body(Shell(ns), path=path, offset=0, limit=10, budget_ms=30)
    (kid,) = body["children"]
    assert kid["deep"] >= kid["retained"] >= payload, kid  # deep: all it reaches
    assert body["partial"] is True
    # Stopped after a few stretches of work: lower bounds, still deep >= retained.
    body = variables_expand.expand_body(
        Shell(ns), path=path, offset=0, limit=10, budget_ms=10_000, should_stop=stop_soon
    )
    (kid,) = body["children"]
    assert kid["deep"] >= kid["retained"], kid
    assert body["partial"] is True


def test_a_frame_column_sharing_data_with_another_column_retains_nothing() -> None:
    pd = need("pandas")
    words = [f"word {i}" * 5 for i in range(2000)]
    frame = pd.DataFrame({"a": pd.Series(words, dtype=object), "n": range(2000)})
    frame["b"] = frame["a"].copy(deep=False)  # another column, the same strings
    frame["c"] = pd.Series([f"own {i}" * 5 for i in range(2000)], dtype=object)
    ns: dict[str, Any] = {"frame": frame}
    path = [{"kind": "name", "value": "frame"}]
    # One column per page: the others are the siblings.
    first = variables_expand.expand_body(Shell(ns), path=path, offset=0, limit=1, budget_ms=10_000)
    only_a = first["children"][0]
    assert only_a["label"] == "'a'"
    strings = sum(map(sys.getsizeof, words))
    assert only_a["deep"] >= strings
    assert only_a["retained"] < strings / 10, only_a  # column b holds the same strings
    last = variables_expand.expand_body(Shell(ns), path=path, offset=3, limit=1, budget_ms=10_000)
    only_c = last["children"][0]
    assert only_c["label"] == "'c'"
    assert only_c["retained"] >= sum(sys.getsizeof(f"own {i}" * 5) for i in range(2000))


def test_numpy_and_pandas_children() -> None:
    np = need("numpy")
    pd = need("pandas")
    base = np.arange(10.0)
    view = base[2:5]
    assert [c.label for c in children(view)] == [".base"] and count(base) == 0
    objects = np.array(["a", 1, None], dtype=object)
    assert [c.obj for c in children(objects)] == ["a", 1, None]
    assert shape(np.zeros((1000, 3))) == "(1000, 3)"
    assert type_name(np.zeros(1)) == "numpy.ndarray"
    frame = pd.DataFrame({"a": np.arange(4.0), "b": ["w", "x", "y", "z"]})
    assert type_name(frame) == "pandas.DataFrame" and shape(frame) == "(4, 2)"
    columns = children(frame)
    assert [(c.label, c.step) for c in columns] == [
        ("'a'", {"kind": "column", "index": 0}),
        ("'b'", {"kind": "column", "index": 1}),
    ]
    shell = Shell({"frame": frame})
    body = variables_expand.expand_body(
        shell, path=[{"kind": "name", "value": "frame"}], offset=0, limit=10, budget_ms=1000
    )
    protocol.validate_reply(protocol.make_reply("r", "expand", body))
    first = body["children"][0]
    assert first["deep"] == first["retained"] == 32 and first["shape"] == "(4,) float64"
    assert body["children"][1]["deep"] > 4 * 50


def test_the_namespace_rule() -> None:
    import json

    def function() -> None:
        pass

    captured = [1.5]

    def closure() -> list[float]:
        return captured

    hidden = {"shown_again": 1, "still_hidden": json}
    ns: dict[str, Any] = {
        "data": [1],
        "_private": [2],
        "_": 3,
        "_7": 4,
        "_i7": "code",
        "In": [],
        "Out": {},
        "json": json,
        "Holder": Holder,
        "function": function,
        "closure": closure,
        "shown_again": 2,
        "still_hidden": json,
        "exit": object(),
    }
    rows, kept = variable_names.split(ns, hidden)
    assert [name for name, _ in rows] == ["data", "shown_again"]
    assert [2] in kept and closure in kept and len(kept) == 2


def test_variables_body_with_a_stand_in_shell() -> None:
    shared = [str(i) * 3 for i in range(1000)]
    ns: dict[str, Any] = {
        "a": [*shared, "x" * 100],
        "b": [*shared, "y" * 1000],
        "_hidden_alias": shared,
        "small": [1.5, 2.5],
        "Out": {1: bytearray(10_000)},
        "_": None,
    }
    body = variables_report.variables_body(Shell(ns), budget_ms=60_000, complete=["b"])
    protocol.validate_reply(protocol.make_reply("r", "variables", body))
    rows = {row["name"]: row for row in body["rows"]}
    assert set(rows) == {"a", "b", "small"}
    assert rows["b"]["retained"] - rows["a"]["retained"] == 900
    assert rows["a"]["retained"] == sys.getsizeof(ns["a"]) + sys.getsizeof("x" * 100)
    assert body["output_cache"] is not None
    assert body["output_cache"]["retained"] >= 10_000
    assert body["rows"][0]["name"] in {"a", "b"}


def test_a_cut_walk_flags_the_other_rows() -> None:
    ns = {"huge": [(i, str(i)) for i in range(500_000)], "tiny": [1.5]}
    body = variables_report.variables_body(Shell(ns), budget_ms=5)
    rows = {row["name"]: row for row in body["rows"]}
    assert rows["huge"]["partial"] and "budget" in rows["huge"]["flags"]
    assert not rows["tiny"]["partial"] and "retained_approx" in rows["tiny"]["flags"]
    assert body["partial"]


def test_interrupted_and_mutated() -> None:
    ns: dict[str, Any] = {"data": [[i] for i in range(100_000)]}
    body = variables_report.variables_body(Shell(ns), budget_ms=5000, should_stop=lambda: True)
    assert body["rows"][0]["flags"] == ["interrupted"] and body["rows"][0]["partial"]

    def rebind() -> bool:
        ns["data"] = "rebound"
        return False

    body = variables_report.variables_body(Shell(ns), budget_ms=5000, should_stop=rebind)
    assert "mutated" in body["rows"][0]["flags"]
