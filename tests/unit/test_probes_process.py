"""memlens/probes.py in this process, checked against independent observers (psutil, libc)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
import tracemalloc
from pathlib import Path

import psutil
import pytest

from memlens.measure import probes
from memlens.wire.protocol import make_reply, validate_reply

MiB = 1 << 20
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def close_to(a: int, b: int, *, rel: float, floor: int = 2 * MiB) -> bool:
    return abs(a - b) <= max(rel * max(a, b), floor)


@linux_only
def test_rss_agrees_with_psutil() -> None:
    ours = probes.rss()
    theirs = psutil.Process().memory_info().rss
    assert ours is not None
    assert close_to(ours, theirs, rel=0.03), (ours, theirs)


@linux_only
def test_rss_follows_a_200_mib_allocation() -> None:
    before = probes.rss()
    assert before is not None
    block = b"\x01" * (200 * MiB)  # written through, so every page is resident
    during = probes.rss()
    peak = probes.rss_peak()
    observed = psutil.Process().memory_info().rss
    del block
    after = probes.rss()
    assert during is not None and peak is not None and after is not None
    assert close_to(during - before, 200 * MiB, rel=0.05), (before, during)
    assert close_to(during, observed, rel=0.03), (during, observed)
    assert peak >= during
    assert after < during - 150 * MiB, "the freed block (mmapped) went back to the OS"


def test_snapshot_is_a_valid_reply_body() -> None:
    body = probes.snapshot()
    assert validate_reply(make_reply("r", "snapshot", body))["body"] == body
    assert body["rss_peak"] is None or body["rss"] is None or body["rss_peak"] >= body["rss"]


def report() -> dict[str, dict[str, object]]:
    return {probe["name"]: dict(probe) for probe in probes.probe_report()}


def test_probe_report_names_each_probe_once() -> None:
    names = [probe["name"] for probe in probes.probe_report()]
    assert names == [
        "rss",
        "exact_peak",
        "mallinfo2",
        "malloc_trim",
        "psutil",
        "cgroup",
        "tracemalloc",
        "pymalloc",
    ]


@linux_only
def test_rss_probe() -> None:
    assert report()["rss"] == {
        "name": "rss",
        "available": True,
        "method": "/proc/self/status VmRSS",
        "detail": "",
    }


EXACT_PEAK_CHECK = """
import sys
def hwm():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmHWM"))
block = b"\\x01" * (100 << 20)
del block
high = hwm()
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
print(high, hwm())
"""


@linux_only
def test_exact_peak_probe_matches_what_clear_refs_does() -> None:
    """Available means: writing 5 to clear_refs really resets VmHWM (seen in a child)."""
    result = subprocess.run(
        [sys.executable, "-c", EXACT_PEAK_CHECK], capture_output=True, text=True, timeout=60
    )
    works = result.returncode == 0
    if works:
        high, reset = map(int, result.stdout.split())
        works = reset < high - 50 * 1024
    assert report()["exact_peak"]["available"] is works, (result.stdout, result.stderr)


def glibc_version() -> tuple[int, int] | None:
    try:
        text = os.confstr("CS_GNU_LIBC_VERSION")
    except (ValueError, OSError, AttributeError):
        return None
    if not text or not text.startswith("glibc "):
        return None
    major, minor = text.split()[1].split(".")[:2]
    return int(major), int(minor)


def test_glibc_probes() -> None:
    version = glibc_version()
    found = report()
    assert found["malloc_trim"]["available"] is (version is not None)
    assert found["mallinfo2"]["available"] is (version is not None and version >= (2, 33))
    if version is not None:
        assert found["mallinfo2"]["detail"] == f"glibc {version[0]}.{version[1]}"


@pytest.mark.skipif((glibc_version() or (0, 0)) < (2, 33), reason="mallinfo2 needs glibc 2.33")
def test_allocator_stats_count_malloc_allocations() -> None:
    before = probes.allocator_stats()
    assert before is not None
    blocks = [bytearray(2000) for _ in range(10_000)]  # malloc'd, below the mmap threshold
    after = probes.allocator_stats()
    assert after is not None
    assert close_to(after.in_use - before.in_use, 20_000_000, rel=0.2), (before, after)
    del blocks


def test_psutil_probe() -> None:
    assert report()["psutil"] == {
        "name": "psutil",
        "available": True,
        "method": "psutil",
        "detail": f"psutil {psutil.__version__}",
    }


def test_tracemalloc_probe() -> None:
    found = report()["tracemalloc"]
    assert found["available"] is True
    assert found["detail"] == "off"
    tracemalloc.start()
    try:
        assert report()["tracemalloc"]["detail"] == "tracing"
    finally:
        tracemalloc.stop()


def has_memory_cgroup() -> bool:
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return False
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return True
        if (
            controllers == ""
            and Path("/sys/fs/cgroup", path.lstrip("/"), "memory.current").exists()
        ):
            return True
    return False


@linux_only
def test_cgroup_probe_and_reading() -> None:
    found = report()["cgroup"]
    assert found["available"] is has_memory_cgroup()
    current, limit = probes.cgroup_memory()
    if found["available"]:
        assert current is not None
        rss = probes.rss()
        assert rss is not None and current >= rss * 0.5, "the cgroup holds at least this process"
        assert limit is None or limit > 0
    else:
        assert (current, limit) == (None, None)


# -- cgroup files laid out by hand --------------------------------------------------------


V1 = ("memory.usage_in_bytes", "memory.limit_in_bytes")
V2 = ("memory.current", "memory.max")


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_cgroup_v2_limit_is_the_tightest_ancestor(tmp_path: Path) -> None:
    mount = tmp_path / "cgroup"
    leaf = mount / "user.slice" / "jupyter.scope"
    write(leaf / "memory.current", "123456\n")
    write(leaf / "memory.max", "max\n")
    write(mount / "user.slice" / "memory.max", "1073741824\n")
    files = probes._locate(
        2, "/user.slice/jupyter.scope", "/", str(mount), "memory.current", "memory.max"
    )
    assert files is not None and files.directory == str(leaf)
    assert probes.read_cgroup(files) == (123456, 1 << 30)
    write(mount / "user.slice" / "memory.max", "max\n")
    assert probes.read_cgroup(files) == (123456, None)


def test_cgroup_v1_unlimited_and_namespaced_paths(tmp_path: Path) -> None:
    mount = tmp_path / "memory"
    write(mount / "memory.usage_in_bytes", "4096\n")
    write(mount / "memory.limit_in_bytes", "9223372036854771712\n")
    # In a cgroup namespace /proc/self/cgroup names a path the mount does not show.
    files = probes._locate(
        1,
        "/docker/abc",
        "/docker/abc",
        str(mount),
        "memory.usage_in_bytes",
        "memory.limit_in_bytes",
    )
    assert files is not None and files.directory == str(mount)
    assert probes.read_cgroup(files) == (4096, None)
    files = probes._locate(
        1,
        "/elsewhere",
        "/",
        str(tmp_path / "missing"),
        "memory.usage_in_bytes",
        "memory.limit_in_bytes",
    )
    assert files is None


def test_probes_module_needs_only_the_standard_library() -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["psutil"] = None
        import memlens.wire.comm, memlens.measure.probes
        assert "IPython" not in sys.modules
        snap = memlens.measure.probes.snapshot()
        names = {p["name"]: p["available"] for p in memlens.measure.probes.probe_report()}
        assert names["psutil"] is False
        print(snap["rss"] is not None or not sys.platform.startswith("linux"))
        """
    )
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"


