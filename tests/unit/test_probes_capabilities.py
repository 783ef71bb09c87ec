"""memlens.probes.capabilities and .cgroup: which probes exist here, checked without memlens."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc
from dataclasses import asdict
from pathlib import Path

import psutil
from probe_checks import glibc_version, linux_only

from memlens.probes import cgroup
from memlens.probes.capabilities import capabilities
from memlens.probes.process import rss
from memlens.wire.bodies import probe_list


def report() -> dict[str, dict[str, object]]:
    return {probe["name"]: dict(probe) for probe in probe_list(capabilities())}


def test_probe_report_names_each_probe_once() -> None:
    found = capabilities()
    assert probe_list(found) == [asdict(capability) for capability in found]
    names = [capability.name for capability in found]
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


def test_glibc_probes() -> None:
    version = glibc_version()
    found = report()
    assert found["malloc_trim"]["available"] is (version is not None)
    assert found["mallinfo2"]["available"] is (version is not None and version >= (2, 33))
    if version is not None:
        assert found["mallinfo2"]["detail"] == f"glibc {version[0]}.{version[1]}"


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
    current, limit = cgroup.cgroup_memory()
    if found["available"]:
        assert current is not None
        size = rss()
        assert size is not None and current >= size * 0.5, "the cgroup holds at least this process"
        assert limit is None or limit > 0
    else:
        assert (current, limit) == (None, None)


# -- cgroup files laid out by hand --------------------------------------------------------


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_cgroup_v2_limit_is_the_tightest_ancestor(tmp_path: Path) -> None:
    mount = tmp_path / "cgroup"
    leaf = mount / "user.slice" / "jupyter.scope"
    write(leaf / "memory.current", "123456\n")
    write(leaf / "memory.max", "max\n")
    write(mount / "user.slice" / "memory.max", "1073741824\n")
    files = cgroup.locate(
        2, "/user.slice/jupyter.scope", "/", str(mount), "memory.current", "memory.max"
    )
    assert files is not None and files.directory == str(leaf)
    assert cgroup.read_cgroup(files) == (123456, 1 << 30)
    write(mount / "user.slice" / "memory.max", "max\n")
    assert cgroup.read_cgroup(files) == (123456, None)


def test_cgroup_v1_unlimited_and_namespaced_paths(tmp_path: Path) -> None:
    mount = tmp_path / "memory"
    write(mount / "memory.usage_in_bytes", "4096\n")
    write(mount / "memory.limit_in_bytes", "9223372036854771712\n")
    # In a cgroup namespace /proc/self/cgroup names a path the mount does not show.
    files = cgroup.locate(
        1,
        "/docker/abc",
        "/docker/abc",
        str(mount),
        "memory.usage_in_bytes",
        "memory.limit_in_bytes",
    )
    assert files is not None and files.directory == str(mount)
    assert cgroup.read_cgroup(files) == (4096, None)
    files = cgroup.locate(
        1,
        "/elsewhere",
        "/",
        str(tmp_path / "missing"),
        "memory.usage_in_bytes",
        "memory.limit_in_bytes",
    )
    assert files is None
