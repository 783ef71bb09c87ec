"""CellRecorder and OutputCache in this process, driven through IPython's real EventManager.

The shell is a stand-in with the three things the recorder reads (``events``,
``user_ns``, ``history_manager.output_hist``); the cells are functions run between the
two hooks, as IPython runs a cell between ``pre_run_cell`` and ``post_run_cell``.
"""

from __future__ import annotations

import gc
import time
import weakref
from types import SimpleNamespace
from typing import Any, Callable

import pytest
from IPython.core.events import EventManager, available_events

from memlens.cells import recorder
from memlens.cells.output_cache import OutputCache
from memlens.cells.recorder import CellRecorder, preview
from memlens.magics import format_readout, format_size
from memlens.probes import allocators, process
from memlens.probes.sampler import SAMPLE_INTERVAL_S
from memlens.wire.bodies import snapshot_body
from memlens.wire.protocol import CellRecord, validate_record

MiB = 1 << 20


class FakeShell:
    def __init__(self) -> None:
        self.events = EventManager(self, available_events)
        self.user_ns: dict[str, Any] = {}
        self.history_manager = SimpleNamespace(output_hist={})
        self.execution_count = 1

    def showtraceback(self) -> None:
        raise AssertionError("a memlens hook raised")

    def run(
        self,
        source: str,
        body: Callable[[], Any] | None = None,
        *,
        cell_id: str | None = None,
        success: bool = True,
    ) -> None:
        """Run a cell the way IPython does: hooks around it, its result into Out and _."""
        count = self.execution_count
        self.execution_count += 1
        info = SimpleNamespace(raw_cell=source, cell_id=cell_id, silent=False, store_history=True)
        self.events.trigger("pre_run_cell", info)
        value = body() if body else None
        if value is not None:
            out = self.history_manager.output_hist
            out[count] = value
            ns = self.user_ns
            ns["___"], ns["__"], ns["_"] = ns.get("__"), ns.get("_"), value
            ns[f"_{count}"] = value
        del value
        result = SimpleNamespace(execution_count=count, success=success)
        self.events.trigger("post_run_cell", result)


def touch(size: int) -> bytearray:
    return bytearray(size)  # bytearray(n) writes zeros: every page resident


def one(recorder_: CellRecorder) -> CellRecord:
    records = recorder_.cells(0)["records"]
    assert validate_record(records[-1]) == records[-1]
    return records[-1]


@pytest.fixture
def shell() -> FakeShell:
    return FakeShell()


def test_bounded_history_reports_what_it_dropped(shell: FakeShell) -> None:
    rec = CellRecorder(shell, history=3)
    rec.register()
    for n in range(5):
        shell.run(f"x = {n}")
    body = rec.cells(0)
    assert [r["seq"] for r in body["records"]] == [3, 4, 5]
    assert body["dropped_before"] == 2 and body["last_seq"] == 5
    assert [r["preview"] for r in rec.cells(4)["records"]] == ["x = 4"]
    assert len(rec.records()) == 3


def test_exact_peak_and_the_lifetime_peak(shell: FakeShell) -> None:
    rec = CellRecorder(shell)
    rec.register()
    shell.run("spike", lambda: len(touch(120 * MiB)))
    record = one(rec)
    assert record["peak_method"] == "exact"
    assert record["rss_peak"] - record["rss_before"] >= 115 * MiB
    shell.run("quiet")
    quiet = one(rec)
    assert quiet["rss_peak"] - quiet["rss_before"] < 5 * MiB, "VmHWM was reset"
    assert process.rss_peak() >= record["rss_peak"], "the process's peak is kept"
    assert snapshot_body(process.memory_now())["rss_peak"] >= record["rss_peak"]


