"""The parts of RSS without a kernel: /proc texts parsed from literals, and
``memlens.kernel_memory()`` in this process against its own /proc readings."""

from __future__ import annotations

import sys

import pytest

import memlens
from memlens.kernel import PARTS
from memlens.probes import breakdown

ROLLUP = """55d0c0a5e000-7ffd2a3f0000 ---p 00000000 00:00 0                          [rollup]
Rss:              104856 kB
Pss:               99012 kB
Anonymous:         80000 kB
LazyFree:              0 kB
Swap:                  0 kB
"""

SMAPS = """7f0000000000-7f0000200000 rw-s 00000000 00:05 1234                       /dev/nvidia0
Size:               2048 kB
Rss:                 512 kB
7f0000200000-7f0000300000 r-xp 00000000 08:01 99                         /usr/lib/libcuda.so.1
Size:               1024 kB
Rss:                 768 kB
7f0000300000-7f0000400000 r-xp 00000000 08:01 98                         /usr/lib/libc.so.6
Size:               1024 kB
Rss:                1000 kB
"""


def test_rollup_splits_rss_into_anonymous_and_file_backed() -> None:
    kinds = breakdown.parse_rollup(ROLLUP)
    assert kinds == breakdown.ResidentKinds(
        rss=104856 * 1024, anonymous=80000 * 1024, file_backed=24856 * 1024
    )
    assert breakdown.parse_rollup("Pss: 1 kB\n") is None


def test_status_counters_are_the_fallback() -> None:
    status = "VmRSS:\t  3000 kB\nRssAnon:\t  2000 kB\nRssFile:\t 900 kB\nRssShmem:\t 100 kB\n"
    kinds = breakdown.parse_status(status)
    assert kinds == breakdown.ResidentKinds(
        rss=3000 << 10, anonymous=2000 << 10, file_backed=1000 << 10
    )


def test_gpu_runtime_is_the_rss_of_its_mappings_only() -> None:
    assert breakdown.parse_gpu_resident(SMAPS) == (512 + 768) * 1024
    assert breakdown.parse_gpu_resident("") == 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc")
def test_kernel_memory_in_this_process_adds_up() -> None:
    found = memlens.kernel_memory(budget_s=5.0)
    assert list(found["parts"]) == list(PARTS)
    assert sum(found["parts"].values()) == found["rss"]
    assert all(value >= 0 for value in found["parts"].values())
    kinds = breakdown.resident_kinds()
    assert kinds is not None
    assert abs(found["rss"] - kinds.rss) < 0.05 * kinds.rss
    assert found["parts"]["libraries_and_code"] > 0
    assert found["lower_bounds"] == [] and found["rest_is_upper_bound"] is False


def test_a_budget_cut_short_marks_the_part_a_lower_bound() -> None:
    holder = {"rows": [[str(i) * 5 for i in range(50)] for _ in range(20_000)]}
    main = sys.modules["__main__"].__dict__
    main["_memlens_test_rows"] = holder  # a private name of __main__: part of the variables
    try:
        found = memlens.kernel_memory(budget_s=0.000_001)
    finally:
        del main["_memlens_test_rows"]
    assert "variables" in found["lower_bounds"] and found["rest_is_upper_bound"] is True
    assert sum(found["parts"].values()) == found["rss"]


def test_pyarrows_pool_is_reported_beside_the_parts_not_counted_twice() -> None:
    pa = pytest.importorskip("pyarrow")
    main = sys.modules["__main__"].__dict__
    before = memlens.kernel_memory()
    main["_memlens_test_arrow"] = pa.array(range(10**7))  # 80 MB in pyarrow's pool
    try:
        found = memlens.kernel_memory()
        pool = pa.total_allocated_bytes()
    finally:
        del main["_memlens_test_arrow"]
    assert found["native_pool_bytes"] == {"pyarrow": pool}
    assert pool >= 80_000_000
    assert found["parts"]["native_pools"] == 0, "the array's buffer is the variables' already"
    grew = found["parts"]["variables"] - before["parts"]["variables"]
    assert abs(grew - 80_000_000) < 2 * 2**20, grew
    assert sum(found["parts"].values()) == found["rss"]
