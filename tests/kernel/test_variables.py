"""``variables`` and ``expand`` over a real comm, in every kernel flavour (see conftest.py):
round trips, retained sizes of parts, hostile objects, budgets (the memory cap and the
timing of cells are in test_variables_limits.py).

The replies come from memlens' background thread, after the comm_msg's idle status, so
they are awaited by request id (``Kernel.ask``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Booted
from harness import Kernel
from variables_asks import ask_ok, names

from memlens.wire.protocol import validate_reply

DEMO = "list_1 = [1, 2, 3, 4]\nlist_2 = ['apple', 'banana', 'cherry', 'date']\n"


@pytest.fixture
def demo(booted: Booted) -> Iterator[Kernel]:
    """The demo notebook's two lists, and a few more things, in the booted kernel."""
    kernel = booted.kernel
    code = DEMO + (
        "import collections, dataclasses\n"
        "@dataclasses.dataclass\n"
        "class Holder:\n"
        "    name: str\n"
        "    weights: list\n"
        "data = {'apple': [1.5, 2.5, 3.5], 3: Holder('h', [0.25] * 10), (1, 'x'): None}\n"
        "items = list(range(1000, 1250))\n"
        "shared = [str(i) * 3 for i in range(2000)]\n"
        "view_1 = shared + ['a' * 50]\n"
        "view_2 = shared + ['b' * 500]\n"
        "_private = 'not a row'\n"
    )
    reply, _ = kernel.execute(code, silent=True)
    assert reply["status"] == "ok", reply
    yield kernel
    kernel.execute(
        "del list_1, list_2, data, items, shared, view_1, view_2, _private, Holder, "
        "collections, dataclasses",
        silent=True,
    )


def test_variables_round_trip(booted: Booted, comm_id: str, demo: Kernel) -> None:
    body = ask_ok(demo, comm_id, "variables", {"budget_ms": 2000, "complete": []})
    rows = names(body)
    assert rows["list_1"]["getsizeof"] == rows["list_2"]["getsizeof"] == 88
    assert rows["list_1"]["deep"] != rows["list_2"]["deep"]
    assert rows["list_1"]["deep"] == 88 + 4 * 28  # small ints: CPython's, not the list's
    assert rows["list_1"]["retained"] == 88
    assert rows["list_2"]["deep"] > rows["list_1"]["deep"]
    assert rows["list_1"]["type"] == "list" and rows["list_1"]["shape"] == "len 4"
    assert rows["data"]["expandable"] is True
    for hidden in ("_private", "Holder", "collections", "In", "Out", "get_ipython", "_"):
        assert hidden not in rows, hidden
    # Two names sharing most of their content: each retains only its own part.
    assert rows["view_1"]["deep"] > 100_000 and rows["view_2"]["deep"] > 100_000
    assert rows["view_1"]["retained"] < rows["view_1"]["deep"] / 5
    assert rows["view_2"]["retained"] - rows["view_1"]["retained"] == 450
    assert rows["shared"]["retained"] < rows["shared"]["getsizeof"] + 100
    # Sorted by retained size, largest first.
    retained = [row["retained"] for row in body["rows"]]
    assert retained == sorted(retained, reverse=True)
    cache = body["output_cache"]
    assert cache is not None and cache["name"] == "Out" and cache["type"] == "output cache"
    assert body["partial"] is False
    assert body["stats"]["objects"] > 2000 and body["stats"]["capped"] is False


def test_output_cache_row_counts_what_out_keeps(booted: Booted, comm_id: str) -> None:
    kernel = booted.kernel
    before = ask_ok(kernel, comm_id, "variables", {"budget_ms": 2000, "complete": []})
    reply, _ = kernel.execute("bytearray(3 << 20)")
    assert reply["status"] == "ok"
    after = ask_ok(kernel, comm_id, "variables", {"budget_ms": 2000, "complete": []})
    grown = after["output_cache"]["retained"] - before["output_cache"]["retained"]
    assert 3 << 20 <= grown < (3 << 20) + 4096, grown
    kernel.execute("Out.clear(); _ = __ = ___ = None", silent=True)


