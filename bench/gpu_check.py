"""One run that answers issue #10's GPU questions, in a few minutes, in real kernels.

Always (CPU or GPU): a kernel where the user imported torch (and CuPy and JAX where they
are installed) but never used a GPU is asked everything a frontend asks and runs a cell;
then torch must still say ``torch.cuda.is_initialized() is False``, no device may hold a
primary context (``torch._C._cuda_hasPrimaryContext``, where torch is a CUDA build), NVML
(read from this script's own process) must not list the kernel among a device's compute
processes, JAX's GPU backend must not have started, and memlens must have imported none
of cupy, pynvml, jax.

With an NVIDIA GPU (``nvidia-smi -L`` lists one), the GPU path against the libraries' own
counters and NVML: per cell (the cell that creates the context, a 4 GiB tensor made and
dropped: allocated, exact peak, reserved, process usage; the peak without the reset);
per variable (a tensor, a view, a shared storage, an ``nn.Module`` and its Adam
optimizer, CuPy and JAX arrays); the Kernel pane's device figures and ``empty_cache``;
what the per-cell GPU readings cost. Without a GPU it says "no GPU: GPU checks not run".

    .venv/bin/python bench/gpu_check.py

Prints one line per check (``ok`` / ``FAIL``) and exits 1 if any failed.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "tests"))

from conftest import make_flavour  # noqa: E402
from harness import Kernel  # noqa: E402

MiB = 1 << 20
GiB = 1 << 30
FAILED: list[str] = []


def check(name: str, passed: bool, detail: object = "") -> None:
    print(f"{'ok  ' if passed else 'FAIL'} {name}{': ' if detail != '' else ''}{detail}")
    if not passed:
        FAILED.append(name)


def near(a: int | None, b: int | None, *, slack: int = 64 * MiB) -> bool:
    return a is not None and b is not None and abs(a - b) <= slack


def gpus() -> list[str]:
    """The GPUs ``nvidia-smi -L`` lists ([] without one or without the tool)."""
    tool = shutil.which("nvidia-smi")
    if tool is None:
        return []
    try:
        found = subprocess.run([tool, "-L"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return []
    return [line for line in found.stdout.splitlines() if line.startswith("GPU ")]


def installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@contextmanager
def kernel(workdir: Path, name: str, **env: str) -> Iterator[tuple[Kernel, str]]:
    """A real kernel (installed flavour), bootstrapped, a memlens comm open."""
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        started = Kernel.start(make_flavour("installed", workdir / name), workdir / name)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    try:
        reply, _ = started.bootstrap()
        assert reply["status"] == "ok", reply
        comm, _ = started.open_comm()
        yield started, comm
    finally:
        started.stop()


def ask(k: Kernel, comm: str, command: str, args: dict[str, Any]) -> Any:
    reply, _ = k.ask(comm, command, args, timeout=300)
    assert reply["ok"], reply
    return reply["body"]


def run(k: Kernel, code: str) -> None:
    reply, _ = k.execute(code)
    assert reply["status"] == "ok", reply


def value(k: Kernel, expression: str) -> Any:
    """A user expression's value, through JSON (evaluated silently: no cell is recorded)."""
    text = k.evaluate({"v": f"__import__('json').dumps({expression})"})["v"]
    return json.loads(ast.literal_eval(text))


def last_record(k: Kernel, comm: str) -> dict[str, Any]:
    records: list[dict[str, Any]] = ask(k, comm, "cells", {"after": 0})["records"]
    return records[-1]


def rows(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in body["rows"]}


def nvml_process(pid: int) -> dict[int, int | None] | None:
    """NVML's compute processes of ``pid`` per device index, read from this script; None
    without nvidia-ml-py or NVML."""
    try:
        import pynvml

        pynvml.nvmlInit()
        found: dict[int, int | None] = {}
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            for process in pynvml.nvmlDeviceGetComputeRunningProcesses(handle):
                if process.pid == pid:
                    found[index] = process.usedGpuMemory
        return found
    except Exception:
        return None


