"""Execute a notebook headless in a fresh kernel with memlens recording, through nbclient.

nbclient and nbformat are imported here only, when ``memlens run`` runs (the optional
extra ``run``); the kernel side never needs them. Recording is turned on as the JupyterLab
frontend does it: the probe as a silent user expression, else the bootstrap that injects
memlens' own source. After each code cell, a silent user expression reads that cell's
record (``memlens.cell_records()``): a user expression binds no name and produces no output,
execution count or ``Out`` entry.
"""

from __future__ import annotations

import ast
import asyncio
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from . import inject
from .budgets import RanCell, cell_budget

REPLY_TIMEOUT_S = 60.0
"""How long a silent execute (probe, bootstrap, record read) may take."""

PIN_SETTLE_S = 10.0
"""After the last cell, how long to wait for the kernel to complete output-cache pins it
sized only as a lower bound at their cell's end (it does so on its worker thread while
idle; silent executes do not interrupt it). A pin still incomplete then stays a lower
bound in the report, marked so."""

PIN_POLL_S = 0.25


class RunError(Exception):
    """The run could not start or go on; ``code`` is the exit status to end with."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Outcome:
    """What a run produced: the executed notebook, its cells' records and how it ended."""

    notebook: Any
    pid: int
    source: str
    """``installed`` or ``injected``: how memlens reached the kernel."""
    cells: list[RanCell] = field(default_factory=list)
    failed_cell: Optional[int] = None  # noqa: UP045 -- dataclass fields are evaluated on 3.9
    """Index of the cell that raised, None when none did."""
    error: str = ""
    """The raising cell's error, or why the kernel stopped (with ``stopped``)."""
    stopped: bool = False
    """The kernel died or a cell timed out: the cells after it did not run."""


def import_nbclient() -> tuple[Any, Any]:
    """``(nbclient, nbformat)``, or a RunError saying how to install them."""
    try:
        import nbclient
        import nbformat
    except ImportError as error:
        raise RunError(
            f"memlens run needs nbclient and nbformat ({error.name} is missing):"
            " pip install 'jupyterlab-memlens[run]'",
            5,
        ) from None
    return nbclient, nbformat


async def _silent(kc: Any, code: str, expressions: dict[str, str]) -> dict[str, Any]:
    """The content of the reply to a silent execute (no history, no output, no count)."""
    msg_id = kc.execute(code, silent=True, store_history=False, user_expressions=expressions)
    deadline = time.monotonic() + REPLY_TIMEOUT_S
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise RunError("the kernel did not answer memlens' silent request", 4)
        msg = await kc.get_shell_msg(timeout=left)
        if msg.get("parent_header", {}).get("msg_id") == msg_id:
            content: dict[str, Any] = msg["content"]
            return content


def _value(content: dict[str, Any], name: str) -> Any:
    """A user expression's value (a Python literal), or None when it failed."""
    result = content.get("user_expressions", {}).get(name, {})
    if result.get("status") != "ok":
        return None
    try:
        return ast.literal_eval(result["data"]["text/plain"])
    except (KeyError, ValueError, SyntaxError):
        return None


async def _start_recording(kc: Any, language: str) -> tuple[int, str]:
    """Load memlens in the kernel and install its recorder: ``(pid, source)``."""
    if language and language.lower() != "python":
        raise RunError(
            f"memlens run needs a Python kernel; this kernel's language is {language}", 5
        )
    probe = await _silent(kc, "", {"probe": inject.PROBE_EXPRESSION})
    source = "installed"
    if _value(probe, "probe") is not True:
        reply = await _silent(kc, inject.bootstrap_code(), {})
        if reply.get("status") != "ok":
            detail = f"{reply.get('ename', '')}: {reply.get('evalue', '')}".strip(": ")
            raise RunError(f"could not load memlens in the kernel: {detail}", 5)
        source = "injected"
    ready = await _silent(kc, "", {"pid": inject.PID_EXPRESSION, "on": inject.RECORDING_EXPRESSION})
    pid = _value(ready, "pid")
    if not isinstance(pid, int) or _value(ready, "on") is not True:
        raise RunError("memlens did not start recording in the kernel (not an IPython kernel?)", 5)
    return pid, source


async def _last_record(kc: Any) -> dict[str, Any] | None:
    reply = await _silent(kc, "", {"r": inject.RECORDS_EXPRESSION.format(n=1)})
    text = _value(reply, "r")
    records = json.loads(text) if isinstance(text, str) else []
    return records[-1] if records else None


