"""Issue #13 in a real kernel: which cells hold memory now (each record's ``bound`` names,
joined with the Variables rows as the frontend joins them, and the ``out_pins`` of the
``cells`` reply), and a late-completed output-cache pin against an independent truth.

Truths: ``sys.getsizeof`` of the objects, read in the kernel by a silent user expression
(no name added, nothing memlens walks)."""

from __future__ import annotations

import ast
import time
from collections.abc import Iterator
from typing import Any

import pytest
from recording import MiB, Recording, recording_session
from variables_asks import ask_ok, names


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recording]:
    """A fresh kernel for this module's tests (memlens installed)."""
    yield from recording_session(tmp_path_factory)


def holding_now(
    records: list[dict[str, Any]], rows: dict[str, dict[str, Any]]
) -> dict[int, dict[str, int]]:
    """The frontend's rule (src/cells/holding.ts): a name belongs to the latest record that
    bound it; a cell holds the names it owns that are still Variables rows."""
    owner: dict[str, int] = {}
    for record in records:
        for name in record["bound"] or ():
            owner[name] = record["execution_count"]
    held: dict[int, dict[str, int]] = {r["execution_count"]: {} for r in records}
    for name, count in owner.items():
        if name in rows:
            held[count][name] = rows[name]["retained"]
    return held


def getsizeof(recording: Recording, expression: str) -> int:
    value = recording.kernel.evaluate({"n": f"__import__('sys').getsizeof({expression})"})
    return int(value["n"])


def user_names(recording: Recording) -> set[str]:
    found = recording.kernel.evaluate(
        {"n": "sorted(k for k in get_ipython().user_ns if not k.startswith('_'))"}
    )
    return set(ast.literal_eval(found["n"]))


def test_the_cell_that_last_bound_a_live_name_holds_it(recording: Recording) -> None:
    before = user_names(recording)
    first, _ = recording.run("a = bytearray(30 * 2**20)\nb = bytearray(10 * 2**20)")
    assert first["bound"] == ["a", "b"], first
    second, _ = recording.run("b = bytearray(20 * 2**20)")
    assert second["bound"] == ["b"], second
    third, _ = recording.run("del a")
    assert third["bound"] == [], third
    unchanged, _ = recording.run("b.extend(b'x')")  # mutated in place: not a binding
    assert unchanged["bound"] == [], unchanged

    body = ask_ok(
        recording.kernel, recording.comm, "variables", {"budget_ms": 5000, "complete": []}
    )
    rows = names(body)
    held = holding_now([first, second, third, unchanged], rows)
    assert held[first["execution_count"]] == {}, held
    assert list(held[second["execution_count"]]) == ["b"], held
    truth = getsizeof(recording, "b")
    assert abs(held[second["execution_count"]]["b"] - truth) <= 0.05 * truth, (held, truth)
    assert held[third["execution_count"]] == {} and held[unchanged["execution_count"]] == {}
    # memlens added nothing to the namespace: only the user's own b is new.
    assert user_names(recording) - before == {"b"}
    recording.run("del b")


def test_out_pins_name_each_pinned_result_until_released(recording: Recording) -> None:
    record, _ = recording.run("bytearray(25 * 2**20)")
    count = record["execution_count"]
    pins = {pin["execution_count"]: pin for pin in recording.records()["out_pins"]}
    assert count in pins, pins
    truth = getsizeof(recording, f"Out[{count}]")
    assert pins[count]["complete"] is True
    assert abs(pins[count]["deep"] - truth) <= 0.05 * truth, (pins, truth)
    assert record["bound"] == [], "Out and _ are not the user's names"
    recording.run("%reset -f out")
    assert count not in {pin["execution_count"] for pin in recording.records()["out_pins"]}


def test_a_late_completed_pin_is_fetched_again_and_right(recording: Recording) -> None:
    # ~2 M distinct str objects: far more than the cell's 5 ms budget can walk.
    record, _ = recording.run("[str(i) * 4 for i in range(2_000_000)]")
    assert record["output_cache_complete"] is False, record
    seq, count = record["seq"], record["execution_count"]
    deadline = time.monotonic() + 60
    done = record
    while time.monotonic() < deadline and not done["output_cache_complete"]:
        time.sleep(0.5)
        # As the frontend asks while a pin is incomplete: after = seq - 1.
        again = recording.records(after=seq - 1)["records"]
        assert [r["seq"] for r in again] == [seq], again
        done = again[0]
    assert done["output_cache_complete"] is True, done
    # Independent truth: the list and each of its strings, by sys.getsizeof.
    truth = int(
        recording.kernel.evaluate(
            {
                "t": f"(lambda v: __import__('sys').getsizeof(v) + sum(map("
                f"__import__('sys').getsizeof, v)))(Out[{count}])"
            }
        )["t"]
    )
    assert abs(done["output_cache_delta"] - truth) <= 0.05 * truth, (done, truth)
    assert done["output_cache_delta"] > 50 * MiB
    pins = {pin["execution_count"]: pin for pin in recording.records()["out_pins"]}
    assert pins[count]["complete"] is True
    assert abs(pins[count]["deep"] - truth) <= 0.05 * truth, (pins, truth)
    recording.run("%reset -f out")


def test_a_pin_cut_short_by_the_next_cell_is_completed_after_it(recording: Recording) -> None:
    record, _ = recording.run("[str(i) * 4 for i in range(2_000_000)]")
    assert record["output_cache_complete"] is False, record
    seq, count = record["seq"], record["execution_count"]
    # The next cell starts at once: the background walk stops, and is tried again
    # after that cell.
    recording.run("x = 1")
    deadline = time.monotonic() + 60
    pin: dict[str, Any] = {}
    while time.monotonic() < deadline:
        pin = {p["execution_count"]: p for p in recording.records()["out_pins"]}[count]
        if pin["complete"]:
            break
        time.sleep(0.5)
    assert pin["complete"] is True, pin
    truth = int(
        recording.kernel.evaluate(
            {
                "t": f"(lambda v: __import__('sys').getsizeof(v) + sum(map("
                f"__import__('sys').getsizeof, v)))(Out[{count}])"
            }
        )["t"]
    )
    assert abs(pin["deep"] - truth) <= 0.05 * truth, (pin, truth)
    # The cell's own record is completed too (the frontend asks after = seq - 1).
    again = recording.records(after=seq - 1)["records"][0]
    assert again["seq"] == seq and again["output_cache_complete"] is True, again
    assert abs(again["output_cache_delta"] - truth) <= 0.05 * truth, (again, truth)
    recording.run("%reset -f out")
    recording.run("del x")