def every_request(k: Kernel, comm: str) -> None:
    ask(k, comm, "snapshot", {})
    ask(k, comm, "variables", {"budget_ms": 5000, "complete": []})
    ask(k, comm, "kernel_memory", {"budget_ms": 5000})
    for action in ("collect", "trim", "clear_output_cache", "empty_cache"):
        ask(k, comm, "free_memory", {"action": action})
    ask(k, comm, "configure", {"precise": False, "gpu_peak_reset": True})
    run(k, "after_requests = 1")
    ask(k, comm, "cells", {"after": 0})


def no_context(workdir: Path, with_gpu: bool) -> None:
    """Libraries imported, never used: memlens must not initialize or import anything."""
    user = ["torch"] + [name for name in ("cupy", "jax") if installed(name)]
    with kernel(workdir, "untouched") as (k, comm):
        run(k, "\n".join(f"import {name}" for name in user))
        gpu_modules = (
            "sorted({m.partition('.')[0] for m in __import__('sys').modules}"
            " & {'cupy', 'pynvml', 'jax'})"
        )
        users = value(k, gpu_modules)  # torch imports pynvml itself where it is installed
        every_request(k, comm)
        # First, before the checks below touch the driver themselves (NVML opens it too).
        driver = "__import__('memlens.libraries.gpu_devices', fromlist=['x']).driver_open()"
        check("the driver is not open (CuPy's gate)", value(k, driver) is False)
        check(
            "torch.cuda.is_initialized() stays False",
            value(k, "torch.cuda.is_initialized()") is False,
        )
        contexts = value(
            k,
            "[torch._C._cuda_hasPrimaryContext(i) for i in range(torch.cuda.device_count())]"
            " if hasattr(torch._C, '_cuda_hasPrimaryContext') else []",
        )
        check("no device holds a primary context", not any(contexts), contexts)
        imported = value(k, gpu_modules)
        check(
            "memlens imported no GPU module",
            imported == users,
            f"{imported}, all the user's (torch imports pynvml where it is installed)",
        )
        if "jax" in user:
            backends = value(
                k, "sorted(__import__('sys').modules['jax._src.xla_bridge']._backends)"
            )
            check("JAX started no backend", backends == [], backends)
        if with_gpu:
            listed = nvml_process(k.pid)
            check("NVML lists no context of the kernel", listed == {}, listed)