# -- pymalloc -----------------------------------------------------------------------------

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
    stats = probes.parse_pymalloc_stats(PYMALLOC_311)
    assert stats == probes.PymallocStats(
        allocated=1_035_024, available=379_920, free_pools=638_976, arenas=2_097_152
    )
    assert stats.free == 379_920 + 638_976
    older = PYMALLOC_311.replace("1048576 bytes/arena", "262144 bytes/arena").replace(
        "16384 bytes", "4096 bytes"
    )
    parsed = probes.parse_pymalloc_stats(older)
    assert parsed is not None and parsed.allocated == 1_035_024
    assert probes.parse_pymalloc_stats("") is None
    assert probes.parse_pymalloc_stats("mimalloc: something else entirely\n") is None
    assert probes.parse_pymalloc_stats(PYMALLOC_311.replace("available", "spare")) is None


def test_pymalloc_stats_follow_small_objects() -> None:
    before = probes.pymalloc_stats()
    assert before is not None
    objects = [[] for _ in range(100_000)]  # 56-byte lists: 64-byte pymalloc blocks
    after = probes.pymalloc_stats()
    assert after is not None
    assert close_to(after.allocated - before.allocated, 100_000 * 64, rel=0.3), (before, after)
    del objects


QUIET_CHECK = """
import memlens.measure.probes as p
stats = p.pymalloc_stats()
assert stats is not None and stats.allocated > 0
print("ok")
"""


def test_pymalloc_stats_write_nothing_to_stderr() -> None:
    """A kernel forwards fd 2 into the user's cell: the statistics must not go there."""
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-c", QUIET_CHECK], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n" and result.stderr == ""


# -- peaks --------------------------------------------------------------------------------

RESET_CHECK = """
import memlens.measure.probes as p
block = bytearray(200 << 20)
del block
rss, hwm, reset = p.read_and_reset_hwm()
_, hwm_after = p.rss_and_hwm()
print(reset, hwm >= 200 << 20, hwm_after < 100 << 20, p.rss_peak() >= 200 << 20,
      p.snapshot()["rss_peak"] >= 200 << 20)
"""


@linux_only
def test_reset_keeps_the_lifetime_peak() -> None:
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-c", RESET_CHECK], cwd=root, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True"] * 5


@linux_only
def test_statm_rss_agrees_with_psutil() -> None:
    ours = probes.statm_rss()
    assert ours is not None
    assert close_to(ours, psutil.Process().memory_info().rss, rel=0.03)


def test_peak_sampler() -> None:
    sampler = probes.PeakSampler(0.005)
    sampler.start()
    try:
        before = probes.rss()
        block = bytearray(64 << 20)
        time.sleep(0.1)
        del block
        highest = sampler.take()
    finally:
        sampler.stop()
    assert before is not None and highest is not None
    assert highest - before >= 60 << 20
    assert sampler.take() is None or sampler.take() is None


def test_heap_counters_match_allocator_stats() -> None:
    counters = probes.heap_counters()
    stats = probes.allocator_stats()
    if stats is None:
        assert counters is None
        return
    assert counters is not None
    assert close_to(counters[0], stats.in_use + stats.mmapped, rel=0.05)
