"""Per-cell records in real kernels, checked against independent measurement.

The independent observers: psutil on the kernel's pid, read from this (test) process;
glibc's ``mallinfo2`` and ``malloc_trim`` called in the kernel by silent executes that
memlens does not see; the kernel's own namespace and output cache.
"""

from __future__ import annotations

import ast
import uuid
from collections.abc import Iterator

import pytest
from conftest import Booted
from recording import (
    MALLINFO2,
    MALLOC_TRIM,
    MiB,
    Recording,
    outside_rss,
    peak_above,
    recording_session,
    restore,
    rss_change,
    swap,
)

from memlens.wire.protocol import validate_reply


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recording]:
    """A fresh kernel for this module's tests (memlens installed)."""
    yield from recording_session(tmp_path_factory)


# -- every kernel flavour -----------------------------------------------------------------


def test_cells_are_recorded_in_every_flavour(booted: Booted, comm_id: str) -> None:
    """Installed, injected (memlens hidden) and ipykernel 6: the bootstrap turns recording
    on; silent executes are not recorded; JupyterLab's cellId comes back as cell_id."""
    kernel = booted.kernel
    reply = kernel.request(comm_id, "cells", {"after": 0})
    assert validate_reply(reply) == reply
    body = reply["body"]
    assert body["dropped_before"] == 0 and body["precise"] is False
    first = body["records"][0]
    assert first["preview"] == "y = 2", "the first recorded cell is the one after the bootstrap"
    assert first["execution_count"] == booted.next_count
    assert first["success"] is True
    assert first["peak_method"] == "exact"
    assert first["rss_before"] <= first["rss_peak"] and first["rss_after"] <= first["rss_peak"]
    # Other tests may have run cells in this shared kernel before; silent executes (the
    # probe, the bootstrap, comm traffic) take no execution count, so recorded cells have
    # one count each, in order, and none is memlens' own code.
    counts = [r["execution_count"] for r in body["records"]]
    assert counts == list(range(booted.next_count, booted.next_count + len(counts)))
    assert not [r for r in body["records"] if r["preview"].startswith("exec(")], "bootstrap"
    assert "" not in {r["preview"] for r in body["records"]}, "the probe's empty execute"

    cell_id = f"cell-{booted.flavour.name}-{uuid.uuid4().hex[:8]}"
    reply_content, _ = kernel.execute("z = 3", cell_id=cell_id)
    after = kernel.request(comm_id, "cells", {"after": body["last_seq"]})["body"]
    assert [(r["cell_id"], r["preview"]) for r in after["records"]] == [(cell_id, "z = 3")]
    assert after["records"][0]["execution_count"] == reply_content["execution_count"]
    assert after["records"][0]["seq"] == after["last_seq"] == body["last_seq"] + 1


# -- accuracy -----------------------------------------------------------------------------


def test_allocate_and_free_shows_the_peak_not_the_change(recording: Recording) -> None:
    record, _ = recording.run("b = bytearray(310 * 2**20)  # memset: every page touched\ndel b")
    assert record["peak_method"] == "exact"
    assert record["sample_interval_s"] is None
    assert peak_above(record) >= 300 * MiB, record
    assert abs(rss_change(record)) < 20 * MiB, record


def test_memory_kept_matches_what_psutil_sees_from_outside(recording: Recording) -> None:
    before = outside_rss(recording.kernel)
    record, _ = recording.run("kept = b'\\x01' * (200 << 20)")
    observed = outside_rss(recording.kernel) - before
    assert observed > 190 * MiB
    assert abs(rss_change(record) - observed) <= 0.05 * observed, (record, observed)
    assert peak_above(record) >= rss_change(record)
    # 200 MiB of bytes is one malloc'd (mmapped) block: live heap memory, nothing native.
    assert abs(record["python_delta"] - 200 * MiB) < 2 * MiB, record
    assert abs(record["native_delta"]) < 4 * MiB, record
    parts = record["python_delta"] + record["native_delta"] + record["allocator_free_delta"]
    assert parts == rss_change(record), "the three parts add up to the RSS change"
    recording.run("del kept")