def test_expand_pages(booted: Booted, comm_id: str, demo: Kernel) -> None:
    args = {"offset": 0, "limit": 100, "budget_ms": 2000}
    top = ask_ok(demo, comm_id, "expand", {**args, "path": [{"kind": "name", "value": "data"}]})
    assert top["total"] == 3
    assert [child["label"] for child in top["children"]] == ["'apple'", "3", "(1, 'x')"]
    assert top["children"][0]["step"] == {"kind": "key", "index": 0}
    assert top["children"][0]["type"] == "list" and top["children"][0]["deep"] == 88 + 3 * 24

    holder = [{"kind": "name", "value": "data"}, {"kind": "key", "index": 1}]
    body = ask_ok(demo, comm_id, "expand", {**args, "path": holder})
    attributes = {child["label"]: child for child in body["children"]}
    assert set(attributes) == {".name", ".weights"}
    assert attributes[".weights"]["step"] == {"kind": "attr", "value": "weights"}

    weights = [*holder, {"kind": "attr", "value": "weights"}]
    body = ask_ok(demo, comm_id, "expand", {**args, "path": weights})
    assert body["total"] == 10 and len(body["children"]) == 10
    assert body["children"][3]["label"] == "[3]" and body["children"][3]["retained"] == 0

    path = [{"kind": "name", "value": "items"}]
    pages = [
        ask_ok(demo, comm_id, "expand", {**args, "path": path, "offset": offset})
        for offset in (0, 100, 200)
    ]
    assert [len(page["children"]) for page in pages] == [100, 100, 50]
    assert {page["total"] for page in pages} == {250}
    assert pages[2]["children"][-1]["label"] == "[249]"
    assert pages[2]["children"][-1]["step"] == {"kind": "index", "index": 249}


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ([{"kind": "name", "value": "no_such_variable"}], "no variable named"),
        ([{"kind": "name", "value": "items"}, {"kind": "index", "index": 250}], "out of range"),
        ([{"kind": "name", "value": "items"}, {"kind": "key", "index": 0}], "has no entries"),
        ([{"kind": "name", "value": "items"}, {"kind": "column", "index": 0}], "no columns"),
        ([{"kind": "name", "value": "data"}, {"kind": "index", "index": 0}], "no items"),
        (
            [
                {"kind": "name", "value": "data"},
                {"kind": "key", "index": 1},
                {"kind": "attr", "value": "nope"},
            ],
            "no attribute 'nope'",
        ),
        ([{"kind": "name", "value": "data"}, {"kind": "key", "index": 3}], "out of range"),
    ],
)
def test_bad_paths_get_error_replies(
    booted: Booted, comm_id: str, demo: Kernel, path: list[dict[str, Any]], message: str
) -> None:
    args = {"path": path, "offset": 0, "limit": 10, "budget_ms": 500}
    reply, _ = demo.ask(comm_id, "expand", args)
    assert validate_reply(reply) == reply
    assert reply["ok"] is False
    assert reply["error"]["code"] == "bad_request"
    assert message in reply["error"]["message"], reply["error"]["message"]
    assert demo.manager.is_alive()
    assert demo.request(comm_id, "hello")["ok"] is True
    assert "Traceback" not in demo.stderr()


# -- a child's retained size: what removing it from its parent frees, the namespace living on


def traced(kernel: Kernel, name: str, expression: str) -> int:
    """Bind ``name`` to ``expression`` in the kernel; return the bytes tracemalloc saw
    allocated (and still alive) while it was built: what the object keeps alive."""
    code = (
        "import tracemalloc as _memlens_tm\n"
        "_memlens_tm.start()\n"
        f"{name} = {expression}\n"
        "_memlens_truth = _memlens_tm.get_traced_memory()[0]\n"
        "_memlens_tm.stop()\n"
        "del _memlens_tm\n"
    )
    reply, _ = kernel.execute(code, silent=True)
    assert reply["status"] == "ok", reply
    truth = int(kernel.evaluate({"truth": "_memlens_truth"})["truth"])
    kernel.execute("del _memlens_truth", silent=True)
    assert truth > 3_000_000, truth
    return truth


