"""memlens.sizing against ground truth (:mod:`sizing_truth`): deep and retained sizes
must be within 5 % of what tracemalloc saw allocated on each of the issue's cases;
numpy and pandas data; the public API; fences and reports."""

from __future__ import annotations

import gc
import sys
from typing import Any, Callable

import pytest
from sizing_truth import CASES, Plain, Point, built, close, need

import memlens
from memlens.sizing import FENCED, Report, RootSizes, deep_size, measure, retained_sizes


def one(obj: object, **options: Any) -> RootSizes:
    return measure([[obj]], **options).roots[0]


@pytest.mark.parametrize("name", list(CASES))
def test_deep_and_retained_sizes_match_tracemalloc(name: str) -> None:
    obj, truth = built(CASES[name])
    sizes = one(obj)
    assert not sizes.partial
    assert close(sizes.deep, truth), (sizes, truth)
    assert close(sizes.retained, truth), (sizes, truth)
    assert deep_size(obj) == sizes.deep
    assert retained_sizes({"it": obj}) == {"it": sizes.retained}


def test_one_string_referenced_100_000_times() -> None:
    text, text_bytes = built(lambda: "payload-" * 1000)
    many, list_bytes = built(lambda: [text] * 100_000)
    sizes = one(many)
    assert close(sizes.deep, text_bytes + list_bytes), sizes
    assert sizes.objects == 2
    assert retained_sizes({"many": many, "text": text}) == {
        "many": sys.getsizeof(many),
        "text": 0,
    }


def test_two_variables_sharing_most_content_retain_their_own_parts() -> None:
    shared = [str(i) * 5 for i in range(100_000)]
    first, first_own = built(lambda: [*shared, *(str(i) * 7 for i in range(10_000))])
    second, second_own = built(lambda: [*shared, *(str(i) * 9 for i in range(10_000))])
    retained = retained_sizes({"first": first, "second": second})
    assert close(retained["first"], first_own), (retained, first_own)
    assert close(retained["second"], second_own), (retained, second_own)
    assert deep_size(first) > 5 * retained["first"]


def test_names_bound_to_one_object_retain_nothing() -> None:
    data = [str(i) for i in range(1000)]
    assert retained_sizes({"a": data, "b": data}) == {"a": 0, "b": 0}
    assert retained_sizes({"a": data}) == {"a": deep_size(data)}


def test_the_demo_lists() -> None:
    list_1 = [1, 2, 3, 4]
    list_2 = ["apple", "banana", "cherry", "date"]
    assert sys.getsizeof(list_1) == sys.getsizeof(list_2) == 88
    report = measure([[list_1], [list_2]])
    assert report.roots[0].deep == 88 + 4 * 28
    assert report.roots[0].retained == 88, "small ints are CPython's, freeing the list keeps them"
    assert report.roots[1].deep == 88 + sum(sys.getsizeof(word) for word in list_2)


def test_numpy_arrays_views_and_object_arrays() -> None:
    np = need("numpy")
    array, truth = built(lambda: np.arange(1_000_000, dtype=np.float64))
    assert close(deep_size(array), truth)
    view = array[::2]
    sizes = measure([[array], [view]]).roots
    assert sizes[1].deep == sys.getsizeof(view) + sys.getsizeof(array), "deep: with its base"
    assert sizes[1].retained == sys.getsizeof(view), "a view retains its header only"
    assert sizes[0].retained == 0, "the view keeps the buffer: deleting the owner frees nothing"
    alone = one(array[10:20])
    assert close(alone.deep, truth) and close(alone.retained, truth), "a lone view keeps its base"
    objects, truth = built(lambda: np.array([str(i) * 3 for i in range(100_000)], dtype=object))
    assert close(deep_size(objects), truth)
    grid, truth = built(lambda: np.array([[str(i), i * 0.5] for i in range(50_000)], dtype=object))
    assert close(deep_size(grid), truth)
    assert close(deep_size(grid.T), truth + sys.getsizeof(grid.T)), "a transposed view"


