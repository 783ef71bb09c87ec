"""The cell report ``memlens run`` writes: the same CSV, JSON and HTML files as the
JupyterLab export (``src/cells/report.ts``), from the records of one kernel process.

Sizes stay in bytes in CSV and JSON; the HTML page formats them. Numbers are written as
JavaScript writes them (``1e-7``, ``0.00001``, ``true``), so a file from either side reads
the same.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from typing import Any

from .sizes import format_bytes, format_delta, format_duration

REPORT_VERSION = 1
Record = dict[str, Any]


def _escape(text: str) -> str:
    """As the frontend's ``escapeHtml``: ``&``, ``<``, ``>`` and ``"``."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def rss_delta(record: Record) -> int | None:
    """RSS after minus before; None when either is unknown."""
    before, after = record.get("rss_before"), record.get("rss_after")
    return None if before is None or after is None else int(after - before)


def peak_above(record: Record) -> int | None:
    """Peak above the RSS at the cell's start; None when unknown."""
    before, peak = record.get("rss_before"), record.get("rss_peak")
    return None if before is None or peak is None else max(0, int(peak - before))


def iso_time(seconds: float) -> str:
    """``2024-05-01T12:00:00.123Z``, as JavaScript's ``Date.toISOString``."""
    moment = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def js_number(value: float) -> str:
    """A number as JavaScript's ``String(n)`` writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        power = int(exponent)
        if -7 < power < 21:  # JavaScript writes these positionally
            return format(value, "f").rstrip("0").rstrip(".") if power < 0 else text
        return f"{mantissa}e{'+' if power > 0 else '-'}{abs(power)}"
    return text


CSV_COLUMNS = (
    "kernel_pid",
    "seq",
    "execution_count",
    "cell_id",
    "preview",
    "started",
    "duration_s",
    "success",
    "rss_before",
    "rss_after",
    "rss_delta",
    "rss_peak",
    "peak_above_start",
    "peak_method",
    "python_delta",
    "allocator_free_delta",
    "native_delta",
    "output_cache_delta",
)


def _csv_field(value: object) -> str:
    if value is None:
        return ""
    text = js_number(value) if isinstance(value, (bool, int, float)) else str(value)
    if any(char in text for char in '",\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


def to_csv(records: Sequence[Record], pid: int) -> str:
    """The records as CSV, oldest first, one row per executed cell, sizes in bytes."""
    lines = [",".join(CSV_COLUMNS)]
    for record in records:
        values: dict[str, object] = {
            **record,
            "kernel_pid": pid,
            "started": iso_time(record["started"]),
            "rss_delta": rss_delta(record),
            "peak_above_start": peak_above(record),
        }
        lines.append(",".join(_csv_field(values.get(column)) for column in CSV_COLUMNS))
    return "\r\n".join(lines) + "\r\n"


def to_json(records: Sequence[Record], pid: int, notebook: str, exported_at: str) -> str:
    """The records as the kernel sent them, with their process (``toJson``'s shape)."""
    from ..wire.protocol import PROTOCOL_VERSION

    document = {
        "memlens_report": REPORT_VERSION,
        "protocol_version": PROTOCOL_VERSION,
        "notebook": notebook,
        "exported_at": exported_at,
        "cells": [{"kernel_pid": pid, **record} for record in records],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def _fixed(value: float) -> str:
    return f"{value:.1f}"


def chart_svg(records: Sequence[Record]) -> str:
    """Per-cell Δ RSS bars over the RSS-after line, as inline SVG (``chartSvg``)."""
    data = [record for record in records if record.get("rss_after") is not None]
    width, height, pad = 720, 240, 40
    if not data:
        return ""
    deltas = [rss_delta(record) or 0 for record in data]
    rss = [record["rss_after"] or 0 for record in data]
    max_rss = max([*rss, 1])
    max_delta = max([*(abs(d) for d in deltas), 1])
    step = (width - 2 * pad) / len(data)
    mid = height / 2
    bars = []
    for index, delta in enumerate(deltas):
        bar = abs(delta) / max_delta * (mid - pad / 2)
        top = mid - bar if delta >= 0 else mid
        fill = "#d9534f" if delta >= 0 else "#5cb85c"
        count = data[index].get("execution_count")
        label = _escape(f"[{'' if count is None else count}] {format_delta(delta)}")
        bars.append(
            f'<rect x="{_fixed(pad + index * step + step * 0.15)}" y="{_fixed(top)}"'
            f' width="{_fixed(step * 0.7)}" height="{_fixed(bar)}" fill="{fill}">'
            f"<title>{label}</title></rect>"
        )
    points = " ".join(
        f"{_fixed(pad + index * step + step / 2)},"
        f"{_fixed(height - pad / 2 - value / max_rss * (height - pad))}"
        for index, value in enumerate(rss)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img"'
        ' aria-label="Per-cell RSS change (bars) and RSS after each cell (line)">'
        f'<line x1="{pad}" y1="{js_number(mid)}" x2="{width - pad}" y2="{js_number(mid)}"'
        ' stroke="#999"/>'
        + "".join(bars)
        + f'<polyline points="{points}" fill="none" stroke="#337ab7" stroke-width="2"/>'
        f'<text x="{pad}" y="14" font-size="11">RSS after (line), max'
        f" {_escape(format_bytes(max_rss))}; \u0394 RSS per cell (bars), max"
        f" \u00b1{_escape(format_bytes(max_delta))}</text></svg>"
    )


def _row(record: Record, pid: int) -> str:
    count = record.get("execution_count")
    cells = [
        str(pid),
        "" if count is None else f"[{count}]",
        str(record.get("preview", "")),
        format_delta(rss_delta(record)),
        "\u2014" if record.get("peak_method") == "none" else format_delta(peak_above(record)),
        str(record.get("peak_method")),
        format_delta(record.get("allocator_free_delta")),
        format_delta(record.get("output_cache_delta")),
        format_duration(float(record.get("duration_s", 0.0))),
        "" if record.get("success") else "error",
    ]
    return "<tr>" + "".join(f"<td>{_escape(cell)}</td>" for cell in cells) + "</tr>"


_STYLE = """body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 2px 8px; border-bottom: 1px solid #ddd; text-align: right; }
td:nth-child(3) { text-align: left; font-family: monospace; max-width: 30em; \
overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
svg { max-width: 720px; display: block; margin: 1em 0; }"""

_HEADER = (
    "<tr><th>pid</th><th>#</th><th>cell</th><th>\u0394 RSS</th><th>peak</th>"
    "<th>peak method</th><th>held free \u0394</th><th>output cache \u0394</th>"
    "<th>time</th><th></th></tr>"
)


def to_html(records: Sequence[Record], pid: int, notebook: str, exported_at: str) -> str:
    """A self-contained HTML page: the chart and the table, no scripts, no network."""
    title = _escape(f"memlens cell report \u2014 {notebook}")
    body = "\n".join(_row(record, pid) for record in records)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>\n{_STYLE}\n</style>\n</head>\n<body>\n"
        f"<h1>{title}</h1>\n<p>Exported {_escape(exported_at)}.</p>\n"
        f"{chart_svg(records)}\n<table>\n<thead>{_HEADER}</thead>\n<tbody>\n{body}\n"
        "</tbody>\n</table>\n</body>\n</html>\n"
    )
