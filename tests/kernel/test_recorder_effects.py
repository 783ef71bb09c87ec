"""Recording in real kernels changes nothing a user sees; %load_ext; subshells; import cost.

The accuracy of the records is checked in test_recorder.py.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import make_flavour
from harness import REPO_ROOT, Kernel
from recording import (
    RECORD_KEYS,
    Recording,
    recording_session,
)

from memlens.wire.protocol import validate_reply


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recording]:
    """A fresh kernel for this module's tests (memlens installed)."""
    yield from recording_session(tmp_path_factory)


def test_recording_changes_nothing_a_user_can_see(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The same cells in a recording kernel and in a kernel without memlens leave the
    same namespace, history, output cache and execution count."""
    cells = [
        "x = 1",
        "x + 41",
        "print('hello')",
        "raise ValueError('boom')",
        "[x, 2]",
        "x = (",
        "_ + [3]",
        "",
        "y = x",
    ]
    states = []
    for name in ("recording", "bare"):
        workdir = tmp_path_factory.mktemp(f"state-{name}")
        kernel = Kernel.start(make_flavour("installed", workdir), workdir)
        try:
            if name == "recording":
                kernel.bootstrap()
            counts = []
            for cell in cells:
                reply, _ = kernel.execute(cell)
                counts.append(reply["execution_count"])
            state = kernel.state()
            del state["_dh"]  # the working directory: each kernel has its own
            states.append((counts, state))
            if name == "recording":
                body = kernel.evaluate(
                    {
                        "n": "len(__import__('memlens.cells.recorder', fromlist=['x'])"
                        ".current().records())"
                    }
                )
                assert body["n"] == str(len(cells) - 1), "every non-empty cell is recorded"
        finally:
            kernel.stop()
    assert states[0] == states[1]


# -- %load_ext memlens --------------------------------------------------------------------

READOUT = re.compile(
    r"^\[memlens\] RSS \+(\d+\.\d) MiB \u00b7 peak \+(\d+\.\d) MiB \u00b7 \d+(\.\d+)? (ms|s)\n$"
)


def test_load_ext_prints_a_readout_after_each_cell(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    workdir = tmp_path_factory.mktemp("load-ext")
    kernel = Kernel.start(make_flavour("installed", workdir), workdir)
    try:
        reply, iopub = kernel.execute("%load_ext memlens")
        assert reply["status"] == "ok", reply
        assert kernel.stream_text(iopub) == "", "no readout for the cell that loaded it"
        reply, iopub = kernel.execute("a = bytearray(50 * 2**20)")
        found = READOUT.match(kernel.stream_text(iopub))
        assert found, kernel.stream_text(iopub)
        assert 49 <= float(found.group(1)) <= 52 and float(found.group(2)) >= 49
        reply, iopub = kernel.execute("print('hi')")
        assert kernel.stream_text(iopub).startswith("hi\n[memlens] RSS ")
        values = kernel.evaluate(
            {
                "keys": "sorted(__import__('memlens').cell_records()[-1])",
                "counts": "[r['execution_count'] for r in __import__('memlens').cell_records()]",
            }
        )
        assert ast.literal_eval(values["keys"]) == RECORD_KEYS
        assert ast.literal_eval(values["counts"]) == [2, 3]
        reply, iopub = kernel.execute("%unload_ext memlens")
        reply, iopub = kernel.execute("b = 1")
        assert kernel.stream_text(iopub) == ""
        assert "Traceback" not in kernel.stderr()
    finally:
        kernel.stop()


def test_cells_and_configure_are_answered_on_a_subshell_while_a_cell_runs(
    recording: Recording,
) -> None:
    """The recorder holds its lock only briefly: a frontend's requests on a subshell
    thread get answers while the user's cell runs, and the cell's record follows."""
    kernel = recording.kernel
    comm, _ = kernel.open_comm()  # fresh: see test_kernel_comm's subshell test
    subshell = kernel.create_subshell()
    cell = kernel.send_execute("import time\nfor _ in range(20):\n    time.sleep(0.05)")
    started = time.monotonic()
    seen = []
    for _ in range(5):
        reply = kernel.request(comm, "cells", {"after": recording.seen}, subshell_id=subshell)
        assert validate_reply(reply) == reply
        seen.append(len(reply["body"]["records"]))
        time.sleep(0.05)
    configured = kernel.request(comm, "configure", {"precise": False}, subshell_id=subshell)
    answered = time.monotonic() - started
    assert configured["body"] == {"precise": False}
    assert kernel.shell_reply(cell)["content"]["status"] == "ok"
    finished = time.monotonic() - started
    assert answered < finished - 0.3, (answered, finished)
    assert seen == [0] * 5, "the running cell has no record yet"
    body = recording.records()
    assert [r["preview"] for r in body["records"]] == ["import time"]
    recording.seen = body["last_seq"]
    kernel.close_comm(comm)


def test_importing_memlens_is_light(tmp_path: Path) -> None:
    code = (
        "import sys, memlens\n"
        "heavy = {'memlens.cells.recorder', 'memlens.probes.process', 'memlens.probes.libc',"
        " 'memlens.wire.comm', 'ctypes', 'tracemalloc',"
        " 'IPython'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
        "print(memlens.cell_records())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "[]"
