"""Issue #9 in real kernels: a cell record's output-cache pin says whether it is complete
and is completed in the background; child processes' memory is its own field; named
native pools. Truth: the kernel's own deep_size with no budget, the children's sizes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from recording import MiB, Recording, recording_session

from memlens.magics import format_readout


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recording]:
    """A fresh kernel for this module's tests (memlens installed)."""
    yield from recording_session(tmp_path_factory)


def record_of(recording: Recording, seq: int) -> dict[str, Any]:
    body = recording.records(after=seq - 1)
    found = [record for record in body["records"] if record["seq"] == seq]
    assert found, body
    return found[0]


def test_a_fork_child_is_seen(recording: Recording) -> None:
    """First in the module, in a small kernel: ru_maxrss is a running maximum over the
    kernel's life, and a fork child's includes the kernel's pages it shares (see
    memlens/cells/children.py); the next test's child must peak above this one."""
    record, _ = recording.run(
        "import os\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    block = bytearray(300 * 2**20)\n"
        "    os._exit(0)\n"
        "os.waitpid(pid, 0)\n"
        "del pid"
    )
    assert record["children_peak"] >= 300 * MiB, record
    assert record["rss_peak"] - record["rss_before"] < 50 * MiB, "not the kernel's RSS"
    assert "child processes peak" in format_readout(record)  # type: ignore[arg-type]


def test_a_subprocess_filling_500_mb_is_seen(recording: Recording) -> None:
    record, _ = recording.run(
        "import subprocess, sys\n"
        "subprocess.run([sys.executable, '-c', 'b = bytearray(500 * 2**20)'], check=True)"
    )
    assert 500 * MiB <= record["children_peak"] <= 600 * MiB, record
    assert record["rss_after"] - record["rss_before"] < 50 * MiB


def test_a_multiprocessing_pool_still_alive_is_summed(recording: Recording) -> None:
    record, _ = recording.run(
        "import multiprocessing, time\n"
        "def fill(n):\n"
        "    global block\n"
        "    block = bytearray(n)\n"
        "    time.sleep(1)\n"
        "    return n\n"
        "pool = multiprocessing.get_context('fork').Pool(2)\n"
        "pool.map(fill, [200 * 2**20] * 2, chunksize=1)"
    )
    try:
        assert record["children_peak"] >= 400 * MiB, record
    finally:
        recording.run("pool.terminate(); pool.join(); del pool, fill")


def test_no_children_reads_zero(recording: Recording) -> None:
    record, _ = recording.run("x = 1")
    assert record["children_peak"] == 0


def test_pyarrow_pool_is_named(recording: Recording) -> None:
    pytest.importorskip("pyarrow")
    recording.run("import pyarrow as pa")
    record, _ = recording.run("arr = pa.array(range(5_000_000))")
    assert record["native_pools"] is not None
    assert record["native_pools"]["pyarrow"] >= 5_000_000 * 8, record
    assert "pyarrow pool" in format_readout(record)  # type: ignore[arg-type]
    recording.run("del arr")


# -- the output cache (last: its big results raise the kernel RSS a fork child copies) --


def test_a_big_result_is_marked_incomplete_then_completed(recording: Recording) -> None:
    # ~3 M distinct str objects: far more than the cell's 5 ms budget can walk.
    record, _ = recording.run("[str(i) * 4 for i in range(3_000_000)]")
    assert record["output_cache_complete"] is False, record
    partial = record["output_cache_delta"]
    assert "Out pins \u2265" in format_readout(record) or partial < MiB  # type: ignore[arg-type]
    truth = int(
        recording.kernel.evaluate({"t": "__import__('memlens').deep_size(Out[max(Out)])"})["t"]
    )
    assert partial < truth
    deadline = time.monotonic() + 60
    done = record
    while time.monotonic() < deadline:
        done = record_of(recording, record["seq"])
        if done["output_cache_complete"]:
            break
        time.sleep(0.5)
    assert done["output_cache_complete"] is True, done
    assert abs(done["output_cache_delta"] - truth) <= 0.01 * truth, (done, truth)
    # Released by %reset -f out: the complete size, complete.
    reset, _ = recording.run("%reset -f out")
    assert reset["output_cache_complete"] is True, reset
    assert abs(reset["output_cache_delta"] + truth) <= 0.01 * truth, (reset, truth)


def test_a_small_result_is_complete_at_once(recording: Recording) -> None:
    record, _ = recording.run("list(range(10))")
    assert record["output_cache_complete"] is True
    assert 0 < record["output_cache_delta"] < 4096


def test_a_released_lower_bound_is_not_complete(recording: Recording) -> None:
    """Released before the background walk finished: what left is a lower bound."""
    record, _ = recording.run("[str(i) * 4 for i in range(3_000_000)]")
    assert record["output_cache_complete"] is False
    reset, _ = recording.run("%reset -f out")  # the cell start stops the completion
    assert reset["output_cache_complete"] is False, reset
    assert "\u2265" in format_readout(reset) or abs(reset["output_cache_delta"]) < MiB  # type: ignore[arg-type]
