"""Real deaths of real kernels in a real memory cgroup, and what the next kernel says.

Each test makes a child memory cgroup under this process's own (read from
/proc/self/cgroup; v1 ``memory.limit_in_bytes`` or v2 ``memory.max``), with a limit of a
few hundred MiB and no swap, and starts kernels inside it: the kernel spec's argv is a
shell that writes its own pid to ``cgroup.procs`` and then execs ipykernel, so a restart
(same connection file, so the same kernel id) lands in the same cgroup. The kernel record
goes to a temporary JUPYTER_RUNTIME_DIR. Where no cgroup can be made (not root, no memory
controller, v2 without a delegated subtree) the tests skip with the reason; under CI they
fail instead.
"""

from __future__ import annotations

import ast
import json
import os
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import IPYKERNEL6_VARIABLE, make_flavour
from harness import REPO_ROOT, Kernel
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

sys.path.insert(0, str(REPO_ROOT))
from memlens.probes.cgroup import cgroup_files

MiB = 1 << 20
LIMIT = 320 * MiB
JOIN = 'echo $$ > "$1/cgroup.procs" && exec "$2" -m ipykernel_launcher -f "$3"'
GROW = (
    "blocks = []\n"
    "for step in range(200):\n"
    "    blocks.append(b'x' * (8 << 20))\n"
    "    time.sleep(0.02)\n"
)


def _cannot(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"a memory cgroup is needed in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def cgroup() -> Iterator[Path]:
    """A child memory cgroup with a LIMIT and no swap, removed afterwards."""
    files = cgroup_files()
    if files is None:
        _cannot("this process is in no memory cgroup")
    assert files is not None
    parent = Path(files.directory)
    child = parent / f"memlens-test-{uuid.uuid4().hex[:8]}"
    try:
        child.mkdir()
    except OSError as error:
        _cannot(f"cannot create a child cgroup under {parent}: {error}")
    try:
        if files.version == 2:
            (child / "memory.max").write_text(str(LIMIT))
            if (child / "memory.swap.max").exists():
                (child / "memory.swap.max").write_text("0")
        else:
            (child / "memory.limit_in_bytes").write_text(str(LIMIT))
            if (child / "memory.memsw.limit_in_bytes").exists():
                (child / "memory.memsw.limit_in_bytes").write_text(str(LIMIT))
    except OSError as error:
        child.rmdir()
        _cannot(f"cannot set a memory limit on {child}: {error}")
    yield child
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        pids = (child / "cgroup.procs").read_text().split()
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.1)
    child.rmdir()


