"""A recording kernel for the real-kernel recorder tests, read over the comm as a
frontend reads it, and ways to reach into it with silent executes memlens does not see."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
from conftest import make_flavour
from harness import Kernel

from memlens.wire.protocol import validate_record, validate_reply

MiB = 1 << 20

RECORD_KEYS = [
    "allocator_free_delta",
    "bound",
    "cell_id",
    "children_peak",
    "duration_s",
    "execution_count",
    "native_delta",
    "native_pools",
    "output_cache_complete",
    "output_cache_delta",
    "peak_method",
    "precise",
    "preview",
    "python_delta",
    "rss_after",
    "rss_before",
    "rss_peak",
    "sample_interval_s",
    "seq",
    "started",
    "success",
]

MALLINFO2 = (
    "(lambda c: (lambda f: (setattr(f, 'restype', type('Mallinfo2', (c.Structure,), "
    "{'_fields_': [(n, c.c_size_t) for n in 'arena ordblks smblks hblks hblkhd usmblks "
    "fsmblks uordblks fordblks keepcost'.split()]})), "
    "(lambda m: (m.uordblks + m.hblkhd, m.fordblks))(f()))[1])"
    "(c.CDLL(None).mallinfo2))(__import__('ctypes'))"
)
"""A user expression: glibc's (in use, free) read in the kernel without memlens."""

MALLOC_TRIM = "__import__('ctypes').CDLL(None).malloc_trim(0)"


def outside_rss(kernel: Kernel) -> int:
    """The kernel's RSS as psutil sees it from the test process."""
    return int(psutil.Process(kernel.pid).memory_info().rss)


def swap(module: str, name: str, replacement: str) -> str:
    """Silent-execute code that replaces ``module.name`` (keeping the original as
    ``module._saved_<name>``) without leaving a name in the user namespace."""
    body = (
        f"import importlib\nm = importlib.import_module({module!r})\n"
        f"if not hasattr(m, '_saved_{name}'):\n    m._saved_{name} = m.{name}\n"
        f"m.{name} = {replacement}"
    )
    return f"exec({body!r}, {{}})"


def restore(module: str, name: str) -> str:
    body = (
        f"import importlib\nm = importlib.import_module({module!r})\n"
        f"m.{name} = m._saved_{name}\ndel m._saved_{name}"
    )
    return f"exec({body!r}, {{}})"


@dataclass
class Recording:
    """A bootstrapped kernel with an open comm, reading its records as a frontend does."""

    kernel: Kernel
    comm: str
    seen: int = 0

    def records(self, after: int | None = None) -> dict[str, Any]:
        reply = self.kernel.request(
            self.comm, "cells", {"after": self.seen if after is None else after}
        )
        assert validate_reply(reply) == reply
        assert reply["ok"] is True, reply
        body: dict[str, Any] = reply["body"]
        return body

    def run(
        self, code: str, *, cell_id: str | None = None, status: str = "ok"
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Run a cell; return its one new record and its iopub messages."""
        reply, iopub = self.kernel.execute(code, cell_id=cell_id)
        assert reply["status"] == status, reply
        body = self.records()
        assert len(body["records"]) == 1, body
        self.seen = body["last_seq"]
        record: dict[str, Any] = body["records"][0]
        assert validate_record(record) == record
        assert sorted(record) == RECORD_KEYS
        return record, iopub

    def silent(self, code: str) -> None:
        reply, _ = self.kernel.execute(code, silent=True, store_history=False)
        assert reply["status"] == "ok", reply


def start_recording(flavour_name: str, workdir: Path) -> Recording:
    kernel = Kernel.start(make_flavour(flavour_name, workdir), workdir)
    reply, _ = kernel.bootstrap()
    assert reply["status"] == "ok", reply
    comm, _ = kernel.open_comm()
    return Recording(kernel, comm)


def recording_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Recording]:
    """A fresh kernel (memlens installed) for a module's ``recording`` fixture."""
    session = start_recording("installed", tmp_path_factory.mktemp("recording"))
    try:
        yield session
    finally:
        session.kernel.stop()


def rss_change(record: dict[str, Any]) -> int:
    return int(record["rss_after"] - record["rss_before"])


def peak_above(record: dict[str, Any]) -> int:
    return int(record["rss_peak"] - record["rss_before"])
