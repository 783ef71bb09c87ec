"""``memlens run NOTEBOOK``: execute a notebook headless and report each cell's memory.

Also ``python -m memlens run``. Needs the optional extra ``run`` (nbclient, nbformat) and a
kernel; the kernel's environment needs no memlens (its source is injected as the JupyterLab
frontend does). Exit status:

- 0: every cell ran and no budget was exceeded
- 1: a cell raised (the run stops there, as ``jupyter nbconvert --execute`` does); reported
  as an error even when a budget was exceeded too
- 2: usage (bad option, bad size, bad ``memlens.max_peak`` in a cell's metadata)
- 3: a memory budget was exceeded (``--max-peak``, ``--max-cell-peak``, ``max_peak``)
- 4: the kernel died (e.g. killed for memory) or a cell timed out
- 5: could not run: no nbclient, unreadable notebook, no such kernel, not a Python kernel

The reports are written whatever the status, with the cells that ran.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path
from typing import Any

from .budgets import RanCell, breaches, kernel_peak, unchecked
from .sizes import format_bytes, format_delta, format_duration, parse_size

OK, CELL_ERROR, USAGE, BUDGET, KERNEL_STOPPED, CANNOT_RUN = 0, 1, 2, 3, 4, 5


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parser() -> argparse.ArgumentParser:
    """The command line of ``memlens``."""
    top = argparse.ArgumentParser(prog="memlens", description="memlens outside JupyterLab.")
    commands = top.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run",
        help="execute a notebook headless and report each cell's memory",
        description="Execute a notebook headless in a fresh kernel and report each cell's memory.",
        epilog="exit status: 0 ok, 1 a cell raised, 2 usage, 3 budget exceeded,"
        " 4 kernel died or timed out, 5 could not run",
    )
    run.add_argument("notebook", type=Path, help="the .ipynb file to execute")
    run.add_argument("--kernel", help="kernel name (default: the notebook's kernelspec)")
    run.add_argument("--html", type=Path, help="write the HTML report here")
    run.add_argument("--json", type=Path, help="write the JSON report here")
    run.add_argument("--csv", type=Path, help="write the CSV report here")
    where = run.add_mutually_exclusive_group()
    where.add_argument("--output", type=Path, help="write the executed notebook with readouts")
    where.add_argument("--inplace", action="store_true", help="write it over NOTEBOOK")
    run.add_argument("--max-peak", type=_size, metavar="SIZE", help="budget for the kernel's RSS")
    run.add_argument(
        "--max-cell-peak",
        type=_size,
        metavar="SIZE",
        help="budget for each cell's peak above its start",
    )
    run.add_argument("--timeout", type=float, metavar="SECONDS", help="per cell (default: none)")
    run.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a line per cell on stderr (default: when stderr is a terminal)",
    )
    return top


def _say(text: str) -> None:
    print(f"memlens: {text}", file=sys.stderr, flush=True)


def _progress_line(position: int, total: int, index: int, record: dict[str, Any] | None) -> None:
    from .report import peak_above, rss_delta

    if record is None:
        readout = "no record"
    else:
        sampled = "\u2248" if record.get("peak_method") == "sampled" else ""
        readout = " \u00b7 ".join(
            [
                f"RSS {format_delta(rss_delta(record))}",
                f"peak {sampled}{format_delta(peak_above(record))}",
                format_duration(float(record.get("duration_s", 0.0))),
            ]
            + ([] if record.get("success", True) else ["error"])
        )
        preview = str(record.get("preview", ""))[:40]
        readout = f"{preview!r} {readout}"
    print(f"[{position + 1}/{total}] cell {index} {readout}", file=sys.stderr, flush=True)


def _store_readouts(notebook: Any, cells: list[RanCell]) -> None:
    """Each ran cell's record in its metadata ``memlens`` (the Lab's persisted readout),
    keeping a budget written there."""
    for cell in cells:
        metadata = notebook.cells[cell.index].metadata
        kept = metadata.get("memlens")
        extra = (
            {"max_peak": kept["max_peak"]} if isinstance(kept, dict) and "max_peak" in kept else {}
        )
        metadata["memlens"] = {**cell.record, **extra}


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")


def run(options: argparse.Namespace) -> int:
    """``memlens run``: the exit status."""
    from . import report
    from .execute import RunError, import_nbclient, run_notebook

    path: Path = options.notebook
    if not path.is_file():
        _say(f"no such notebook: {path}")
        return CANNOT_RUN
    show = sys.stderr.isatty() if options.progress is None else options.progress
    try:
        _, nbformat = import_nbclient()
        outcome = run_notebook(
            path, options.kernel, options.timeout, _progress_line if show else None
        )
    except RunError as error:
        _say(str(error))
        return error.code
    records = [cell.record for cell in outcome.cells]
    exported_at = report.iso_time(datetime.datetime.now(datetime.timezone.utc).timestamp())
    name = str(path)
    target = path if options.inplace else options.output
    try:
        if options.csv:
            _write(options.csv, report.to_csv(records, outcome.pid))
        if options.json:
            _write(options.json, report.to_json(records, outcome.pid, name, exported_at) + "\n")
        if options.html:
            _write(options.html, report.to_html(records, outcome.pid, name, exported_at))
        if target is not None:
            _store_readouts(outcome.notebook, outcome.cells)
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(outcome.notebook, str(target))
    except OSError as error:
        _say(f"cannot write {error.filename}: {error.strerror}")
        return CANNOT_RUN
    _say(
        f"{len(records)} cells ran in kernel {outcome.pid} (memlens {outcome.source}),"
        f" kernel peak {format_bytes(kernel_peak(outcome.cells))}"
    )
    found = breaches(outcome.cells, options.max_peak, options.max_cell_peak)
    for breach in found:
        _say(f"budget exceeded: {breach.message}")
    for name in unchecked(outcome.cells, options.max_cell_peak):
        _say(f"budget not checked: {name}: this platform gives no peak")
    if outcome.stopped:
        where = "" if outcome.failed_cell is None else f" while running cell {outcome.failed_cell}"
        _say(f"the kernel stopped{where}: {outcome.error}")
        return KERNEL_STOPPED
    if outcome.failed_cell is not None:
        _say(f"cell {outcome.failed_cell} raised an error:\n{outcome.error}")
        return CELL_ERROR
    return BUDGET if found else OK


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``memlens`` command; returns the exit status."""
    options = parser().parse_args(argv)
    if options.command == "run":
        return run(options)
    return USAGE  # pragma: no cover - argparse requires a command