def test_fragmentation_is_the_allocators_and_malloc_trim_returns_it(
    recording: Recording,
) -> None:
    """Drop 7 of every 8 small blocks: glibc keeps the holes (RSS stays), memlens says
    the allocator holds them as mallinfo2 does, and malloc_trim gives them back."""
    recording.run("frag = [b'x' * (1024 + i % 3072) for i in range(200_000)]")
    mallinfo_before = ast.literal_eval(recording.kernel.evaluate({"m": MALLINFO2})["m"])
    rss_before = outside_rss(recording.kernel)
    record, _ = recording.run("frag = frag[::8]")
    mallinfo_after = ast.literal_eval(recording.kernel.evaluate({"m": MALLINFO2})["m"])
    rss_after = outside_rss(recording.kernel)

    freed = mallinfo_after[1] - mallinfo_before[1]
    assert freed > 300 * MiB, "the workload left free chunks in glibc's heap"
    assert abs(record["allocator_free_delta"] - freed) <= max(0.05 * freed, 4 * MiB), (
        record,
        freed,
    )
    in_use = mallinfo_after[0] - mallinfo_before[0]
    assert record["python_delta"] < -300 * MiB
    assert abs(record["python_delta"] - in_use) <= max(0.05 * abs(in_use), 4 * MiB)
    assert abs(rss_after - rss_before) < 0.1 * freed, "RSS stays up: the puzzle"
    assert abs(rss_change(record)) < 0.1 * freed

    recording.kernel.evaluate({"trim": MALLOC_TRIM})
    returned = rss_after - outside_rss(recording.kernel)
    assert returned > 0.5 * freed, (returned, freed)
    recording.run("del frag")


def test_a_result_kept_in_out_is_reported_and_so_is_its_release(recording: Recording) -> None:
    # A memoryview's repr is short; the 100 MiB buffer behind it stays alive in Out.
    record, _ = recording.run("memoryview(bytearray(100 * 2**20))")
    assert abs(record["output_cache_delta"] - 100 * MiB) < MiB, record
    assert abs(record["python_delta"] - 100 * MiB) < 2 * MiB, record
    for value in ("1", "2", "3"):  # rotate the result out of _, __ and ___
        small, _ = recording.run(value)
        assert 0 <= small["output_cache_delta"] < 1024
    record, iopub = recording.run("%reset -f out")
    assert "Flushing output cache" in recording.kernel.stream_text(iopub)
    assert abs(record["output_cache_delta"] + 100 * MiB) < MiB, record
    assert abs(record["python_delta"] + 100 * MiB) < 2 * MiB, record
    # Freed: back to the OS (an mmapped block) or held free by glibc (a heap block).
    returned = record["allocator_free_delta"] - rss_change(record)
    assert abs(returned - 100 * MiB) < 5 * MiB, record


def test_peak_of_an_earlier_cell_does_not_leak_into_the_next(recording: Recording) -> None:
    recording.run("b = bytearray(150 * 2**20)\ndel b")
    record, _ = recording.run("x = 1")
    assert peak_above(record) < 5 * MiB, record


# -- what memlens must not change ---------------------------------------------------------


def test_cells_that_raise_get_a_record(recording: Recording) -> None:
    record, iopub = recording.run("raise ValueError('boom')", status="error")
    assert record["success"] is False
    assert record["execution_count"] is not None
    errors = [m["content"] for m in iopub if m["msg_type"] == "error"]
    assert [e["ename"] for e in errors] == ["ValueError"]
    assert "memlens" not in "".join(errors[0]["traceback"])
    record, _ = recording.run("x = (", status="error")
    assert record["success"] is False and record["preview"] == "x = ("


