"""Who shares (issue #13's stretch, on the sizing side): a variable whose retained size is
below its deep size names the other variables that hold the shared part, and how much
each shares, against sizes computed independently (deep sizes of the shared pieces)."""

from __future__ import annotations

from typing import Any

from memlens.sizing import deep_size, measure
from memlens.variables.report import variables_body
from memlens.wire.protocol import validate_reply


class Shell:
    """What memlens reads of an IPython shell."""

    def __init__(self, user_ns: dict[str, Any]) -> None:
        self.user_ns = user_ns
        self.user_ns_hidden: dict[str, Any] = {}


def test_pairs_of_roots_share_what_both_reach() -> None:
    base = [float(i) for i in range(10_000)]
    first, second = base[:4000], base[6000:]
    report = measure([[base], [first], [second]])
    floats = 24  # bytes of a float
    assert report.shared[(0, 1)] == 4000 * floats
    assert report.shared[(0, 2)] == 4000 * floats
    assert (1, 2) not in report.shared
    # What base shares is what it does not retain (its list header is its own).
    assert report.roots[0].deep - report.roots[0].retained == 8000 * floats


def test_a_row_names_its_sharers_most_first() -> None:
    payload = [str(i) * 20 for i in range(20_000)]
    half = payload[:10_000]
    tenth = payload[:2_000]
    alone = list(range(100))
    ns = {"payload": payload, "half": half, "tenth": tenth, "alone": alone}
    body = variables_body(Shell(ns), budget_ms=30_000)
    rows = {row["name"]: row for row in body["rows"]}
    strings = deep_size(payload[:10_000]) - deep_size([None] * 10_000)
    # Walked smallest first: tenth, half, payload. An object several variables hold is
    # attributed to the pair of the last two that met it (a lower bound for the others).
    sharers = rows["payload"]["shared_with"]
    assert [holder["name"] for holder in sharers] == ["half"]
    assert abs(sharers[0]["bytes"] - strings) <= 0.01 * strings
    assert {holder["name"] for holder in rows["half"]["shared_with"]} == {"payload", "tenth"}
    first = deep_size(payload[:2_000]) - deep_size([None] * 2_000)
    (holder,) = rows["tenth"]["shared_with"]
    assert holder["name"] == "half" and abs(holder["bytes"] - first) <= 0.01 * first
    assert "shared_with" not in rows["alone"]
    reply = {"v": 1, "type": "reply", "id": "1", "command": "variables", "ok": True, "body": body}
    assert validate_reply(reply) == reply