def test_sampled_peak_where_there_is_no_exact_one(shell: FakeShell) -> None:
    rec = CellRecorder(shell, peak="sampled")
    rec.register()

    def spike() -> None:
        block = touch(120 * MiB)
        time.sleep(0.1)
        del block

    shell.run("spike", spike)
    record = one(rec)
    assert record["peak_method"] == "sampled" and record["sample_interval_s"] == SAMPLE_INTERVAL_S
    assert record["rss_peak"] - record["rss_before"] >= 110 * MiB, record
    shell.run("quiet", lambda: time.sleep(0.05))
    quiet = one(rec)
    assert quiet["rss_peak"] - quiet["rss_before"] < 5 * MiB, quiet


def test_no_peak_method(shell: FakeShell) -> None:
    rec = CellRecorder(shell, peak="none")
    rec.register()
    shell.run("x = 1")
    record = one(rec)
    assert record["peak_method"] == "none" and record["rss_peak"] is None
    assert record["rss_before"] is not None


def test_nested_cells_keep_the_outer_peak(shell: FakeShell) -> None:
    rec = CellRecorder(shell)
    rec.register()

    def outer() -> None:
        block = touch(100 * MiB)
        del block
        shell.run("inner")

    shell.run("outer", outer)
    records = rec.cells(0)["records"]
    assert [r["preview"] for r in records] == ["inner", "outer"]
    inner, outer_record = records
    assert outer_record["rss_peak"] - outer_record["rss_before"] >= 95 * MiB
    assert inner["rss_peak"] - inner["rss_before"] < 5 * MiB


def test_post_without_pre_records_nothing(shell: FakeShell) -> None:
    rec = CellRecorder(shell)
    rec.register()
    shell.events.trigger("post_run_cell", SimpleNamespace(execution_count=1, success=True))
    assert rec.cells(0)["records"] == []


