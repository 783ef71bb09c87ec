"""Issue #12, items 2 and 4-10, in real kernels of every flavour: hostile objects in the
namespace never cost a request its one reply, never print into the user's output, never
have their code run (mocks, metaclass hashes, ``__class__`` properties, key ``__str__``),
and classes memlens described are not kept alive by it.
"""

from __future__ import annotations

from typing import Any

from conftest import Booted
from harness import Kernel
from variables_asks import names

from memlens.wire.protocol import validate_reply

HOSTILE = """
import asyncio, weakref
from unittest.mock import MagicMock, Mock
_hardening_calls = []
class _Unhashable(type):
    def __eq__(cls, other): return cls is other
class _RaisingHash(type):
    def __hash__(cls): raise RuntimeError('metaclass hash')
class _CountingHash(type):
    def __hash__(cls):
        _hardening_calls.append('metaclass __hash__')
        return id(cls)
class Unhashable(metaclass=_Unhashable): pass
class RaisingHash(metaclass=_RaisingHash): pass
class Counted(metaclass=_CountingHash): pass
class Interrupting:
    def __sizeof__(self): raise KeyboardInterrupt
class Cancelling:
    def __sizeof__(self): raise asyncio.CancelledError
class Lying:
    @property
    def __class__(self):
        _hardening_calls.append('__class__')
        return dict
    def __getattribute__(self, name):
        _hardening_calls.append('__getattribute__ ' + name)
        return object.__getattribute__(self, name)
class Key:
    def __str__(self):
        _hardening_calls.append('key __str__')
        return '_1'
    def __hash__(self):
        return 1
class _Gone: pass
_target = _Gone()
unhashable = [Unhashable(), {'k': Unhashable()}]
raising_hash = RaisingHash()
counted = [Counted(), Counted()]
interrupting = [Interrupting()]
cancelling = Cancelling()
lying = Lying()
dead_proxy = weakref.proxy(_target)
del _target
spec_mock = Mock(spec=dict)
magic = MagicMock()
get_ipython().user_ns[Key()] = 'a key that is not a str'
"""

NAMES = (
    "unhashable",
    "raising_hash",
    "counted",
    "interrupting",
    "cancelling",
    "lying",
    "dead_proxy",
    "spec_mock",
    "magic",
)


def _asks(kernel: Kernel, comm_id: str) -> list[dict[str, Any]]:
    """A refresh, and an expand of each hostile name: every reply, checked."""
    replies = []
    reply, _ = kernel.ask(comm_id, "variables", {"budget_ms": 5000, "complete": []})
    replies.append(reply)
    for name in NAMES:
        path = [{"kind": "name", "value": name}]
        args = {"path": path, "offset": 0, "limit": 50, "budget_ms": 2000}
        reply, _ = kernel.ask(comm_id, "expand", args)
        replies.append(reply)
    for reply in replies:
        assert validate_reply(reply) == reply
    return replies


def test_hostile_objects_get_each_request_one_reply_and_run_no_code(
    booted: Booted, comm_id: str
) -> None:
    kernel = booted.kernel
    reply, _ = kernel.execute(HOSTILE, silent=True)
    assert reply["status"] == "ok", reply
    try:
        kernel.pending.clear()
        replies = _asks(kernel, comm_id)
        assert [r["ok"] for r in replies] == [True] * len(replies), replies
        rows = names(replies[0]["body"])
        assert set(NAMES) <= set(rows)
        assert "sizeof_raised" in rows["interrupting"]["flags"]
        assert "sizeof_raised" in rows["cancelling"]["flags"]
        assert rows["lying"]["type"].endswith("Lying"), "the real type, not __class__"
        # exactly one reply per request: nothing else came on the comm
        extra = [m for m in kernel.pending if m["msg_type"] == "comm_msg"]
        assert extra == [], extra
        # nothing printed (memlens' errors are logged in memory, not to the cell's streams)
        printed = [m for m in kernel.pending if m["msg_type"] in ("stream", "error")]
        assert printed == [], printed
        state = kernel.evaluate(
            {
                "calls": "_hardening_calls",
                "mock_calls": "(magic.mock_calls, spec_mock.mock_calls)",
            }
        )
        assert state["calls"] == "[]", state
        assert state["mock_calls"] == "([], [])", state
        after, iopub = kernel.execute("1 + 1", silent=True)
        assert after["status"] == "ok"
        assert kernel.stream_text(iopub, "stderr") == ""
    finally:
        kernel.execute(
            "for _k in [k for k in get_ipython().user_ns if not isinstance(k, str)]:\n"
            "    del get_ipython().user_ns[_k]\n"
            "del _k, " + ", ".join(NAMES),
            silent=True,
        )


