"""The ``native_pools`` part of ``memlens.kernel_memory()``: the bytes of pyarrow's pool
that no other part counts, against pyarrow's own counter; never counted twice."""

from __future__ import annotations

import sys
import types

import pytest

import memlens
from memlens.libraries.pools import unclaimed

MB = 1_000_000


def test_unclaimed_takes_out_every_buffer_not_numpys() -> None:
    assert unclaimed(None, {}, True) == (0, False)
    assert unclaimed({"pyarrow": 100}, {"pyarrow": 60, "numpy": 500}, True) == (40, False)
    assert unclaimed({"pyarrow": 100}, {"pyarrow": 60, "polars": 30}, True) == (10, True)
    assert unclaimed({"pyarrow": 100}, {"pyarrow": 160}, True) == (0, False)
    assert unclaimed({"pyarrow": 100}, {}, False) == (0, True), "a cut walk says nothing"


def _held_outside_the_variables(value: object) -> types.ModuleType:
    module = types.ModuleType("_memlens_test_pool_cache")
    module.held = value  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module  # module globals are not a variable's
    return module


def test_a_pool_buffer_held_outside_the_variables_is_the_pools_part() -> None:
    pa = pytest.importorskip("pyarrow")
    before = memlens.kernel_memory()
    pool_before = pa.total_allocated_bytes()
    _held_outside_the_variables(pa.array(range(10**7)))
    try:
        found = memlens.kernel_memory()
        pool_grew = pa.total_allocated_bytes() - pool_before
    finally:
        del sys.modules["_memlens_test_pool_cache"]
    assert pool_grew >= 80 * MB
    grew = found["parts"]["native_pools"] - before["parts"]["native_pools"]
    assert abs(grew - pool_grew) <= 0.01 * pool_grew, (grew, pool_grew)
    variables = found["parts"]["variables"] - before["parts"]["variables"]
    assert abs(variables) < 4 * MB, "not the variables'"
    assert "native_pools" not in found["lower_bounds"]
    assert sum(found["parts"].values()) == found["rss"]


def test_a_pool_buffer_a_variable_holds_is_counted_once() -> None:
    pa = pytest.importorskip("pyarrow")
    main = sys.modules["__main__"].__dict__
    before = memlens.kernel_memory()
    main["_memlens_test_pool_var"] = pa.array(range(10**7))
    try:
        found = memlens.kernel_memory()
    finally:
        del main["_memlens_test_pool_var"]
    variables = found["parts"]["variables"] - before["parts"]["variables"]
    pools = found["parts"]["native_pools"] - before["parts"]["native_pools"]
    assert abs(variables - 80 * MB) < 2 * MB, variables
    assert abs(pools) < 1 * MB, "the buffer is the variables' already"


def test_a_cut_walk_leaves_the_part_at_zero_as_a_lower_bound() -> None:
    pa = pytest.importorskip("pyarrow")
    _held_outside_the_variables(pa.array(range(10**6)))
    main = sys.modules["__main__"].__dict__
    main["_memlens_test_rows"] = [[str(i) * 5 for i in range(50)] for _ in range(20_000)]
    try:
        found = memlens.kernel_memory(budget_s=0.000_001)
    finally:
        del main["_memlens_test_rows"], sys.modules["_memlens_test_pool_cache"]
    assert found["parts"]["native_pools"] == 0
    assert "native_pools" in found["lower_bounds"] and found["rest_is_upper_bound"]
    assert sum(found["parts"].values()) == found["rss"]
