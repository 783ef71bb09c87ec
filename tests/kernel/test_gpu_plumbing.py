"""Device bytes over the wire (issue #10), with a stand-in ``cupy`` module in a real kernel:
its arrays name device allocations the way CuPy's do (``data.mem.ptr``/``size``,
``data.device_id``), so the Variables rows and the drill-down can be checked end to end.

Plumbing only: that real CUDA tensors, CuPy and JAX arrays read so on a GPU is
bench/gpu_check.py's question (BENCHMARKS.md, "GPU").
"""

from __future__ import annotations

from typing import Any

from conftest import Booted
from variables_asks import ask_ok, names

MiB = 1 << 20

FAKE_CUPY = """
import sys as _sys, types as _types
class _Memory:
    __slots__ = ("ptr", "size")
    def __init__(self, ptr, size): self.ptr, self.size = ptr, size
class _Pointer:
    __slots__ = ("device_id", "mem", "ptr")
    def __init__(self, mem, offset): self.mem, self.ptr, self.device_id = mem, mem.ptr + offset, 0
class ndarray:
    __slots__ = ("_data",)
    def __init__(self, data): self._data = data
    @property
    def data(self): return self._data
ndarray.__module__ = "cupy"
_fake = _types.ModuleType("cupy")
_fake.ndarray = ndarray
_sys.modules["cupy"] = _fake
_mem = _Memory(0x7F0000000000, 256 * 2**20)
gpu_array = ndarray(_Pointer(_mem, 0))
gpu_view = ndarray(_Pointer(_mem, 4096))
gpu_both = [gpu_array, gpu_view]
del _sys, _types, _Memory, _Pointer, _fake, _mem
"""


def test_device_bytes_reach_the_rows_and_the_drill_down_never_the_host_sizes(
    booted: Booted, comm_id: str
) -> None:
    kernel = booted.kernel
    reply, _ = kernel.execute(FAKE_CUPY, silent=True)
    assert reply["status"] == "ok", reply
    try:
        body: dict[str, Any] = ask_ok(
            kernel, comm_id, "variables", {"budget_ms": 5000, "complete": []}
        )
        rows = names(body)
        for name in ("gpu_array", "gpu_view", "gpu_both"):
            assert rows[name].get("device_bytes") == 256 * MiB, rows[name]
            assert rows[name]["deep"] < MiB, rows[name]
        assert all("device_bytes" not in row for n, row in rows.items() if "gpu" not in n)
        path = [{"kind": "name", "value": "gpu_both"}]
        args = {"path": path, "offset": 0, "limit": 10, "budget_ms": 5000}
        children = ask_ok(kernel, comm_id, "expand", args)["children"]
        assert [child.get("device_bytes") for child in children] == [256 * MiB] * 2, children
        pane = ask_ok(kernel, comm_id, "kernel_memory", {"budget_ms": 5000})
        assert "gpu" not in pane, "no library uses a device: the pane shows none"
    finally:
        kernel.execute(
            "import sys as _s; _s.modules.pop('cupy', None); del _s\n"
            "del gpu_array, gpu_view, gpu_both, ndarray",
            silent=True,
        )
