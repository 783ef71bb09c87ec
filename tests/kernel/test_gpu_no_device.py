"""The no-GPU path of issue #10 in a real kernel, with torch's CPU build and JAX's CPU
build imported by the user: memlens shows nothing GPU, imports nothing (no cupy, pynvml,
jax), and never initializes CUDA, whatever it is asked.

A CUDA build of torch behaves the same up to ``torch.cuda.is_initialized()``, which is what
every check here reads after every request; that the GPU path itself works, and that it
creates no context on a machine with a GPU, is bench/gpu_check.py's (see BENCHMARKS.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import make_flavour
from harness import Kernel
from variables_asks import ask_ok

from memlens.wire.protocol import validate_record

pytest.importorskip("torch")

MODEL = """
import torch
t = torch.ones(1000)
view = t[10:]
m = torch.nn.Linear(64, 64)
opt = torch.optim.Adam(m.parameters(), lr=0.1)
m(torch.ones(2, 64)).sum().backward()
opt.step()
"""

STATE = (
    "(__import__('torch').cuda.is_initialized(), "
    "sorted({m.partition('.')[0] for m in __import__('sys').modules} & {'cupy', 'pynvml', 'jax'}))"
)
"""Whether torch initialized CUDA, and which of the GPU modules memlens must never import
are in ``sys.modules``."""


@pytest.fixture(scope="module")
def kernel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Kernel, str]]:
    workdir: Path = tmp_path_factory.mktemp("kernel-gpu")
    started = Kernel.start(make_flavour("installed", workdir), workdir)
    try:
        reply, _ = started.bootstrap()
        assert reply["status"] == "ok", reply
        comm, _ = started.open_comm()
        yield started, comm
    finally:
        started.stop()


def run(kernel: Kernel, code: str) -> None:
    reply, _ = kernel.execute(code)
    assert reply["status"] == "ok", reply


def state(kernel: Kernel) -> str:
    return str(kernel.evaluate({"s": STATE})["s"])


def every_request(kernel: Kernel, comm: str) -> dict[str, Any]:
    """Ask everything a frontend asks; the bodies by command (actions by name)."""
    bodies: dict[str, Any] = {}
    bodies["snapshot"] = ask_ok(kernel, comm, "snapshot", {})
    bodies["variables"] = ask_ok(kernel, comm, "variables", {"budget_ms": 5000, "complete": []})
    path = [{"kind": "name", "value": "m"}]
    args = {"path": path, "offset": 0, "limit": 50, "budget_ms": 5000}
    bodies["expand"] = ask_ok(kernel, comm, "expand", args)
    bodies["kernel_memory"] = ask_ok(kernel, comm, "kernel_memory", {"budget_ms": 5000})
    for action in ("collect", "trim", "clear_output_cache", "empty_cache"):
        bodies[action] = ask_ok(kernel, comm, "free_memory", {"action": action})
    configure = {"precise": False, "gpu_peak_reset": False}
    bodies["configure"] = ask_ok(kernel, comm, "configure", configure)
    ask_ok(kernel, comm, "configure", {"precise": False, "gpu_peak_reset": True})
    bodies["cells"] = ask_ok(kernel, comm, "cells", {"after": 0})
    return bodies


def no_gpu_anywhere(bodies: dict[str, Any]) -> None:
    for row in bodies["variables"]["rows"]:
        assert "device_bytes" not in row, row
    for child in bodies["expand"]["children"]:
        assert "device_bytes" not in child, child
    assert "gpu" not in bodies["kernel_memory"], bodies["kernel_memory"]
    assert bodies["kernel_memory"]["parts"]["gpu_runtime"] == 0
    empty = bodies["empty_cache"]
    assert empty["available"] is False and empty["device_gave_back"] == 0, empty
    assert "gpu" not in empty
    assert bodies["configure"]["gpu_peak_reset"] is False
    assert bodies["cells"]["records"], "cells were recorded"
    for record in bodies["cells"]["records"]:
        assert validate_record(record) == record
        assert "gpu" not in record, record


def test_torch_on_the_cpu_shows_nothing_gpu_and_cuda_stays_uninitialized(
    kernel: tuple[Kernel, str],
) -> None:
    client, comm = kernel
    run(client, MODEL)
    # torch itself imports pynvml where nvidia-ml-py is installed; memlens must add nothing.
    before = state(client)
    assert before in ("(False, [])", "(False, ['pynvml'])"), before
    bodies = every_request(client, comm)
    no_gpu_anywhere(bodies)
    names = {row["name"] for row in bodies["variables"]["rows"]}
    assert {"t", "view", "m", "opt"} <= names, names
    assert state(client) == before, "no request initialized CUDA or imported a GPU module"
    run(client, "y = t * 2")  # a cell after all that: recorded, still nothing GPU
    assert state(client) == before


def test_jax_on_the_cpu_shows_nothing_gpu_and_no_gpu_backend_starts(
    kernel: tuple[Kernel, str],
) -> None:
    pytest.importorskip("jax")
    client, comm = kernel
    run(client, "import jax.numpy as jnp\na = jnp.ones(100_000)\nb = a[10:]")
    before = state(client)
    assert "'jax'" in before and "'cupy'" not in before and before.startswith("(False"), before
    backends = "sorted(__import__('sys').modules['jax._src.xla_bridge']._backends)"
    assert client.evaluate({"b": backends})["b"] == "['cpu']"
    bodies = every_request(client, comm)
    no_gpu_anywhere(bodies)
    assert client.evaluate({"b": backends})["b"] == "['cpu']", "no GPU backend started"
    assert state(client) == before, "jax is the user's; nothing else came in"
