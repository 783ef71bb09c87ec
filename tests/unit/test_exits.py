"""How the previous kernel ended, inferred from its record (no kernel: the files only)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from memlens.cells import forensics
from memlens.cells.exits import crash_signal, infer
from memlens.cells.forensics import Forensics, kernel_key
from memlens.cells.guard import guard_message, should_stop
from memlens.probes.limits import memory_limit, read_counter

GiB = 1 << 30


def _record(**fields: Any) -> dict[str, Any]:
    record = {
        "version": 1,
        "pid": 1,
        "state": "running",
        "cell_id": "c",
        "execution_count": 7,
        "preview": "x = [0] * 10**9",
        "rss": 3 * GiB,
        "rss_peak": 4 * GiB,
        "limit": 4 * GiB,
        "limit_source": "cgroup v2",
        "cgroup_oom_kills": 2,
        "system_oom_kills": 0,
        "crash_file": True,
        "updated": 1.5,
    }
    record.update(fields)
    return record


def _infer(
    record: dict[str, Any], crash: bytes | None = None, cgroup: int = 2, system: int = 0
) -> dict[str, Any] | None:
    return infer(record, crash_text=crash, cgroup_oom_now=cgroup, system_oom_now=system)


def test_a_clean_end_has_no_report() -> None:
    assert _infer(_record(state="closed")) is None


def test_a_risen_cgroup_counter_is_an_oom_kill_of_the_running_cell() -> None:
    report = _infer(_record(), cgroup=3)
    assert report is not None
    assert report["cause"] == "oom_kill"
    assert (report["cell_id"], report["execution_count"]) == ("c", 7)
    assert (report["rss_last"], report["rss_peak"], report["limit"]) == (3 * GiB, 4 * GiB, 4 * GiB)
    assert report["evidence"] == ["the cgroup's oom_kill counter rose from 2 to 3"]


def test_a_risen_machine_counter_is_an_oom_kill_too() -> None:
    report = _infer(_record(cgroup_oom_kills=None, limit_source="machine"), cgroup=0, system=1)
    assert report is not None and report["cause"] == "oom_kill"
    # Under a cgroup limit the machine's counter (any process's kill) is no evidence.
    report = _infer(_record(cgroup_oom_kills=None), cgroup=0, system=1)
    assert report is not None and report["cause"] == "killed"


def test_a_fatal_error_is_a_crash_and_nothing_else_a_kill() -> None:
    crash = b"Fatal Python error: Segmentation fault\n\nCurrent thread 0x1 ..."
    report = _infer(_record(), crash=crash)
    assert report is not None and (report["cause"], report["signal"]) == (
        "crashed",
        "Segmentation fault",
    )
    report = _infer(_record())
    assert report is not None and (report["cause"], report["signal"]) == ("killed", None)
    report = _infer(_record(crash_file=False))
    assert report is not None and len(report["evidence"]) == 2
    assert crash_signal(b"") is None


def test_an_idle_kernel_names_no_cell_and_an_exit_during_a_cell_is_exited() -> None:
    report = _infer(_record(state="idle"), cgroup=3)
    assert report is not None and report["running"] is False and report["cell_id"] is None
    report = _infer(_record(state="exited"), cgroup=3)
    assert report is not None and report["cause"] == "exited"


def test_the_keeper_reads_its_predecessor_and_cleans_up_after_a_clean_end(
    tmp_path: Path,
) -> None:
    (tmp_path / "memlens-k.json").write_text(json.dumps(_record(pid=-5, cgroup_oom_file=None)))
    keeper = Forensics(str(tmp_path), "k")
    keeper.start()
    try:
        assert keeper.last_exit is not None and keeper.last_exit["cause"] == "killed"
        written = json.loads((tmp_path / "memlens-k.json").read_text())
        assert written["pid"] == os.getpid() and written["state"] == "idle"
        keeper.cell_started("cell", 3, "x = 1", 100)
        keeper.sample(200, 300)
        written = json.loads((tmp_path / "memlens-k.json").read_text())
        assert (written["state"], written["cell_id"], written["rss"], written["rss_peak"]) == (
            "running",
            "cell",
            200,
            300,
        )
        assert written["limit"] == memory_limit().limit
        assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        keeper.cell_ended(150, 300)
    finally:
        keeper.close()
    assert not (tmp_path / "memlens-k.json").exists()
    assert not (tmp_path / "memlens-k.crash").exists()


def test_a_shutdown_during_a_cell_is_recorded_as_exited(tmp_path: Path) -> None:
    keeper = Forensics(str(tmp_path), "k")
    keeper.start()
    keeper.cell_started("cell", 3, "x = 1", 100)
    keeper.close()
    written = json.loads((tmp_path / "memlens-k.json").read_text())
    assert written["state"] == "exited"
    written["pid"] = -5
    (tmp_path / "memlens-k.json").write_text(json.dumps(written))
    successor = Forensics(str(tmp_path), "k")
    successor.start()
    try:
        assert successor.last_exit is not None and successor.last_exit["cause"] == "exited"
    finally:
        successor.close()


def test_the_key_comes_from_the_connection_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["x", "-f", "/r/kernel-1234-ab.json"])
    assert kernel_key() == "kernel-1234-ab"
    monkeypatch.setattr(sys, "argv", ["x", "-f", "/tmp/tmpabc.json"])
    assert kernel_key().startswith("conn-")
    monkeypatch.setattr(sys, "argv", ["x"])
    assert kernel_key() == f"pid-{os.getpid()}"


def test_the_runtime_dir_follows_jupyter(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))
    assert forensics.runtime_dir() == str(tmp_path)


def test_counters_and_the_guard_arithmetic(tmp_path: Path) -> None:
    events = tmp_path / "memory.events"
    events.write_text("low 0\nhigh 0\nmax 4\noom 2\noom_kill 1\n")
    assert read_counter(str(events)) == 1
    assert read_counter(str(tmp_path / "missing")) is None
    assert should_stop(int(3.61 * GiB), 4 * GiB, 0.9)
    assert not should_stop(int(3.5 * GiB), 4 * GiB, 0.9)
    assert not should_stop(int(3.9 * GiB), 4 * GiB, None)
    assert (
        guard_message(int(3.6 * GiB), 4 * GiB)
        == "memlens stopped this cell at 3.6 of 4.0 GiB to keep your kernel alive"
    )
