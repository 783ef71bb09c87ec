"""Shared fixtures: the protocol examples and real kernels of each flavour, bootstrapped.

Kernel flavours:

- ``installed``: this environment's python, memlens importable (PYTHONPATH = the repo).
- ``injected``: this environment's python with memlens hidden (``sys.modules["memlens"]
  = None`` before the kernel starts), so the bootstrap must inject the bundled source.
- ``ipykernel6``: the python named by ``MEMLENS_IPYKERNEL6_PYTHON``, an environment with
  ipykernel 6 and without memlens. Without that variable its tests skip, or fail when
  ``CI`` is set, so that CI cannot pass without them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from harness import REPO_ROOT, Flavour, Kernel

IPYKERNEL6_VARIABLE = "MEMLENS_IPYKERNEL6_PYTHON"
FLAVOURS = ["installed", "injected", "ipykernel6"]

# Cells a user ran before memlens connected: an assignment, an output, a print.
USER_CELLS = ["x = 1", "x + 41", "print('hello')"]


@pytest.fixture(scope="session")
def messages() -> dict[str, Any]:
    """protocol/messages.json, the examples both protocol modules are checked against."""
    return json.loads((REPO_ROOT / "protocol" / "messages.json").read_text())


def _ipykernel6_python(workdir: Path) -> str:
    python = os.environ.get(IPYKERNEL6_VARIABLE)
    if not python:
        message = (
            f"{IPYKERNEL6_VARIABLE} is not set: point it at the python of an environment "
            "with ipykernel 6 and without memlens (python -m venv .venv-k6 && "
            '.venv-k6/bin/pip install "ipykernel<7")'
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    probe = (
        "import importlib.util, json, ipykernel; "
        "print(json.dumps([ipykernel.__version__, importlib.util.find_spec('memlens') is None]))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    result = subprocess.run(
        [python, "-c", probe], cwd=workdir, env=env, capture_output=True, text=True, timeout=60
    )
    if result.returncode != 0:
        pytest.fail(f"{IPYKERNEL6_VARIABLE}={python} cannot import ipykernel: {result.stderr}")
    version, memlens_missing = json.loads(result.stdout)
    if not version.startswith("6."):
        pytest.fail(f"{IPYKERNEL6_VARIABLE}={python} has ipykernel {version}, not 6.x")
    if not memlens_missing:
        pytest.fail(f"{IPYKERNEL6_VARIABLE}={python} can import memlens; it must not")
    return python


def make_flavour(name: str, workdir: Path) -> Flavour:
    if name == "installed":
        return Flavour(name, sys.executable, memlens_on_path=True, hide_memlens=False)
    if name == "injected":
        return Flavour(name, sys.executable, memlens_on_path=False, hide_memlens=True)
    if name == "ipykernel6":
        python = _ipykernel6_python(workdir)
        return Flavour(name, python, memlens_on_path=False, hide_memlens=False)
    raise ValueError(name)


@dataclass
class Booted:
    """A kernel that ran some user cells, then the bootstrap twice, then one more cell."""

    kernel: Kernel
    flavour: Flavour
    before: dict[str, Any]
    """The user-visible state before the bootstrap."""
    runs: list[tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]]
    """Per bootstrap run: its execute_reply content, its iopub messages, the state after."""
    last_count: int
    """The execution count of the last user cell before the bootstrap."""
    next_count: int
    """The execution count of the first user cell after it."""


@pytest.fixture(scope="session", params=FLAVOURS)
def booted(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    workdir = tmp_path_factory.mktemp(f"kernel-{request.param}")
    flavour = make_flavour(request.param, workdir)
    kernel = Kernel.start(flavour, workdir)
    try:
        last_count = 0
        for cell in USER_CELLS:
            reply, _ = kernel.execute(cell)
            assert reply["status"] == "ok", reply
            last_count = reply["execution_count"]
        before = kernel.state()
        runs = []
        for _ in range(2):
            reply, iopub = kernel.bootstrap()
            runs.append((reply, iopub, kernel.state()))
        reply, _ = kernel.execute("y = 2")
        yield Booted(kernel, flavour, before, runs, last_count, reply["execution_count"])
    finally:
        kernel.stop()


@pytest.fixture(scope="session")
def comm_id(booted: Booted) -> str:
    """A memlens comm opened on the booted kernel."""
    comm, replies = booted.kernel.open_comm()
    assert replies == [], "opening a comm with valid data sends nothing"
    return comm
