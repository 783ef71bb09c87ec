"""memlens.probes.process and .sampler in this process, checked against psutil and /proc."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import psutil
from probe_checks import REPO_ROOT, MiB, close_to, linux_only

from memlens.probes import process
from memlens.probes.sampler import PeakSampler
from memlens.wire.bodies import snapshot_body
from memlens.wire.protocol import make_reply, validate_reply


@linux_only
def test_rss_agrees_with_psutil() -> None:
    ours = process.rss()
    theirs = psutil.Process().memory_info().rss
    assert ours is not None
    assert close_to(ours, theirs, rel=0.03), (ours, theirs)


@linux_only
def test_rss_follows_a_200_mib_allocation() -> None:
    before = process.rss()
    assert before is not None
    block = b"\x01" * (200 * MiB)  # written through, so every page is resident
    during = process.rss()
    peak = process.rss_peak()
    observed = psutil.Process().memory_info().rss
    del block
    after = process.rss()
    assert during is not None and peak is not None and after is not None
    assert close_to(during - before, 200 * MiB, rel=0.05), (before, during)
    assert close_to(during, observed, rel=0.03), (during, observed)
    assert peak >= during
    assert after < during - 150 * MiB, "the freed block (mmapped) went back to the OS"


def test_memory_reading_is_a_valid_snapshot_body() -> None:
    reading = process.memory_now()
    body = snapshot_body(reading)
    assert validate_reply(make_reply("r", "snapshot", body))["body"] == body
    assert body["rss"] == reading.rss and body["rss_peak"] == reading.rss_peak
    if sys.platform.startswith("linux"):
        assert body["rss"] is not None and body["rss_peak"] is not None
        assert body["rss_peak"] >= body["rss"]


# -- peaks --------------------------------------------------------------------------------

RESET_CHECK = """
import memlens.probes.process as p
from memlens.wire.bodies import snapshot_body
block = bytearray(200 << 20)
del block
rss, hwm, reset = p.read_and_reset_hwm()
_, hwm_after = p.rss_and_hwm()
print(reset, hwm >= 200 << 20, hwm_after < 100 << 20, p.rss_peak() >= 200 << 20,
      snapshot_body(p.memory_now())["rss_peak"] >= 200 << 20)
"""


@linux_only
def test_reset_keeps_the_lifetime_peak() -> None:
    result = subprocess.run(
        [sys.executable, "-c", RESET_CHECK],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True"] * 5


@linux_only
def test_statm_rss_agrees_with_psutil() -> None:
    ours = process.statm_rss()
    assert ours is not None
    assert close_to(ours, psutil.Process().memory_info().rss, rel=0.03)


def test_peak_sampler() -> None:
    sampler = PeakSampler(0.005)
    sampler.start()
    try:
        before = process.rss()
        block = bytearray(64 << 20)
        time.sleep(0.1)
        del block
        highest = sampler.take()
    finally:
        sampler.stop()
    assert before is not None and highest is not None
    assert highest - before >= 60 << 20
    time.sleep(0.05)  # a poll begun before stop() may still land
    sampler.take()
    time.sleep(0.05)
    assert sampler.take() is None, "a stopped sampler polls nothing"


def test_probes_need_only_the_standard_library() -> None:
    code = textwrap.dedent(
        """
        import sys
        sys.modules["psutil"] = None
        import memlens.wire.comm
        from memlens.probes.capabilities import capabilities
        from memlens.probes.process import memory_now
        assert "IPython" not in sys.modules
        reading = memory_now()
        names = {c.name: c.available for c in capabilities()}
        assert names["psutil"] is False
        print(reading.rss is not None or not sys.platform.startswith("linux"))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