def test_broken_probes_leave_nulls_and_never_raise(
    shell: FakeShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> Any:
        raise OSError("probe failed")

    rec = CellRecorder(shell)
    rec.register()
    monkeypatch.setattr(allocators, "heap_counters", broken)
    shell.run("x = 1")
    record = one(rec)
    assert record["rss_before"] is not None and record["python_delta"] is None
    monkeypatch.setattr(process, "read_and_reset_hwm", broken)
    monkeypatch.setattr(process, "rss_and_hwm", broken)
    shell.run("raise", success=False)
    record = one(rec)
    assert record["success"] is False and record["rss_before"] is None
    assert record["rss_after"] is None and record["peak_method"] == "none"


def test_records_hold_no_user_objects(shell: FakeShell) -> None:
    rec = CellRecorder(shell)
    rec.register()

    class Result:
        def __init__(self) -> None:
            self.payload = bytearray(MiB)

    made: list[weakref.ref[Result]] = []

    def cell() -> Result:
        value = Result()
        made.append(weakref.ref(value))
        return value

    shell.run("Result()", cell, cell_id="c1")
    assert one(rec)["output_cache_delta"] >= MiB
    shell.history_manager.output_hist.clear()
    shell.user_ns.clear()
    gc.collect()
    assert made[0]() is None, "memlens kept the result alive"


def test_records_are_copies(shell: FakeShell) -> None:
    rec = CellRecorder(shell)
    rec.register()
    shell.run("x = 1", cell_id="abc")
    copy = rec.records()[0]
    assert copy["cell_id"] == "abc" and copy["preview"] == "x = 1"
    copy["cell_id"] = "changed"
    assert rec.records()[0]["cell_id"] == "abc"


def test_readout_is_called_and_may_fail(shell: FakeShell) -> None:
    rec = CellRecorder(shell)
    rec.register()
    seen: list[CellRecord] = []
    rec.readout = seen.append
    shell.run("x = 1")
    assert len(seen) == 1

    def failing(record: CellRecord) -> None:
        raise RuntimeError("no terminal")

    rec.readout = failing
    shell.run("x = 2")
    assert len(rec.records()) == 2


def test_install_is_idempotent_and_replaces_stale_hooks(shell: FakeShell) -> None:
    stale = CellRecorder(shell)  # as a reloaded copy of the module would have left
    stale.register()
    try:
        first = recorder.install(shell)
        assert recorder.install(shell) is first
        for name in ("pre_run_cell", "post_run_cell"):
            owners = [getattr(cb, "__self__", None) for cb in shell.events.callbacks[name]]
            assert owners == [first]
        shell.run("x = 1")
        assert len(first.records()) == 1 and stale.records() == []
    finally:
        recorder.uninstall()
    assert recorder.current() is None
    assert all(shell.events.callbacks[name] == [] for name in ("pre_run_cell", "post_run_cell"))


def test_set_precise_without_cells(shell: FakeShell) -> None:
    rec = CellRecorder(shell)
    assert rec.set_precise(True) is True and rec.cells(0)["precise"] is True
    assert rec.set_precise(False) is False


# -- output cache ---------------------------------------------------------------------------


def test_output_cache_counts_a_result_once_until_nothing_holds_it(shell: FakeShell) -> None:
    rec = CellRecorder(shell)
    rec.register()
    big = bytearray(10 * MiB)
    shell.run("big", lambda: big)
    assert abs(one(rec)["output_cache_delta"] - 10 * MiB) < 1024
    shell.run("big again", lambda: big)
    assert one(rec)["output_cache_delta"] == 0, "already pinned"
    for n in range(3):
        shell.run(str(n), lambda n=n: [n])
        assert one(rec)["output_cache_delta"] < 1024
    out = shell.history_manager.output_hist

    def forget() -> None:
        for key in [k for k, v in out.items() if v is big]:
            del out[key]
            del shell.user_ns[f"_{key}"]

    shell.run("del Out[1], Out[2], _1, _2", forget)
    assert one(rec)["output_cache_delta"] <= -10 * MiB


def test_output_cache_changes_between_cells_are_nobodys(shell: FakeShell) -> None:
    cache = OutputCache(shell, budget_s=0.005)
    length = cache.before_cell()
    shell.history_manager.output_hist[1] = bytearray(MiB)
    assert cache.after_cell(1, length) >= MiB
    shell.history_manager.output_hist.clear()  # e.g. a silent execute
    length = cache.before_cell()
    assert cache.after_cell(2, length) == 0
    assert cache.pinned() == 0


# -- text -----------------------------------------------------------------------------------


def test_preview() -> None:
    assert preview("\n\n   data = f.read()  \nmore") == "data = f.read()"
    assert preview("") == "" and preview(None) == ""
    long = preview("x" * 200)
    assert len(long) == 80 and long.endswith("\u2026")


def test_format_readout() -> None:
    record: CellRecord = {
        "seq": 1,
        "cell_id": None,
        "execution_count": 3,
        "preview": "x",
        "started": 0.0,
        "duration_s": 1.24,
        "success": True,
        "rss_before": 100 * MiB,
        "rss_after": 100 * MiB + int(120.4 * MiB),
        "rss_peak": 401 * MiB,
        "peak_method": "exact",
        "sample_interval_s": None,
        "python_delta": 0,
        "native_delta": 0,
        "allocator_free_delta": 0,
        "output_cache_delta": 0,
        "precise": None,
    }
    assert format_readout(record) == "[memlens] RSS +120.4 MiB \u00b7 peak +301.0 MiB \u00b7 1.24 s"
    record = {
        **record,
        "rss_after": 90 * MiB,
        "peak_method": "sampled",
        "duration_s": 0.0123,
        "allocator_free_delta": 64 * MiB,
        "output_cache_delta": 2 * MiB,
    }
    assert format_readout(record) == (
        "[memlens] RSS -10.0 MiB \u00b7 peak \u2248+301.0 MiB \u00b7 12.3 ms"
        " \u00b7 allocator holds +64.0 MiB free \u00b7 Out pins +2.0 MiB"
    )
    assert format_size(512) == "512 B" and format_size(3 << 30, signed=True) == "+3.0 GiB"
