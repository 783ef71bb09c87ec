"""The frontend's first message to a kernel: the probe (PROBE_EXPRESSION), sent to real kernels.

The frontend loads the large bundled kernel source only when the probe says the kernel
has no memlens; the probe itself must leave no trace a user could see, and must not
replace the user's last error (``sys.last_value``, what ``%debug`` shows).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bundle_kernel_source import PROBE_EXPRESSION
from conftest import FLAVOURS, make_flavour
from harness import Kernel

LAST_ERROR = {"last": "repr(getattr(__import__('sys'), 'last_value', None))"}


@pytest.fixture(params=FLAVOURS)
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Kernel]:
    """A kernel of each flavour that ran one user cell which raised."""
    yield from started(request.param, tmp_path)


@pytest.fixture(params=[f for f in FLAVOURS if f != "installed"])
def without_memlens(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Kernel]:
    """A kernel that has no memlens of its own, after one user cell which raised."""
    yield from started(request.param, tmp_path)


def started(flavour: str, tmp_path: Path) -> Iterator[Kernel]:
    kernel = Kernel.start(make_flavour(flavour, tmp_path), tmp_path)
    try:
        reply, _ = kernel.execute("x = 1\n1 / 0")
        assert reply["status"] == "error" and reply["ename"] == "ZeroDivisionError"
        yield kernel
    finally:
        kernel.stop()


def probe(kernel: Kernel) -> tuple[dict[str, object], list[dict[str, object]]]:
    """Send the probe as the frontend does; return its result and the iopub it caused."""
    reply, iopub = kernel.execute(
        "", silent=True, store_history=False, user_expressions={"memlens": PROBE_EXPRESSION}
    )
    assert reply["status"] == "ok", reply
    return reply["user_expressions"]["memlens"], iopub


def test_probe_answers_and_leaves_no_trace(fresh: Kernel, request: pytest.FixtureRequest) -> None:
    installed = request.node.callspec.params["fresh"] == "installed"
    before = fresh.state()
    last_before = fresh.evaluate(LAST_ERROR)["last"]
    assert "ZeroDivisionError" in last_before

    result, iopub = probe(fresh)

    assert result["status"] == "ok", result
    assert result["data"]["text/plain"] == ("True" if installed else "False")
    assert [m["msg_type"] for m in iopub] == ["status", "status"], "no output of any kind"
    assert fresh.state() == before, "namespace, In, Out, _N and execution_count untouched"
    assert fresh.evaluate(LAST_ERROR)["last"] == last_before, "the user's last error stays"
    if installed:
        comm, replies = fresh.open_comm()
        assert replies == []
        hello = fresh.request(comm, "hello")
        assert hello["type"] == "reply" and hello["body"]["source"] == "installed"


def test_after_a_false_probe_the_bundle_loads_and_the_probe_says_true(
    without_memlens: Kernel,
) -> None:
    fresh = without_memlens
    result, _ = probe(fresh)
    assert result["data"]["text/plain"] == "False"
    before = fresh.state()

    reply, iopub = fresh.bootstrap()

    assert reply["status"] == "ok", reply
    assert [m["msg_type"] for m in iopub] == ["status", "status"]
    result, _ = probe(fresh)
    assert result["data"]["text/plain"] == "True"
    assert fresh.state() == before
    comm, _ = fresh.open_comm()
    assert fresh.request(comm, "hello")["body"]["source"] == "injected"