def torch_cells_and_pane(workdir: Path) -> None:
    with kernel(workdir, "torch") as (k, comm):
        run(k, "import torch")
        run(k, "x = torch.empty(2**28, dtype=torch.float32, device='cuda')")  # 1 GiB
        first = last_record(k, comm)["gpu"][0]
        allocated = value(k, "torch.cuda.memory_allocated(0)")
        check("the context's cell is labelled", first["context_created"] is True, first)
        check(
            "allocated after = torch.cuda.memory_allocated",
            first["allocated_after"] == allocated,
            (first["allocated_after"], allocated),
        )
        check(
            "the driver is open once CUDA is in use",
            value(k, "__import__('memlens.libraries.gpu_devices', fromlist=['x']).driver_open()")
            is True,
        )
        run(k, "y = torch.empty(2**30, dtype=torch.float32, device='cuda'); del y")  # 4 GiB
        cell = last_record(k, comm)["gpu"][0]
        peak = value(k, "torch.cuda.max_memory_allocated(0)")
        reserved = value(k, "torch.cuda.memory_reserved(0)")
        check(
            "4 GiB made and dropped: allocated change 0",
            cell["allocated_after"] == cell["allocated_before"],
            cell,
        )
        check(
            "exact peak = torch.cuda.max_memory_allocated (reset at the cell's start)",
            cell["peak"] == peak and cell["peak_exact"] is True,
            (cell["peak"], peak),
        )
        check("peak = before + 4 GiB", near(cell["peak"], cell["allocated_before"] + 4 * GiB), cell)
        check(
            "reserved after = torch.cuda.memory_reserved",
            cell["reserved_after"] == reserved,
            (cell["reserved_after"], reserved),
        )
        outside = nvml_process(k.pid) or {}
        check(
            "process usage = NVML's, read from outside",
            near(cell["process_after"], outside.get(0)),
            (cell["process_after"], outside),
        )
        ask(k, comm, "configure", {"precise": False, "gpu_peak_reset": False})
        run(k, "y = torch.empty(2**29, dtype=torch.float32, device='cuda'); del y")  # 2 GiB
        bound = last_record(k, comm)["gpu"][0]
        check(
            "without the reset a peak below the old maximum is a lower bound",
            bound["peak_exact"] is False,
            bound,
        )
        ask(k, comm, "configure", {"precise": False, "gpu_peak_reset": True})
        body = ask(k, comm, "kernel_memory", {"budget_ms": 5000})
        device = body["gpu"][0]
        torch_now = value(
            k,
            "[torch.cuda.memory_allocated(0), torch.cuda.memory_reserved(0),"
            " *torch.cuda.mem_get_info(0)]",
        )
        check(
            "pane: allocated/reserved = torch's",
            [device["allocated"], device["reserved"]] == torch_now[:2],
            (device, torch_now),
        )
        check(
            "pane: cached_free = reserved - allocated",
            device["cached_free"] == torch_now[1] - torch_now[0],
            device,
        )
        check(
            "pane: total and used from mem_get_info",
            device["total"] == torch_now[3] and near(device["used"], torch_now[3] - torch_now[2]),
            (device, torch_now),
        )
        check(
            "pane: GPU never in rss parts",
            sum(body["parts"].values()) == body["rss"],
            body["parts"],
        )
        print(f"     pane: {device}")
        freed = ask(k, comm, "free_memory", {"action": "empty_cache"})
        after = value(k, "torch.cuda.memory_reserved(0)")
        check(
            "empty_cache gave back reserved - reserved after",
            freed["device_gave_back"] == torch_now[1] - after,
            (freed["device_gave_back"], torch_now[1], after),
        )
        cost = value(
            k,
            "(lambda g, t: (t(lambda: g.cell_ended(g.cell_started()), number=200) / 200))"
            "(__import__('memlens.kernel.gpu_cells', fromlist=['x']), __import__('timeit').timeit)",
        )
        print(f"     per-cell GPU readings (start + end, 1 device, NVML on): {cost * 1e6:.0f} µs")
        per_variable(k, comm)


def per_variable(k: Kernel, comm: str) -> None:
    run(
        k,
        "\n".join(
            [
                "base = torch.empty(2**26, device='cuda')",  # 256 MiB
                "view = base[10:]",
                "alias = base.view(-1, 2)",
                "m = torch.nn.Linear(4096, 4096).cuda()",
                "opt = torch.optim.Adam(m.parameters())",
                "m(torch.ones(8, 4096, device='cuda')).sum().backward()",
                "opt.step()",
            ]
        ),
    )
    unique = (
        "(lambda ts: sum({t.untyped_storage().data_ptr(): t.untyped_storage().nbytes()"
        " for t in ts if t is not None and t.is_cuda}.values()))"
    )
    expected = value(
        k,
        "{"
        f"'base': {unique}([base]), 'view': {unique}([view]), 'alias': {unique}([alias]),"
        f" 'm': {unique}([*m.parameters(), *(p.grad for p in m.parameters())]),"
        f" 'opt': {unique}([*(p for g in opt.param_groups for p in g['params']),"
        " *(p.grad for g in opt.param_groups for p in g['params']),"
        " *(v for s in opt.state.values() for v in s.values() if torch.is_tensor(v))])}",
    )
    body = ask(k, comm, "variables", {"budget_ms": 20000, "complete": []})
    found = rows(body)
    for name, size in expected.items():
        row = found.get(name, {})
        check(
            f"device bytes of {name} = its unique CUDA storages",
            row.get("device_bytes") == size,
            (row.get("device_bytes"), size),
        )
        check(
            f"{name}'s device bytes are not in deep", row.get("deep", 0) < 64 * MiB, row.get("deep")
        )
    print(f"     variables answered in {body['stats']['elapsed_ms']:.0f} ms")