def test_pandas_frames_with_object_string_and_category_columns() -> None:
    np = need("numpy")
    pd = need("pandas")

    def frame() -> Any:
        rows = 100_000
        return pd.DataFrame(
            {
                "number": np.arange(rows, dtype=np.float64),
                "object": pd.Series([f"o{i}" for i in range(rows)], dtype=object),
                "string": pd.array([f"s{i}" for i in range(rows)], dtype="string"),
                "category": pd.Categorical([("red", "green", "blue")[i % 3] for i in range(rows)]),
            }
        )

    df, truth = built(frame)
    sizes = one(df)
    assert close(sizes.deep, truth), (sizes, truth)
    assert close(sizes.retained, truth), (sizes, truth)
    # Object columns count a string held by many rows once (pandas' deep memory_usage
    # counts it per row).
    repeated = pd.DataFrame({"tag": ["the same long text" * 10] * 100_000}, dtype=object)
    assert deep_size(repeated) < repeated.memory_usage(deep=True).sum() / 10


# -- the API ---------------------------------------------------------------------------------


def test_public_api_is_exported() -> None:
    assert memlens.deep_size is deep_size
    assert memlens.retained_sizes is retained_sizes
    assert memlens.measure is measure
    assert "deep_size" in memlens.__all__ and "retained_sizes" in memlens.__all__


def test_program_structure_is_not_data() -> None:
    things = [sys, len, int, test_public_api_is_exported, deep_size.__code__, Point.__init__]
    assert deep_size(things) == sys.getsizeof(things)
    assert deep_size(sys) == 0
    assert deep_size(Point) == 0


def test_dict_keys_count_and_instance_dicts_stay_unmade() -> None:
    data = {"key-" + str(i): bytes([i]) * 100 for i in range(10)}
    parts = sum(sys.getsizeof(key) + sys.getsizeof(value) for key, value in data.items())
    expected = sys.getsizeof(data) + parts
    assert deep_size(data) == expected
    holder = Plain(5000)
    deep_size(holder)
    if sys.version_info >= (3, 11):
        assert not any(isinstance(r, dict) for r in gc.get_referents(holder)), "__dict__ was made"


@pytest.mark.parametrize(
    "make_key",
    [
        lambda i: 10**20 + i,
        lambda i: i + 0.5,
        lambda i: b"key %d" % i,
    ],
    ids=["big ints", "floats", "bytes"],
)
def test_keys_the_gc_reports_too_count_once(make_key: Callable[[int], Any]) -> None:
    # Keys that are not all strings come from gc.get_referents and from dict.keys alike.
    # No other list may hold the keys: the bug counted a key its dict alone holds twice.
    records = [{make_key(i): None for i in range(n, n + 3)} for n in range(0, 3000, 3)]
    expected = sys.getsizeof(records) + sum(map(sys.getsizeof, records)) + sys.getsizeof(None)
    expected += sum(deep_size(key) for record in records for key in record)  # none shared
    assert deep_size(records) == expected


def test_a_fence_stops_the_walk_and_flags_the_roots_that_reach_it() -> None:
    parent: list[Any] = []
    child = [parent, "x" * 1000]  # refers back to its container
    other = ["y" * 1000]
    parent += [child, other, "z" * 5000]
    fenced = measure([[child], [other]], fence=[parent])
    assert fenced.roots[0].flags == [FENCED]
    assert fenced.roots[1].flags == []
    assert fenced.roots[0].deep == sys.getsizeof(child) + sys.getsizeof("x" * 1000)
    assert fenced.roots[0].retained == fenced.roots[0].deep
    whole = measure([[child]])
    assert whole.roots[0].deep == deep_size(parent)
    assert not whole.roots[0].flags


def test_report_counts_and_repr() -> None:
    report = measure([[[1.5, 2.5]], [[3.5]]])
    assert isinstance(report, Report)
    assert [root.objects for root in report.roots] == [3, 2]
    assert report.objects == 5 and not report.partial and not report.capped
    assert "RootSizes(deep=" in repr(report)
    assert report.roots[0] == RootSizes(120, 120, 3)