def test_a_failing_probe_never_reaches_the_cell(recording: Recording) -> None:
    recording.silent(swap("memlens.probes.allocators", "heap_counters", "lambda: 1 / 0"))
    recording.silent(swap("memlens.probes.allocators", "pymalloc_stats", "lambda: 1 / 0"))
    try:
        record, iopub = recording.run("x = 2")
    finally:
        recording.silent(restore("memlens.probes.allocators", "heap_counters"))
        recording.silent(restore("memlens.probes.allocators", "pymalloc_stats"))
    assert {m["msg_type"] for m in iopub} <= {"status", "execute_input"}, iopub
    assert record["rss_before"] is not None
    assert record["python_delta"] is None and record["native_delta"] is None
    recording.silent(swap("memlens.probes.process", "read_and_reset_hwm", "lambda: 1 / 0"))
    try:
        record, iopub = recording.run("x = 3")
    finally:
        recording.silent(restore("memlens.probes.process", "read_and_reset_hwm"))
    assert {m["msg_type"] for m in iopub} <= {"status", "execute_input"}, iopub
    assert record["rss_before"] is None and record["peak_method"] == "none"
    assert "Traceback" not in recording.kernel.stderr()
    record, _ = recording.run("x = 4")
    assert record["peak_method"] == "exact" and record["python_delta"] is not None


def test_cells_cursor(recording: Recording) -> None:
    first, _ = recording.run("a1 = 1")
    recording.run("a2 = 2")
    last, _ = recording.run("a3 = 3")
    body = recording.records(after=first["seq"])
    assert [r["preview"] for r in body["records"]] == ["a2 = 2", "a3 = 3"]
    assert body["last_seq"] == last["seq"]
    assert recording.records(after=last["seq"])["records"] == []
    beyond = recording.records(after=last["seq"] + 100)
    assert beyond["records"] == [] and beyond["last_seq"] == last["seq"]
    seqs = [r["seq"] for r in recording.records(after=0)["records"]]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert seqs[0] == 1


def test_precise_mode(recording: Recording) -> None:
    kernel = recording.kernel
    reply = kernel.request(recording.comm, "configure", {"precise": True})
    assert validate_reply(reply) == reply and reply["body"] == {"precise": True}
    assert recording.records()["precise"] is True
    try:
        record, _ = recording.run("n = 1\nkeep = [bytearray(1000) for _ in range(10_000)]")
        assert record["precise"] is not None, record
        precise = record["precise"]
        assert 10_000 * 1000 <= precise["python_delta"] < 12 * MiB, precise
        assert precise["python_peak"] >= precise["python_delta"]
        top = precise["top"][0]
        assert top["size"] >= 10_000 * 1000 and top["count"] >= 10_000
        line = kernel.evaluate(
            {"line": f"__import__('linecache').getline({top['file']!r}, {top['line']})"}
        )["line"]
        assert "bytearray(1000)" in line, (top, line)
        assert all("memlens" not in site["file"] for site in precise["top"])
        assert len(precise["top"]) <= 5
        tracing = kernel.evaluate({"t": "__import__('tracemalloc').is_tracing()"})["t"]
        assert tracing == "False", "memlens traces cells only, not the time between them"
    finally:
        reply = kernel.request(recording.comm, "configure", {"precise": False})
    assert reply["body"] == {"precise": False}
    assert kernel.evaluate({"t": "__import__('tracemalloc').is_tracing()"})["t"] == "False"
    record, _ = recording.run("del keep")
    assert record["precise"] is None


def test_precise_mode_leaves_a_users_tracing_on(recording: Recording) -> None:
    kernel = recording.kernel
    recording.silent("__import__('tracemalloc').start()")
    try:
        kernel.request(recording.comm, "configure", {"precise": True})
        record, _ = recording.run("t = [bytearray(1000) for _ in range(1000)]")
        assert record["precise"] is not None and record["precise"]["top"] == []
        assert record["precise"]["python_delta"] >= 1000 * 1000
        kernel.request(recording.comm, "configure", {"precise": False})
        assert kernel.evaluate({"t": "__import__('tracemalloc').is_tracing()"})["t"] == "True"
    finally:
        kernel.request(recording.comm, "configure", {"precise": False})
        recording.silent("__import__('tracemalloc').stop()")
    recording.run("del t")