async def _settle_records(kc: Any, cells: list[RanCell]) -> None:
    """Replace each cell's record with the kernel's newest copy of it (same ``seq``).

    A record read right after its cell may carry an output-cache pin that was a lower
    bound then and that the kernel completed since: the report carries what the kernel
    knows at the end, waiting up to :data:`PIN_SETTLE_S` for pins it is still completing.
    """
    if not cells:
        return
    deadline = time.monotonic() + PIN_SETTLE_S
    while True:
        reply = await _silent(
            kc,
            "",
            {
                "r": inject.RECORDS_EXPRESSION.format(n=len(cells)),
                "completing": inject.COMPLETING_EXPRESSION,
            },
        )
        text = _value(reply, "r")
        records = json.loads(text) if isinstance(text, str) else []
        newest = {record.get("seq"): record for record in records if isinstance(record, dict)}
        for cell in cells:
            cell.record = newest.get(cell.record["seq"], cell.record)
        lower = any(cell.record.get("output_cache_complete") is False for cell in cells)
        completing = _value(reply, "completing") is True
        if not (lower and completing) or time.monotonic() + PIN_POLL_S > deadline:
            return
        await asyncio.sleep(PIN_POLL_S)


Progress = Callable[[int, int, int, "dict[str, Any] | None"], None]
"""Called after each code cell: (position among code cells, their count, cell index, record)."""


async def _run(
    path: Path, kernel: str | None, timeout: float | None, progress: Progress | None
) -> Outcome:
    nbclient, nbformat = import_nbclient()
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    try:
        notebook = nbformat.read(str(path), as_version=4)
    except Exception as error:
        raise RunError(f"cannot read {path}: {error}", 5) from None
    budgets = {}
    for index, cell in enumerate(notebook.cells):
        try:
            budgets[index] = cell_budget(cell.get("metadata"), index)
        except ValueError as error:
            raise RunError(str(error), 2) from None
    options: dict[str, Any] = {
        "timeout": timeout,
        "resources": {"metadata": {"path": str(path.resolve().parent)}},
    }
    if kernel:
        options["kernel_name"] = kernel
    client = nbclient.NotebookClient(notebook, **options)
    client.reset_execution_trackers()
    code_cells = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and cell.source.strip()
    ]
    outcome = Outcome(notebook=notebook, pid=-1, source="")
    running: int | None = None
    try:
        async with client.async_setup_kernel():
            info = await client.async_wait_for_reply(client.kc.kernel_info())
            language_info = (info or {}).get("content", {}).get("language_info", {})
            notebook.metadata["language_info"] = language_info
            language = str(language_info.get("name", ""))
            outcome.pid, outcome.source = await _start_recording(client.kc, language)
            for position, index in enumerate(code_cells):
                running = index
                try:
                    await client.async_execute_cell(notebook.cells[index], index)
                except CellExecutionError as error:
                    outcome.failed_cell = index
                    outcome.error = str(error)
                running = None
                record = await _last_record(client.kc)
                if record is not None and (
                    not outcome.cells or record["seq"] != outcome.cells[-1].record["seq"]
                ):
                    outcome.cells.append(RanCell(index, record, budgets[index]))
                if progress is not None:
                    progress(position, len(code_cells), index, record)
                if outcome.failed_cell is not None:
                    break
            await _settle_records(client.kc, outcome.cells)
    except (DeadKernelError, CellTimeoutError) as error:
        outcome.stopped, outcome.failed_cell = True, running
        outcome.error = f"{type(error).__name__}: {error}".rstrip(": ")
    except RunError:
        raise
    except Exception as error:
        if type(error).__name__ == "NoSuchKernel":
            raise RunError(f"no such kernel: {error}", 5) from None
        raise
    return outcome


def run_notebook(
    path: Path,
    kernel: str | None = None,
    timeout: float | None = None,
    progress: Progress | None = None,
) -> Outcome:
    """Execute ``path`` in a fresh kernel with memlens recording; never writes ``path``."""
    if sys.platform == "win32":  # zmq needs the selector loop there
        asyncio.set_event_loop_policy(asyncio.WindowsSelectorEventLoopPolicy())  # type: ignore[attr-defined]
    return asyncio.run(_run(path, kernel, timeout, progress))
