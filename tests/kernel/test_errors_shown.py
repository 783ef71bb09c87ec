"""memlens' own errors reach the Kernel pane through `snapshot`, never the user's cell."""

from __future__ import annotations

from conftest import Booted


def test_a_memlens_error_is_in_the_snapshot_and_not_in_the_cell(
    booted: Booted, comm_id: str
) -> None:
    kernel = booted.kernel
    before = kernel.request(comm_id, "snapshot")["body"]
    assert len(before["errors"]) <= min(before["error_count"], 5)

    # An error logged by memlens' own logger while a user cell runs (the way a failing
    # sizing or probe logs): the cell must show nothing of it.
    reply, iopub = kernel.execute(
        "__import__('logging').getLogger('memlens.test').error('memlens broke: %s', 'boom')"
    )
    assert reply["status"] == "ok", reply
    assert kernel.stream_text(iopub, "stderr") == ""
    assert kernel.stream_text(iopub, "stdout") == ""

    after = kernel.request(comm_id, "snapshot")["body"]
    assert after["error_count"] == before["error_count"] + 1
    assert "memlens broke: boom" in after["errors"][-1]
    assert "ERROR" in after["errors"][-1]
    assert len(after["errors"]) <= 5
