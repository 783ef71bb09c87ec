"""memlens.allocators.allocators in this process: glibc malloc's counters and pymalloc's."""

from __future__ import annotations

import subprocess
import sys

import pytest
from probe_checks import REPO_ROOT, close_to, glibc_version

from memlens.probes import allocators


@pytest.mark.skipif((glibc_version() or (0, 0)) < (2, 33), reason="mallinfo2 needs glibc 2.33")
def test_allocator_stats_count_malloc_allocations() -> None:
    before = allocators.allocator_stats()
    assert before is not None
    blocks = [bytearray(2000) for _ in range(10_000)]  # malloc'd, below the mmap threshold
    after = allocators.allocator_stats()
    assert after is not None
    assert close_to(after.in_use - before.in_use, 20_000_000, rel=0.2), (before, after)
    del blocks


PYMALLOC_311 = """Small block threshold = 512, in 32 size classes.

class   size   num pools   blocks in use  avail blocks
-----   ----   ---------   -------------  ------------
    0     16           1              68           953

# arenas allocated total           =                    2
# arenas reclaimed                 =                    0
# arenas highwater mark            =                    2
# arenas allocated current         =                    2
2 arenas * 1048576 bytes/arena     =            2,097,152

# bytes in allocated blocks        =            1,035,024
# bytes in available blocks        =              379,920
39 unused pools * 16384 bytes      =              638,976
# bytes lost to pool headers       =                4,176
# bytes lost to quantization       =                6,288
# bytes lost to arena alignment    =               32,768
Total                              =            2,097,152

arena map counts
# arena map mid nodes              =                    1
"""


def test_parse_pymalloc_stats() -> None:
    stats = allocators.parse_pymalloc_stats(PYMALLOC_311)
    assert stats == allocators.PymallocStats(
        allocated=1_035_024, available=379_920, free_pools=638_976, arenas=2_097_152
    )
    assert stats.free == 379_920 + 638_976
    older = PYMALLOC_311.replace("1048576 bytes/arena", "262144 bytes/arena").replace(
        "16384 bytes", "4096 bytes"
    )
    parsed = allocators.parse_pymalloc_stats(older)
    assert parsed is not None and parsed.allocated == 1_035_024
    assert allocators.parse_pymalloc_stats("") is None
    assert allocators.parse_pymalloc_stats("mimalloc: something else entirely\n") is None
    assert allocators.parse_pymalloc_stats(PYMALLOC_311.replace("available", "spare")) is None


def test_pymalloc_stats_follow_small_objects() -> None:
    before = allocators.pymalloc_stats()
    assert before is not None
    objects = [[] for _ in range(100_000)]  # 56-byte lists: 64-byte pymalloc blocks
    after = allocators.pymalloc_stats()
    assert after is not None
    assert close_to(after.allocated - before.allocated, 100_000 * 64, rel=0.3), (before, after)
    del objects


QUIET_CHECK = """
import memlens.probes.allocators as p
stats = p.pymalloc_stats()
assert stats is not None and stats.allocated > 0
print("ok")
"""


def test_pymalloc_stats_write_nothing_to_stderr() -> None:
    """A kernel forwards fd 2 into the user's cell: the statistics must not go there."""
    result = subprocess.run(
        [sys.executable, "-c", QUIET_CHECK],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n" and result.stderr == ""


def test_heap_counters_match_allocator_stats() -> None:
    counters = allocators.heap_counters()
    stats = allocators.allocator_stats()
    if stats is None:
        assert counters is None
        return
    assert counters is not None
    assert close_to(counters[0], stats.in_use + stats.mmapped, rel=0.05)