def expand(kernel: Kernel, comm_id: str, *path: dict[str, Any]) -> dict[str, Any]:
    args = {"path": list(path), "offset": 0, "limit": 100, "budget_ms": 10_000}
    body: dict[str, Any] = ask_ok(kernel, comm_id, "expand", args)
    assert body["partial"] is False, body
    return body


def near(measured: int, truth: int) -> bool:
    return abs(measured - truth) <= 0.05 * truth


SHARED_AT_MOST = 300
"""Bytes a child held elsewhere too may still retain."""


def test_a_child_another_variable_holds_retains_nothing(booted: Booted, comm_id: str) -> None:
    kernel = booted.kernel
    truth = traced(kernel, "_memlens_second", "list(range(100_000))")
    code = "big = [list(range(100_000)), _memlens_second]\nkeep = big[0]\ndel _memlens_second"
    reply, _ = kernel.execute(code, silent=True)
    assert reply["status"] == "ok", reply
    try:
        body = expand(kernel, comm_id, {"kind": "name", "value": "big"})
        first, second = body["children"]
        assert first["deep"] > 3_000_000
        assert first["retained"] <= SHARED_AT_MOST, first
        assert "retained_approx" not in first["flags"]
        assert near(second["retained"], truth), (second, truth)
    finally:
        kernel.execute("del big, keep", silent=True)


def test_a_nested_child_held_elsewhere_retains_nothing(booted: Booted, comm_id: str) -> None:
    """By another variable (``alias``) or by another part of a container higher up the
    path (``outer["b"]``)."""
    kernel = booted.kernel
    truth = traced(kernel, "_memlens_y", "list(range(100_000))")
    code = (
        "_memlens_z = list(range(100_000))\n"
        "outer = {'a': [list(range(100_000)), _memlens_y, _memlens_z], 'b': [_memlens_z]}\n"
        "alias = outer['a'][0]\n"
        "del _memlens_y, _memlens_z\n"
    )
    reply, _ = kernel.execute(code, silent=True)
    assert reply["status"] == "ok", reply
    try:
        path = [{"kind": "name", "value": "outer"}, {"kind": "key", "index": 0}]
        body = expand(kernel, comm_id, *path)
        x, y, z = body["children"]
        assert x["deep"] > 3_000_000 and z["deep"] > 3_000_000
        assert x["retained"] <= SHARED_AT_MOST, x
        assert z["retained"] <= SHARED_AT_MOST, z
        assert near(y["retained"], truth), (y, truth)
    finally:
        kernel.execute("del outer, alias", silent=True)


def test_a_child_the_output_cache_holds_retains_nothing(booted: Booted, comm_id: str) -> None:
    """A child that is also ``Out[n]`` (and ``_n``, ``_``) retains nothing; expanding the
    output cache itself, its entry retains the whole object (``Out[n]`` and ``_n`` are one
    entry of one cache)."""
    kernel = booted.kernel
    code = "pair = [list(range(100_000)), list(range(100_000))]"
    reply, _ = kernel.execute(code, silent=True)
    assert reply["status"] == "ok", reply
    reply, _ = kernel.execute("pair[1]")
    assert reply["status"] == "ok", reply
    count = reply["execution_count"]
    try:
        body = expand(kernel, comm_id, {"kind": "name", "value": "pair"})
        first, second = body["children"]
        assert near(first["retained"], first["deep"]), first
        assert second["deep"] > 3_000_000
        assert second["retained"] <= SHARED_AT_MOST, second

        kernel.execute("del pair", silent=True)
        body = expand(kernel, comm_id, {"kind": "name", "value": "Out"})
        entry = {child["label"]: child for child in body["children"]}[str(count)]
        assert entry["deep"] > 3_000_000
        assert near(entry["retained"], entry["deep"]), entry
    finally:
        kernel.execute(
            f"Out.clear(); _ = __ = ___ = None; pair = None; del pair, _{count}", silent=True
        )