def test_magic_mock_is_sized_quickly_without_calls(booted: Booted, comm_id: str) -> None:
    kernel = booted.kernel
    code = (
        "import time as _time\n"
        "from unittest.mock import MagicMock as _MagicMock\n"
        "import memlens as _memlens\n"
        "_mock = _MagicMock()\n"
        "_started = _time.perf_counter()\n"
        "_size = _memlens.deep_size(_mock)\n"
        "_elapsed = _time.perf_counter() - _started\n"
    )
    if booted.flavour.name != "installed":
        code = code.replace(
            "import memlens as _memlens", "import sys; _memlens = sys.modules['memlens']"
        )
    reply, _ = kernel.execute(code, silent=True)
    assert reply["status"] == "ok", reply
    try:
        state = kernel.evaluate(
            {"fast": "_elapsed < 1.0", "calls": "_mock.mock_calls", "size": "0 < _size < 10**6"}
        )
        assert state == {"fast": "True", "calls": "[]", "size": "True"}, state
    finally:
        kernel.execute("del _mock, _started, _size, _elapsed, _memlens, _MagicMock", silent=True)


def test_a_described_class_is_freed_after_del(booted: Booted, comm_id: str) -> None:
    """A class attribute of 300 MB leaves with its class once the user deletes it."""
    kernel = booted.kernel
    code = (
        "import gc as _gc, weakref as _weakref\n"
        "class Heavy:\n"
        "    payload = b'x' * (300 << 20)\n"
        "heavy = Heavy()\n"
        "_heavy_class = _weakref.ref(Heavy)\n"
    )
    reply, _ = kernel.execute(code, silent=True)
    assert reply["status"] == "ok", reply
    path = [{"kind": "name", "value": "heavy"}]
    replies = _asks_one(kernel, comm_id, path)
    assert all(r["ok"] for r in replies), replies
    before = _rss(kernel)
    reply, _ = kernel.execute("del heavy, Heavy\n_gc.collect()", silent=True)
    assert reply["status"] == "ok"
    state = kernel.evaluate({"gone": "_heavy_class() is None"})
    freed = before - _rss(kernel)
    kernel.execute("del _heavy_class, _gc, _weakref", silent=True)
    assert state["gone"] == "True", "memlens kept the class alive"
    assert freed > 250 << 20, f"only {freed >> 20} MiB freed"


def _asks_one(kernel: Kernel, comm_id: str, path: list[dict[str, Any]]) -> list[Any]:
    replies = []
    reply, _ = kernel.ask(comm_id, "variables", {"budget_ms": 5000, "complete": []})
    replies.append(reply)
    args = {"path": path, "offset": 0, "limit": 50, "budget_ms": 2000}
    reply, _ = kernel.ask(comm_id, "expand", args)
    replies.append(reply)
    return replies


def _rss(kernel: Kernel) -> int:
    text = kernel.evaluate({"rss": "open('/proc/self/statm').read().split()[1]"})["rss"]
    import os

    return int(text.strip("'")) * os.sysconf("SC_PAGE_SIZE")
