"""Child processes in a real kernel (issue #9): a later child that peaks below an earlier
one is still seen per cell (sampled), a live pool's workers are summed, and none of it is
the kernel's own RSS. Truth: the sizes the children allocate (bytearrays, written)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from recording import MiB, Recording, start_recording


@pytest.fixture(scope="module", params=["installed", "ipykernel6"])
def recording(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Recording]:
    """A fresh kernel (memlens installed, or injected into ipykernel 6): ru_maxrss starts
    from this module's children."""
    session = start_recording(request.param, tmp_path_factory.mktemp("children"))
    try:
        yield session
    finally:
        session.kernel.stop()


def child(size_mib: int, seconds: float) -> str:
    """A cell that runs a subprocess holding ``size_mib`` MiB for ``seconds``."""
    code = f"import time; b = bytearray({size_mib} * 2**20); time.sleep({seconds})"
    return f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {code!r}], check=True)"


def test_a_later_smaller_child_is_seen(recording: Recording) -> None:
    first, _ = recording.run(child(300, 0.2))
    assert first["children_peak"] >= 300 * MiB, first
    second, _ = recording.run(child(150, 1.0))
    # ru_maxrss did not rise (300 MiB before): only the sampled sum sees this one.
    assert 140 * MiB <= second["children_peak"] < 290 * MiB, second
    for record in (first, second):
        assert record["rss_after"] - record["rss_before"] < 50 * MiB, record
        assert record["rss_peak"] - record["rss_before"] < 50 * MiB, "not the kernel's RSS"


def test_a_live_pool_counts_both_workers(recording: Recording) -> None:
    record, _ = recording.run(
        "import multiprocessing, time\n"
        "def fill(n):\n"
        "    global block\n"
        "    block = bytearray(n)\n"
        "    time.sleep(0.5)  # the other task goes to the other worker\n"
        "    return n\n"
        "pool = multiprocessing.get_context('fork').Pool(2)\n"
        "pool.map(fill, [100 * 2**20] * 2, chunksize=1)"
    )
    try:
        assert record["children_peak"] >= 200 * MiB, record
        assert record["rss_after"] - record["rss_before"] < 50 * MiB, record
    finally:
        recording.run("pool.terminate(); pool.join(); del pool, fill")


def test_a_cell_without_children_reads_zero_after_children(recording: Recording) -> None:
    record, _ = recording.run("x = 1")
    assert record["children_peak"] == 0, record
