"""``kernel_memory``'s ``native_pools`` part in a real kernel, over the comm: pyarrow's
pool bytes held outside the variables are the part, against pyarrow's own counter read in
the kernel; a variable's arrow array stays the variables' alone (never counted twice)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from recording import Recording, recording_session
from variables_asks import ask_ok

MB = 1_000_000


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recording]:
    yield from recording_session(tmp_path_factory)


def breakdown(recording: Recording) -> dict[str, Any]:
    body: dict[str, Any] = ask_ok(
        recording.kernel, recording.comm, "kernel_memory", {"budget_ms": 20_000}
    )
    assert sum(body["parts"].values()) == body["rss"], body
    assert body["lower_bounds"] == [], body
    return body


def pool(recording: Recording) -> int:
    return int(recording.kernel.evaluate({"p": "pa.total_allocated_bytes()"})["p"])


def test_the_pools_part_against_pyarrows_counter(recording: Recording) -> None:
    spec = "__import__('importlib.util').util.find_spec('pyarrow')"
    if recording.kernel.evaluate({"a": spec})["a"] == "None":
        pytest.skip("pyarrow is not installed in the kernel")
    recording.run("import pyarrow as pa")
    start, pool_start = breakdown(recording), pool(recording)
    # Held by a module's globals (a library's cache, say): no variable reaches it.
    recording.run(
        "import sys, types\n"
        "sys.modules['pool_cache'] = types.ModuleType('pool_cache')\n"
        "sys.modules['pool_cache'].held = pa.array(range(10**7))"
    )
    cached, pool_cached = breakdown(recording), pool(recording)
    assert pool_cached - pool_start >= 80 * MB
    grew = cached["parts"]["native_pools"] - start["parts"]["native_pools"]
    assert abs(grew - (pool_cached - pool_start)) <= 0.01 * (pool_cached - pool_start), grew
    # A variable's array: the variables' part grows, the pools' part does not.
    recording.run("arr = pa.array(range(10**7))")
    held = breakdown(recording)
    variables = held["parts"]["variables"] - cached["parts"]["variables"]
    pools = held["parts"]["native_pools"] - cached["parts"]["native_pools"]
    assert abs(variables - 80 * MB) < 2 * MB, variables
    assert abs(pools) < MB, pools
    recording.run("del arr, sys.modules['pool_cache']")
    after = breakdown(recording)
    assert abs(after["parts"]["native_pools"] - start["parts"]["native_pools"]) < MB
