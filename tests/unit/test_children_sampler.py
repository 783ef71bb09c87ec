"""The sampler of the kernel's child processes (memlens/cells/children.py), in this
process: fake readings for the bookkeeping, real children against psutil for the sums."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from typing import Callable

import psutil
import pytest

from memlens.cells import children
from memlens.cells.children import MOST_WATCHES, ChildrenSampler

MiB = 1 << 20
HOLD = (
    "import sys, time\nb = bytearray(int(sys.argv[1]))\nprint('ready', flush=True)\ntime.sleep(30)"
)


def _from_this_thread(values: list[int]) -> Callable[[], int | None]:
    """Readings for this thread's ``sample_once`` calls alone: the sampler's own thread
    takes a reading as soon as it starts (it raced the test for the first value), and
    gets None, which it leaves out."""
    readings = iter(values)
    mine = threading.get_ident()
    return lambda: next(readings) if threading.get_ident() == mine else None


def test_each_watched_cell_keeps_its_own_highest_reading() -> None:
    sampler = ChildrenSampler(interval=3600, read=_from_this_thread([10, 30, 20, 5]))
    outer, inner = object(), object()
    sampler.begin(outer)
    sampler.sample_once()  # 10
    sampler.begin(inner)
    sampler.sample_once()  # 30
    sampler.sample_once()  # 20
    assert sampler.end(inner) == 30
    sampler.sample_once()  # 5
    assert sampler.end(outer) == 30
    assert sampler.watching == 0


def test_a_cell_without_a_reading_has_none_and_an_unknown_key_is_ignored() -> None:
    sampler = ChildrenSampler(interval=3600, read=lambda: None)
    key = object()
    sampler.begin(key)
    sampler.sample_once()
    assert sampler.end(key) is None
    assert sampler.end(object()) is None


def test_cells_whose_end_never_came_are_forgotten() -> None:
    sampler = ChildrenSampler(interval=3600, read=lambda: 1)
    keys = [object() for _ in range(MOST_WATCHES + 5)]
    for key in keys:
        sampler.begin(key)
    assert sampler.watching == MOST_WATCHES
    assert sampler.end(keys[0]) is None
    sampler.end(keys[-1])
    assert sampler.watching == MOST_WATCHES - 1, "the latest cell was still watched"


def test_the_thread_reads_only_while_a_cell_is_watched() -> None:
    sampler = ChildrenSampler(interval=0.01, read=lambda: 7)
    key = object()
    sampler.begin(key)
    time.sleep(0.2)
    assert sampler.end(key) == 7
    time.sleep(0.05)
    idle = sampler.readings
    time.sleep(0.2)
    assert sampler.readings <= idle + 1, "the thread keeps reading with no cell"


def _hold(size: int) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(size)], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    return child


def _descendants_rss() -> int:
    """Summed RSS of this process's live descendants, as psutil sees them."""
    total = 0
    for process in psutil.Process().children(recursive=True):
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
def test_live_descendants_are_summed_as_psutil_sees_them() -> None:
    holders = [_hold(60 * MiB), _hold(40 * MiB)]
    try:
        # Every live descendant counts, not only these two: under pytest the session's
        # kernels are children too. psutil reads them all just before and just after.
        before = _descendants_rss()
        found = children.live_children_rss()
        after = _descendants_rss()
        held = sum(psutil.Process(child.pid).memory_info().rss for child in holders)
        assert found is not None
        assert held >= 100 * MiB
        assert found >= held, (found, held)
        low, high = min(before, after), max(before, after)
        assert low - 2 * MiB <= found <= high + 2 * MiB, (found, before, after)
    finally:
        for child in holders:
            child.kill()
            child.wait()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
def test_a_child_below_an_earlier_peak_is_seen_by_the_sampler() -> None:
    """ru_maxrss is a running maximum: a later, smaller child does not raise it; the
    sampled sum sees it while it lives."""
    subprocess.run([sys.executable, "-c", "b = bytearray(120 * 2**20)"], check=True)
    key = object()
    before = children.cell_started(key)
    assert before is not None and before >= 120 * MiB
    smaller = _hold(60 * MiB)
    time.sleep(0.3)
    smaller.kill()
    smaller.wait()
    peak = children.children_peak(before, key)
    assert peak is not None and peak >= 55 * MiB, peak
    assert children.sampler.watching == 0
