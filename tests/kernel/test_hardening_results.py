"""Issue #12, items 5 and 12, in real kernels of every flavour: a cell's result is sized
without running its ``__sizeof__`` (which could kill the kernel, print into the cell or
stall it), and objects in front of native memory are flagged and, where it can be read
without running code, sized (checked against tracemalloc and RSS).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FLAVOURS, make_flavour
from harness import Kernel
from variables_asks import ask_ok, names


@pytest.fixture(scope="module", params=FLAVOURS)
def kernel(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Kernel]:
    """A kernel of its own, bootstrapped: these tests run cells that other tests'
    records must not see."""
    workdir: Path = tmp_path_factory.mktemp(f"results-{request.param}")
    started = Kernel.start(make_flavour(request.param, workdir), workdir)
    try:
        reply, _ = started.bootstrap()
        assert reply["status"] == "ok", reply
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def comm(kernel: Kernel) -> str:
    comm_id, replies = kernel.open_comm()
    assert replies == []
    return comm_id


RESULTS = """
import time as _time
class _Exits:
    def __sizeof__(self): raise SystemExit(3)
class _Interrupts:
    def __sizeof__(self): raise KeyboardInterrupt
class _Slow:
    def __sizeof__(self):
        _time.sleep(3)
        return 100
"""


def _forget_results(kernel: Kernel, kinds: str) -> None:
    """Take the test's results out of the output cache (and move ``_``, ``__``, ``___`` on)."""
    for _ in range(3):
        kernel.execute("0")
    kernel.execute(
        "_out = get_ipython().history_manager.output_hist\n"
        f"for _k in [k for k, v in _out.items() if type(v).__name__ in {kinds!r}]:\n"
        "    del _out[_k]\n"
        "    get_ipython().user_ns.pop(f'_{_k}', None)\n"
        "del _out, _k",
        silent=True,
    )


def test_a_results_sizeof_never_runs_on_the_cells_thread(kernel: Kernel) -> None:
    reply, _ = kernel.execute(RESULTS, silent=True)
    assert reply["status"] == "ok", reply
    try:
        for expression in ("_Exits()", "_Interrupts()"):
            reply, iopub = kernel.execute(expression)
            assert reply["status"] == "ok", (expression, reply)
            assert kernel.stream_text(iopub, "stderr") == "", expression
            assert not [m for m in iopub if m["msg_type"] == "error"], expression
        started = time.monotonic()
        reply, iopub = kernel.execute("_Slow()")
        elapsed = time.monotonic() - started
        assert reply["status"] == "ok", reply
        assert elapsed < 1.5, f"a 3 s __sizeof__ made the cell take {elapsed:.1f} s"
        after, _ = kernel.execute("21 * 2")
        assert after["status"] == "ok", "the kernel is alive"
    finally:
        _forget_results(kernel, ("_Exits", "_Interrupts", "_Slow"))
        kernel.execute("del _Exits, _Interrupts, _Slow, _time", silent=True)


OPAQUE = """
import ctypes, io, mmap, sqlite3, tracemalloc
tracemalloc.start()
_base = tracemalloc.get_traced_memory()[0]
cbuffer = ctypes.create_string_buffer(64 << 20)
_traced = tracemalloc.get_traced_memory()[0] - _base
tracemalloc.stop()
_rss_before = int(open('/proc/self/statm').read().split()[1])
mapping = mmap.mmap(-1, 64 << 20)
mapping.write(b'x' * (64 << 20))
_rss_grew = (int(open('/proc/self/statm').read().split()[1]) - _rss_before) * mmap.PAGESIZE
text = io.StringIO('x' * 1000)
database = sqlite3.connect(':memory:')
"""


def test_opaque_native_objects_are_flagged_and_sized(kernel: Kernel, comm: str) -> None:
    reply, _ = kernel.execute(OPAQUE, silent=True)
    assert reply["status"] == "ok", reply
    try:
        truth = kernel.evaluate({"traced": "_traced", "rss": "_rss_grew"})
        body = ask_ok(kernel, comm, "variables", {"budget_ms": 5000, "complete": []})
        rows = names(body)
        for name in ("cbuffer", "mapping", "text", "database"):
            assert "opaque" in rows[name]["flags"], (name, rows[name])
        traced = int(truth["traced"])
        assert traced >= 64 << 20
        assert 0.95 * traced <= rows["cbuffer"]["deep"] <= 1.05 * traced + 4096, rows["cbuffer"]
        grew = int(truth["rss"])
        assert grew >= 60 << 20, "the mapping's pages are resident"
        assert rows["mapping"]["deep"] >= 0.95 * grew, (rows["mapping"], grew)
        assert rows["mapping"]["deep"] <= (64 << 20) + 4096
    finally:
        kernel.execute(
            "mapping.close(); database.close()\n"
            "del cbuffer, mapping, text, database, _traced, _base, _rss_before, _rss_grew\n"
            "del ctypes, io, mmap, sqlite3, tracemalloc",
            silent=True,
        )
