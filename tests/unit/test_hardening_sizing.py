"""Issue #12 at the sizing level (the kernel tests cover the same through the comm):
no metaclass hash, no mock call, no user ``__sizeof__`` where it must not run, contained
BaseExceptions, classes held weakly, huge roots read without copies."""

from __future__ import annotations

import asyncio
import gc
import threading
import tracemalloc
import weakref
from unittest.mock import MagicMock

import pytest

from memlens import deep_size
from memlens.libraries.lookup import TypeCache
from memlens.sizing import Segments, measure
from memlens.wire import comm
from memlens.wire import log as memory_log

calls: list[str] = []


class CountingMeta(type):
    def __hash__(cls) -> int:
        calls.append("metaclass __hash__")
        return id(cls)


class UnhashableMeta(type):
    def __eq__(cls, other: object) -> bool:
        return cls is other

    __hash__ = None  # type: ignore[assignment]


class Counted(metaclass=CountingMeta):
    pass


class Unhashable(metaclass=UnhashableMeta):
    pass


def test_no_metaclass_hash_runs_and_unhashable_classes_are_sized() -> None:
    calls.clear()
    assert deep_size([Counted(), Unhashable(), {"k": Unhashable()}]) > 0
    assert calls == []


def test_a_mock_is_sized_without_calls() -> None:
    mock = MagicMock()
    assert 0 < deep_size(mock) < 1 << 20
    assert mock.mock_calls == []


class Raises:
    def __init__(self, error: BaseException) -> None:
        self.error = error

    def __sizeof__(self) -> int:
        raise self.error


@pytest.mark.parametrize(
    "error", [KeyboardInterrupt(), asyncio.CancelledError(), SystemExit(3), GeneratorExit()]
)
def test_a_base_exception_from_sizeof_is_contained_off_the_main_thread(
    error: BaseException,
) -> None:
    found: list[object] = []
    thread = threading.Thread(target=lambda: found.append(measure([[Raises(error)]]).roots[0]))
    thread.start()
    thread.join()
    assert found and "sizeof_raised" in found[0].flags  # type: ignore[attr-defined]


def test_user_sizeof_can_be_left_unrun() -> None:
    ran: list[int] = []

    class Slow:
        def __sizeof__(self) -> int:
            ran.append(1)
            return 10**6

    assert measure([[Slow()]], user_sizeof=False).roots[0].deep < 1000
    assert ran == []


def test_a_type_cache_does_not_keep_its_classes() -> None:
    cache: TypeCache[str] = TypeCache()

    class Temporary:
        pass

    cache.put(Temporary, "name")
    assert cache.get(Temporary) == "name"
    ref = weakref.ref(Temporary)
    del Temporary
    gc.collect()
    assert ref() is None and len(cache) == 0


def test_a_huge_root_is_read_without_a_copy() -> None:
    big = list(range(2_000_000))
    rest = Segments()
    rest.add(big, 0, 10)
    rest.add(big, 20)
    assert len(rest) == len(big) - 10
    tracemalloc.start()
    try:
        measure([rest], budget_s=10)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"{peak >> 20} MiB: a copy of the 16 MB list?"


def test_errors_are_logged_in_memory_not_printed(capsys: pytest.CaptureFixture[str]) -> None:
    def broken(args: object, options: object) -> object:
        raise SystemExit("not from the kernel")

    handlers = comm.body_for.__globals__["HANDLERS"]
    saved = handlers["snapshot"]
    handlers["snapshot"] = broken
    try:
        reply = comm.handle(
            {"v": 1, "type": "request", "id": "a", "command": "snapshot", "args": {}}
        )
    finally:
        handlers["snapshot"] = saved
    assert reply["ok"] is False and reply["error"]["code"] == "internal"
    assert reply["error"]["message"].startswith("SystemExit")
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert any("failed to answer" in line for line in memory_log.recent())


def test_a_slow_sizeof_runs_once_per_object_and_request() -> None:
    from memlens.variables import expand_body, variables_body

    seen: list[int] = []

    class Slow:
        def __sizeof__(self) -> int:
            seen.append(id(self))
            return 100

    class Raising:
        def __sizeof__(self) -> int:
            seen.append(id(self))
            raise RuntimeError("no")

    class Shell:
        def __init__(self, user_ns: dict[str, object]) -> None:
            self.user_ns = user_ns
            self.user_ns_hidden: dict[str, object] = {}

    shell = Shell({"slow": Slow(), "raising": Raising(), "box": [Slow(), Raising()]})
    body = variables_body(shell, budget_ms=5000, complete=[])
    assert len(body["rows"]) == 3
    assert sorted(seen) == sorted(set(seen)) and len(seen) == 4, seen
    seen.clear()
    path = [{"kind": "name", "value": "box"}]
    page = expand_body(shell, path=path, offset=0, limit=10, budget_ms=5000)
    assert [child["getsizeof"] for child in page["children"]] == [132, None]
    assert sorted(seen) == sorted(set(seen)), "each object's __sizeof__ once"
