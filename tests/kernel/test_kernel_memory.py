"""``kernel_memory`` and ``free_memory`` over a real comm, in every kernel flavour: the
parts of RSS checked against what psutil sees from outside the kernel (issue #13).

Each test measures a change: a part before and after a cell, against the RSS change an
outside observer sees, so memory other tests left in the session's kernel cancels out.
"""

from __future__ import annotations

from typing import Any

from conftest import Booted
from harness import Kernel
from recording import outside_rss
from variables_asks import ask_ok

MiB = 1 << 20


def breakdown(kernel: Kernel, comm_id: str) -> dict[str, Any]:
    body: dict[str, Any] = ask_ok(kernel, comm_id, "kernel_memory", {"budget_ms": 20_000})
    assert sum(body["parts"].values()) == body["rss"], body
    assert body["lower_bounds"] == [], body
    return body


def free(kernel: Kernel, comm_id: str, action: str) -> dict[str, Any]:
    body: dict[str, Any] = ask_ok(kernel, comm_id, "free_memory", {"action": action})
    assert body["action"] == action and body["available"] is True, body
    return body


def close(a: int, b: int, *, rel: float = 0.05, floor: int = 4 * MiB) -> bool:
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), floor)


def run(kernel: Kernel, code: str) -> list[dict[str, Any]]:
    reply, iopub = kernel.execute(code)
    assert reply["status"] == "ok", reply
    return iopub


def test_the_parts_add_up_to_the_rss_psutil_sees(booted: Booted, comm_id: str) -> None:
    kernel = booted.kernel
    before = outside_rss(kernel)
    body = breakdown(kernel, comm_id)
    after = outside_rss(kernel)
    assert min(before, after) * 0.95 <= body["rss"] <= max(before, after) * 1.05, (
        before,
        body["rss"],
        after,
    )
    assert body["parts"]["libraries_and_code"] > 5 * MiB, "the interpreter's own code"
    assert body["parts"]["gpu_runtime"] == 0, "no GPU runtime in a test kernel"


def test_a_500_mib_array_lands_in_the_variables_part(booted: Booted, comm_id: str) -> None:
    kernel = booted.kernel
    numpy = kernel.evaluate({"n": "__import__('importlib.util').util.find_spec('numpy')"})
    make = (
        "import numpy as _np\nbig = _np.ones(500 * 2**20 // 8)\ndel _np"
        if numpy["n"] != "None"
        else "big = bytearray(b'\\x01') * (500 * 2**20)"  # ipykernel 6's venv has no numpy
    )
    start = breakdown(kernel, comm_id)
    rss_start = outside_rss(kernel)
    run(kernel, make)
    rss_rise = outside_rss(kernel) - rss_start
    end = breakdown(kernel, comm_id)
    grew = {part: end["parts"][part] - start["parts"][part] for part in end["parts"]}
    assert rss_rise > 480 * MiB, rss_rise
    assert close(grew["variables"], rss_rise), (grew, rss_rise)
    assert close(grew["variables"], 500 * MiB), grew
    for part in ("output_cache", "allocators_free", "rest"):
        assert abs(grew[part]) < 0.05 * rss_rise, (part, grew)
    run(kernel, "del big")


def test_a_result_pinned_by_out_is_the_output_caches_and_clearing_gives_it_back(
    booted: Booted, comm_id: str
) -> None:
    kernel = booted.kernel
    start = breakdown(kernel, comm_id)
    run(kernel, "memoryview(bytearray(100 * 2**20))")  # a short repr, 100 MiB behind it
    pinned = breakdown(kernel, comm_id)
    grew = pinned["parts"]["output_cache"] - start["parts"]["output_cache"]
    assert close(grew, 100 * MiB, floor=MiB), grew
    assert close(pinned["parts"]["variables"], start["parts"]["variables"], floor=2 * MiB)

    count_before = kernel.state()
    rss_before = outside_rss(kernel)
    seen = len(kernel.pending)
    cleared = free(kernel, comm_id, "clear_output_cache")
    rss_drop = rss_before - outside_rss(kernel)
    # Whatever the action printed has arrived by this silent execute's idle status.
    _, quiet = kernel.execute("pass", silent=True)
    printed = [m for m in kernel.pending[seen:] + quiet if m["msg_type"] == "stream"]
    assert printed == [], "clearing prints nothing (%reset -f out would say 'Flushing')"
    assert close(cleared["gave_back"], 100 * MiB), cleared
    assert close(cleared["gave_back"], rss_drop), (cleared, rss_drop)
    assert cleared["cleared"] >= 1
    after = kernel.state()
    assert after.get("execution_count") == count_before.get("execution_count"), (
        count_before,
        after,
    )
    assert kernel.evaluate({"n": "len(Out)"})["n"] == "0"
    gone = breakdown(kernel, comm_id)
    assert gone["parts"]["output_cache"] < 1 * MiB, gone