def cupy_arrays(workdir: Path) -> None:
    with kernel(workdir, "cupy") as (k, comm):
        run(k, "import cupy as cp\nc = cp.ones(2**25, dtype=cp.float64)\ncv = c[10:]")  # 256 MiB
        size = value(k, "c.data.mem.size")
        found = rows(ask(k, comm, "variables", {"budget_ms": 20000, "complete": []}))
        check(
            "CuPy: array and view name one allocation",
            found["c"].get("device_bytes") == size == found["cv"].get("device_bytes"),
            (found["c"].get("device_bytes"), found["cv"].get("device_bytes"), size),
        )
        pane = ask(k, comm, "kernel_memory", {"budget_ms": 5000}).get("gpu", [])
        pool = value(
            k, "(lambda p: [p.used_bytes(), p.total_bytes()])(cp.get_default_memory_pool())"
        )
        check(
            "CuPy: pane = the pool's used/total",
            bool(pane)
            and "cupy" in pane[0]["libraries"]
            and [pane[0]["allocated"], pane[0]["reserved"]] == pool,
            (pane, pool),
        )


def jax_arrays(workdir: Path) -> None:
    with kernel(workdir, "jax", XLA_PYTHON_CLIENT_PREALLOCATE="false") as (k, comm):
        run(k, "import jax.numpy as jnp\nj = jnp.ones(2**26)")  # 256 MiB float32
        platform_ = value(k, "j.devices().pop().platform")
        if platform_ != "gpu":
            check("JAX has a GPU backend here", False, platform_)
            return
        size = value(k, "j.on_device_size_in_bytes()")
        found = rows(ask(k, comm, "variables", {"budget_ms": 20000, "complete": []}))
        check(
            "JAX: device bytes = on_device_size_in_bytes",
            found["j"].get("device_bytes") == size,
            (found["j"].get("device_bytes"), size),
        )
        record = last_record(k, comm).get("gpu")
        check(
            "JAX: the cell that started the backend is labelled",
            bool(record) and record[0]["context_created"] is True,
            record,
        )
        stats = value(k, "j.devices().pop().memory_stats()['bytes_in_use']")
        pane = ask(k, comm, "kernel_memory", {"budget_ms": 5000}).get("gpu", [])
        check(
            "JAX: pane allocated = bytes_in_use",
            bool(pane) and pane[0]["allocated"] == stats,
            (pane, stats),
        )


def section(name: str, run_it: Callable[[Path], None], workdir: Path) -> None:
    """Run one group of checks; one that raises fails and the next still runs."""
    try:
        run_it(workdir)
    except Exception as error:  # a missing library, a CPU-only torch, a time-out...
        check(f"{name} ran", False, repr(error)[:300])


def main() -> None:
    print(f"# {platform.platform()}, Python {platform.python_version()}")
    found = gpus()
    print(f"# GPUs: {found or 'none'}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if not installed("torch"):
            check("torch is installed", False)
        else:
            section("no context", lambda path: no_context(path, bool(found)), workdir)
        if not found:
            print("no GPU: GPU checks not run")
        else:
            section("torch", torch_cells_and_pane, workdir)
            if installed("cupy"):
                section("CuPy", cupy_arrays, workdir)
            else:
                print("     CuPy not installed: its checks not run")
            if installed("jax"):
                section("JAX", jax_arrays, workdir)
            else:
                print("     JAX not installed: its checks not run")
    print(f"# {len(FAILED)} failed" + (f": {FAILED}" if FAILED else ""))
    sys.exit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
