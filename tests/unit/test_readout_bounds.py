"""The one-line readout marks lower bounds with ``≥`` (and only them)."""

from __future__ import annotations

from memlens.magics import format_readout
from memlens.wire.protocol import CellRecord

MiB = 1024 * 1024


def _record(**overrides: object) -> CellRecord:
    record: dict[str, object] = {
        "seq": 1,
        "cell_id": None,
        "execution_count": 3,
        "preview": "x",
        "started": 0.0,
        "duration_s": 1.24,
        "success": True,
        "rss_before": 100 * MiB,
        "rss_after": 120 * MiB,
        "rss_peak": 130 * MiB,
        "peak_method": "exact",
        "sample_interval_s": None,
        "python_delta": 0,
        "native_delta": 0,
        "allocator_free_delta": 0,
        "output_cache_delta": 0,
        "precise": None,
    }
    record.update(overrides)
    return record  # type: ignore[return-value]


def test_children_peak_is_a_lower_bound() -> None:
    lines = format_readout(_record(children_peak=500 * MiB)).splitlines()
    assert lines[0] == "[memlens] RSS +20.0 MiB \u00b7 peak +30.0 MiB \u00b7 1.24 s"
    assert lines[1] == "[memlens] child processes peak \u2265 500.0 MiB"


def test_no_children_line_when_none_seen() -> None:
    for peak in (0, None):
        text = format_readout(_record(children_peak=peak))
        assert "child processes" not in text and "\u2265" not in text