SEED = """
_survivors, _blocks = [], []
for _i in range(1_200_000):
    _blocks.append(f"{_i:07d} GET /api/v2/items/{_i * 7919 % 100_000:05d} " + "x" * 80)
    if _i % 20_000 == 19_999:
        _survivors.append(_blocks[-1].upper())
"""
"""The demo's puzzle: many small strings (pymalloc's) with a few survivors made among
them; deleting the strings leaves pymalloc's arenas pinned by the survivors."""


def test_the_seed_experiments_leftover_is_the_allocators(booted: Booted, comm_id: str) -> None:
    kernel = booted.kernel
    start = breakdown(kernel, comm_id)
    rss_start = outside_rss(kernel)
    run(kernel, SEED)
    run(kernel, "del _blocks, _i")
    leftover = outside_rss(kernel) - rss_start
    end = breakdown(kernel, comm_id)
    grew = {part: end["parts"][part] - start["parts"][part] for part in end["parts"]}
    assert leftover > 40 * MiB, f"RSS stays up after del: {leftover / MiB:.0f} MiB"
    assert close(grew["allocators_free"], leftover, rel=0.1), (grew, leftover)
    assert abs(grew["variables"]) < 2 * MiB, grew
    run(kernel, "del _survivors")


FRAGMENT = "_frag = [b'x' * (1024 + i % 3072) for i in range(200_000)]\n_frag = _frag[::8]"
"""Drop 7 of every 8 malloc'd blocks: glibc keeps the holes until a trim."""


def test_trim_reports_the_rss_drop_an_outside_observer_sees(booted: Booted, comm_id: str) -> None:
    kernel = booted.kernel
    run(kernel, FRAGMENT)
    held = breakdown(kernel, comm_id)
    assert held["trim_can_return"] > 300 * MiB, held
    rss_before = outside_rss(kernel)
    trimmed = free(kernel, comm_id, "trim")
    rss_drop = rss_before - outside_rss(kernel)
    assert rss_drop > 200 * MiB, rss_drop
    assert close(trimmed["gave_back"], rss_drop), (trimmed, rss_drop)
    after = breakdown(kernel, comm_id)
    assert after["parts"]["allocators_free"] < held["parts"]["allocators_free"] - 200 * MiB
    run(kernel, "del _frag")


CYCLE = """
_a = [__import__('mmap').mmap(-1, 50 * 2**20)]
for _i in range(0, 50 * 2**20, 4096):
    _a[0][_i] = 1
_a.append(_a)
del _a, _i
"""
"""50 MiB only a reference cycle keeps alive, in a mapping of its own (a buffer from
malloc could land in a free chunk of its heap and stay resident when freed)."""


def test_collect_reports_what_it_found(booted: Booted, comm_id: str) -> None:
    kernel = booted.kernel
    # The kernel's own allocations would trigger the automatic collection before the action.
    run(kernel, "__import__('gc').disable()")
    try:
        run(kernel, CYCLE)
        rss_before = outside_rss(kernel)
        collected = free(kernel, comm_id, "collect")
        rss_drop = rss_before - outside_rss(kernel)
    finally:
        run(kernel, "__import__('gc').enable()")
    assert collected["collected"] >= 1, collected
    assert close(collected["gave_back"], 50 * MiB), collected
    assert close(collected["gave_back"], rss_drop), (collected, rss_drop)


RAISES = """
def _fails():
    big = bytearray(b"x") * (80 * 2**20)
    raise ValueError("the traceback keeps big alive")
_fails()
"""


def test_what_only_the_last_error_keeps_is_the_last_exceptions(
    booted: Booted, comm_id: str
) -> None:
    kernel = booted.kernel
    start = breakdown(kernel, comm_id)
    reply, _ = kernel.execute(RAISES)
    assert reply["status"] == "error", reply
    end = breakdown(kernel, comm_id)
    grew = end["parts"]["last_exception"] - start["parts"]["last_exception"]
    assert close(grew, 80 * MiB, floor=MiB), (start["parts"], end["parts"])
    assert close(end["parts"]["variables"], start["parts"]["variables"], floor=2 * MiB)
    run(kernel, "del _fails")