class CgroupKernel:
    """A kernel whose every (re)start joins ``cgroup``; restarts keep the kernel id."""

    def __init__(self, python: str, memlens_on_path: bool, cgroup: Path, workdir: Path) -> None:
        spec_dir = workdir / "kernels" / "memlens-cgroup"
        spec_dir.mkdir(parents=True)
        argv = ["/bin/sh", "-c", JOIN, "sh", str(cgroup), python, "{connection_file}"]
        spec = {"argv": argv, "display_name": "cgroup", "language": "python"}
        (spec_dir / "kernel.json").write_text(json.dumps(spec))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "JPY_"))}
        if memlens_on_path:
            env["PYTHONPATH"] = str(REPO_ROOT)
        self.runtime = workdir / "runtime"
        env["JUPYTER_RUNTIME_DIR"] = str(self.runtime)
        self.cgroup = cgroup
        self._stderr = open(workdir / "kernel-stderr.log", "wb")  # kept open for restarts
        manager = KernelManager(
            kernel_name="memlens-cgroup",
            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(workdir / "kernels")]),
        )
        manager.start_kernel(env=env, cwd=str(workdir), stderr=self._stderr)
        client = manager.client()
        client.start_channels()
        self.kernel = Kernel(manager, client, workdir / "kernel-stderr.log")
        self._ready()

    def _ready(self) -> None:
        self.kernel.client.wait_for_ready(timeout=60)
        assert str(self.kernel.pid) in (self.cgroup / "cgroup.procs").read_text().split()
        reply, _ = self.kernel.bootstrap()
        assert reply["status"] == "ok", reply

    def wait_for_death(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.kernel.manager.is_alive():
            assert time.monotonic() < deadline, "the kernel did not die"
            time.sleep(0.1)

    def restart(self, *, now: bool = True) -> None:
        self.kernel.manager.restart_kernel(now=now)
        self._ready()

    def last_exit(self) -> Any:
        values = self.kernel.evaluate({"exit": "__import__('memlens').last_exit()"})
        return ast.literal_eval(values["exit"])

    def stop(self) -> None:
        self.kernel.stop()
        self._stderr.close()


@pytest.fixture(params=["installed", "ipykernel6"])
def kernel(request: pytest.FixtureRequest, cgroup: Path, tmp_path: Path) -> Iterator[CgroupKernel]:
    flavour = make_flavour(request.param, tmp_path)
    started = CgroupKernel(flavour.python, flavour.memlens_on_path, cgroup, tmp_path)
    try:
        yield started
    finally:
        started.stop()


def _assert_cell(report: dict[str, Any], cell_id: str, count: int) -> None:
    assert report["running"] is True
    assert report["cell_id"] == cell_id
    assert report["execution_count"] == count


def test_an_oom_kill_names_the_cell_that_ran(kernel: CgroupKernel) -> None:
    assert kernel.last_exit() is None, "a fresh kernel id has no previous kernel"
    reply, _ = kernel.kernel.execute("import time; keep = 1")
    assert reply["status"] == "ok"
    kernel.kernel.send_execute(GROW, cell_id="cell-that-grows")
    kernel.wait_for_death()
    kernel.restart()
    report = kernel.last_exit()
    assert report["cause"] == "oom_kill", report
    _assert_cell(report, "cell-that-grows", 2)
    assert report["preview"] == "blocks = []"
    assert report["limit"] == LIMIT
    # The live sampler wrote readings while the cell grew: well above the kernel's start
    # (~70 MiB). RSS may pass the limit a little: it counts shared library pages that were
    # charged to the cgroup of whoever read them first, not to this one.
    assert 150 * MiB < report["rss_peak"] < LIMIT + 100 * MiB, report
    assert report["rss_last"] <= report["rss_peak"]
    assert any("oom_kill counter rose" in line for line in report["evidence"])
    kernel.restart(now=False)
    assert kernel.last_exit() is None or kernel.last_exit()["cause"] == "oom_kill"


def test_kill_9_reads_as_killed_not_oom(kernel: CgroupKernel) -> None:
    kernel.kernel.send_execute("import time\ntime.sleep(60)", cell_id="cell-sleeps")
    time.sleep(1.0)
    os.kill(kernel.kernel.pid, signal.SIGKILL)
    kernel.wait_for_death()
    kernel.restart()
    report = kernel.last_exit()
    assert report["cause"] == "killed", report
    _assert_cell(report, "cell-sleeps", 1)
    assert report["rss_last"] < 150 * MiB


def test_a_segfault_reads_as_crashed(kernel: CgroupKernel) -> None:
    reply, _ = kernel.kernel.execute("x = 1")
    assert reply["status"] == "ok"
    kernel.kernel.send_execute("import ctypes\nctypes.string_at(0)", cell_id="cell-crashes")
    kernel.wait_for_death()
    kernel.restart()
    report = kernel.last_exit()
    assert report["cause"] == "crashed", report
    assert report["signal"] == "Segmentation fault"
    _assert_cell(report, "cell-crashes", 2)


def test_a_clean_restart_leaves_no_report(kernel: CgroupKernel) -> None:
    reply, _ = kernel.kernel.execute("x = 1")
    assert reply["status"] == "ok"
    kernel.restart(now=False)
    assert kernel.last_exit() is None
    names = sorted(p.name for p in kernel.runtime.iterdir() if p.name.startswith("memlens-"))
    assert len(names) == 2 and names[0].endswith(".crash") and names[1].endswith(".json")


def test_the_guard_stops_the_cell_and_the_kernel_keeps_its_state(
    kernel: CgroupKernel,
) -> None:
    reply, _ = kernel.kernel.execute("import time; keep = 42")
    assert reply["status"] == "ok"
    reply, _ = kernel.kernel.execute(
        "",
        silent=True,
        store_history=False,
        user_expressions={
            "on": "setattr(__import__('memlens.cells.recorder').cells.recorder.current()"
            ".live, 'guard_share', 0.6)"
        },
    )
    assert reply["user_expressions"]["on"]["status"] == "ok", reply
    reply, _ = kernel.kernel.execute(GROW, cell_id="cell-guarded")
    assert reply["status"] == "error", reply
    assert reply["ename"] == "MemoryGuardInterrupt"
    assert "memlens stopped this cell at" in reply["evalue"]
    assert "to keep your kernel alive" in reply["evalue"]
    assert kernel.kernel.manager.is_alive()
    values = kernel.kernel.evaluate({"keep": "keep", "blocks": "len(blocks)"})
    assert values["keep"] == "42"
    assert 5 < int(values["blocks"]) < 40, values
    reply, _ = kernel.kernel.execute("del blocks; keep + 1")
    assert reply["status"] == "ok"


def test_ipykernel6_is_configured_or_skipped() -> None:
    """The ipykernel6 flavour above needs MEMLENS_IPYKERNEL6_PYTHON (CI sets it)."""
    if not os.environ.get(IPYKERNEL6_VARIABLE) and os.environ.get("CI"):
        pytest.fail(f"{IPYKERNEL6_VARIABLE} is not set")