def test_another_name_for_the_container_shares_nothing(booted: Booted, comm_id: str) -> None:
    """``b = a``: removing a child from the one list frees it, whatever names it has."""
    kernel = booted.kernel
    truth = traced(kernel, "_memlens_first", "list(range(100_000))")
    code = "a = [_memlens_first, list(range(100_000))]\nb = a\ndel _memlens_first"
    reply, _ = kernel.execute(code, silent=True)
    assert reply["status"] == "ok", reply
    try:
        body = expand(kernel, comm_id, {"kind": "name", "value": "a"})
        first, second = body["children"]
        assert near(first["retained"], truth), (first, truth)
        assert near(second["retained"], second["deep"]), second
        assert second["retained"] > 3_000_000
    finally:
        kernel.execute("del a, b", silent=True)


def test_hostile_objects_give_flagged_rows(booted: Booted, comm_id: str) -> None:
    kernel = booted.kernel
    code = (
        "class Hostile:\n"
        "    def __sizeof__(self): raise RuntimeError('no')\n"
        "    def __getattr__(self, name): raise RuntimeError(name)\n"
        "class Negative:\n"
        "    def __sizeof__(self): return -1\n"
        "class Selfish:\n"
        "    def __getattr__(self, name): return self\n"
        "hostile = [Hostile(), Negative(), Selfish()]\n"
        "raising = Hostile()\n"
        "deep_nest = []\n"
        "for _memlens_i in range(100_000): deep_nest = [deep_nest]\n"
    )
    reply, _ = kernel.execute(code, silent=True)
    assert reply["status"] == "ok", reply
    try:
        # A budget no walk here can reach: each row gets an equal share of it, and the
        # session's kernel may hold many rows from earlier tests (with 5 s, 30 rows left
        # the 100,000-deep walk ~0.17 s: cut short at ~87,000 levels on a loaded machine).
        body = ask_ok(kernel, comm_id, "variables", {"budget_ms": 600_000, "complete": []})
        rows = names(body)
        assert {"sizeof_raised", "sizeof_negative"} <= set(rows["hostile"]["flags"])
        assert rows["raising"]["getsizeof"] is None
        assert {"sizeof_raised", "getattr_hostile"} <= set(rows["raising"]["flags"])
        nest = rows["deep_nest"]
        assert "deep_nesting" in nest["flags"], nest
        assert nest["partial"] is False and "budget" not in nest["flags"], (nest, len(rows))
        assert nest["deep"] == 100_001 * 64 - 8
        path = [{"kind": "name", "value": "raising"}]
        page = ask_ok(
            kernel, comm_id, "expand", {"path": path, "offset": 0, "limit": 5, "budget_ms": 200}
        )
        assert page["total"] == 0
    finally:
        kernel.execute(
            "del Hostile, Negative, Selfish, hostile, raising, deep_nest, _memlens_i", silent=True
        )
    assert kernel.manager.is_alive()


def test_a_budget_gives_partial_rows(booted: Booted, comm_id: str) -> None:
    kernel = booted.kernel
    kernel.execute("many = [(i, str(i)) for i in range(1_000_000)]", silent=True)
    try:
        started = time.monotonic()
        body = ask_ok(kernel, comm_id, "variables", {"budget_ms": 20, "complete": []})
        waited = time.monotonic() - started
        row = names(body)["many"]
        assert row["partial"] is True and "budget" in row["flags"]
        assert body["partial"] is True
        assert waited < 2.0, waited
        body = ask_ok(kernel, comm_id, "variables", {"budget_ms": 10_000, "complete": ["many"]})
        row = names(body)["many"]
        assert row["partial"] is False and row["flags"] == []
        assert row["deep"] > 100_000_000
    finally:
        kernel.execute("del many", silent=True)
