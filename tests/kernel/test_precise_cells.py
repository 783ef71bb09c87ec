"""Precise mode names allocation sites by cell and line (issue #13), in a real kernel."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from recording import Recording, recording_session

from memlens.cells.precise import cell_of
from memlens.wire.protocol import validate_reply


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recording]:
    """A fresh kernel for this module's tests (memlens installed)."""
    yield from recording_session(tmp_path_factory)


def test_sites_name_their_cell(recording: Recording) -> None:
    kernel = recording.kernel
    reply = kernel.request(recording.comm, "configure", {"precise": True})
    assert validate_reply(reply) == reply
    try:
        record, _ = recording.run("n = 1\nkeep = [bytearray(1000) for _ in range(10_000)]")
        top = record["precise"]["top"][0]
        # The kernel's temporary cell file, and the cell's execution count beside it.
        assert top["file"].endswith(".py") and top["line"] == 2, top
        assert top["cell"] == record["execution_count"], (top, record["execution_count"])
        # An independent reading: IPython's own map from that file to its cell.
        count = kernel.evaluate({"n": f"get_ipython().compile._filename_map.get({top['file']!r})"})[
            "n"
        ]
        assert count == str(record["execution_count"])
        # A site in a library file names no cell.
        record, _ = recording.run("import json\nblob = json.loads('[' + '1,' * 100000 + '1]')")
        sites = record["precise"]["top"]
        assert any(site["cell"] is None and "json" in site["file"] for site in sites), sites
    finally:
        kernel.request(recording.comm, "configure", {"precise": False})


def test_cell_of_reads_both_ipython_file_names() -> None:
    assert cell_of("/tmp/ipykernel_1/123.py", {"/tmp/ipykernel_1/123.py": 9}) == 9
    assert cell_of("<ipython-input-12-0123abcd>", {}) == 12
    assert cell_of("/usr/lib/python3.11/json/decoder.py", {}) is None
