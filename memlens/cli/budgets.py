"""Memory budgets for ``memlens run``: the kernel's peak RSS, each cell's peak above its
start, and per-cell budgets from cell metadata (``{"memlens": {"max_peak": "2GiB"}}``).

A peak measured by sampling is a lower bound: exceeding a budget with it is certain, staying
under it is not (the message says so). A cell whose peak was not measured is not checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from .report import Record, peak_above
from .sizes import format_bytes, parse_size

METADATA_KEY = "memlens"
BUDGET_KEY = "max_peak"


@dataclass
class RanCell:
    """A code cell that ran: its index in the notebook, its budget and its record."""

    index: int
    record: Record
    budget: Optional[int] = None  # noqa: UP045 -- dataclass fields are evaluated on 3.9


@dataclass
class Breach:
    """One budget a run exceeded, in words."""

    message: str


def cell_budget(metadata: Any, index: int) -> int | None:
    """The cell's ``memlens.max_peak`` in bytes, None without one; ValueError naming the
    cell when it is not a size."""
    entry = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
    if not isinstance(entry, dict) or BUDGET_KEY not in entry:
        return None
    try:
        return parse_size(entry[BUDGET_KEY])
    except ValueError as error:
        raise ValueError(f"cell {index}: metadata memlens.{BUDGET_KEY}: {error}") from None


def _name(cell: RanCell) -> str:
    count = cell.record.get("execution_count")
    label = f"cell {cell.index}" + ("" if count is None else f" [{count}]")
    preview = cell.record.get("preview") or ""
    return f"{label} {preview!r}" if preview else label


def _sampled(cell: RanCell) -> str:
    return " (sampled: at least)" if cell.record.get("peak_method") == "sampled" else ""


def kernel_peak(cells: list[RanCell]) -> int | None:
    """The highest RSS the kernel reached during the cells (peak, else RSS after)."""
    values = [
        value
        for cell in cells
        for value in (cell.record.get("rss_peak"), cell.record.get("rss_after"))
        if value is not None
    ]
    return max(values) if values else None


def breaches(cells: list[RanCell], max_peak: int | None, max_cell_peak: int | None) -> list[Breach]:
    """Every budget exceeded, naming the cells."""
    found: list[Breach] = []
    if max_peak is not None:
        over = [
            cell
            for cell in cells
            if max(cell.record.get("rss_peak") or 0, cell.record.get("rss_after") or 0) > max_peak
        ]
        if over:
            worst = kernel_peak(cells)
            names = "; ".join(
                f"{_name(cell)} reached {format_bytes(cell.record.get('rss_peak'))}{_sampled(cell)}"
                for cell in over
            )
            found.append(
                Breach(
                    f"kernel peak {format_bytes(worst)} exceeds --max-peak"
                    f" {format_bytes(max_peak)}: {names}"
                )
            )
    for cell in cells:
        for budget, source in ((max_cell_peak, "--max-cell-peak"), (cell.budget, "its max_peak")):
            peak = peak_above(cell.record)
            if budget is None or peak is None or peak <= budget:
                continue
            found.append(
                Breach(
                    f"{_name(cell)}: peak +{format_bytes(peak)}{_sampled(cell)} above its start"
                    f" exceeds {source} {format_bytes(budget)}"
                )
            )
    return found


def unchecked(cells: list[RanCell], max_cell_peak: int | None) -> list[str]:
    """Cells with a per-cell budget whose peak was not measured (platform without probes)."""
    return [
        _name(cell)
        for cell in cells
        if (max_cell_peak is not None or cell.budget is not None)
        and peak_above(cell.record) is None
    ]
