"""Sizers other libraries plug in (memlens.libraries.plugins): registered by name, found
along the MRO, loaded from the ``memlens.sizers`` entry-point group only for a module the
user imported, buffers counted once per address, a broken sizer counting nothing."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest

from memlens.libraries import plugins
from memlens.sizing import deep_size, retained_sizes


class Native:
    """Stands for an object of a C library holding memory outside Python's view."""

    def __init__(self, address: int, nbytes: int) -> None:
        self.address = address
        self.nbytes = nbytes


class Derived(Native):
    pass


@pytest.fixture
def registry(monkeypatch: Any) -> plugins.Registry:
    fresh = plugins.Registry()
    fresh._entry_points = {}
    monkeypatch.setattr(plugins, "registry", fresh)
    import memlens.libraries as libraries

    monkeypatch.setattr(libraries, "sizers", fresh)
    return fresh


def test_a_registered_sizer_adds_its_native_bytes(registry: plugins.Registry) -> None:
    plain = deep_size(Native(1, 10_000_000))
    registry.register(__name__, "Native", lambda obj: obj.nbytes)
    assert deep_size(Native(1, 10_000_000)) == plain + 10_000_000
    assert deep_size(Derived(1, 5_000_000)) >= 5_000_000  # found along the MRO


def test_buffers_by_address_count_once(registry: plugins.Registry) -> None:
    registry.register(__name__, "Native", lambda obj: [(obj.address, obj.nbytes)])
    first, second = Native(0x1000, 8_000_000), Native(0x1000, 8_000_000)
    sizes = retained_sizes({"first": first, "second": second})
    assert sizes["first"] < 1_000_000 and sizes["second"] < 1_000_000  # shared
    assert deep_size([first, second]) < 9_000_000


def test_a_broken_sizer_counts_nothing_and_breaks_nothing(registry: plugins.Registry) -> None:
    plain = deep_size([Native(1, 1)])

    def broken(obj: object) -> int:
        raise RuntimeError("boom")

    registry.register(__name__, "Native", broken)
    assert deep_size([Native(1, 1)]) == plain
    registry.register(__name__, "Native", lambda obj: "nonsense")
    assert deep_size([Native(1, 1)]) == plain


class FakeEntryPoint:
    def __init__(self, name: str, target: Any) -> None:
        self.name = name
        self.target = target
        self.loads = 0

    def load(self) -> Any:
        self.loads += 1
        return self.target


def test_entry_points_load_only_for_an_imported_module(
    registry: plugins.Registry, monkeypatch: Any
) -> None:
    def register(found: plugins.Registry) -> None:
        found.register("fakelib.core", "Blob", lambda obj: 3_000_000)

    entry = FakeEntryPoint("fakelib", register)
    other = FakeEntryPoint("notimported", register)
    registry._entry_points = {"fakelib": [entry], "notimported": [other]}
    module = types.ModuleType("fakelib.core")
    blob = type("Blob", (), {"__module__": "fakelib.core"})
    assert entry.loads == 0
    # The class exists but its top-level module is not in sys.modules: nothing loads.
    assert deep_size(blob()) < 3_000_000
    assert entry.loads == 0 and other.loads == 0
    monkeypatch.setitem(sys.modules, "fakelib", types.ModuleType("fakelib"))
    monkeypatch.setitem(sys.modules, "fakelib.core", module)
    assert deep_size(blob()) >= 3_000_000
    assert entry.loads == 1 and other.loads == 0
    deep_size(blob())
    assert entry.loads == 1  # loaded once


def test_the_group_is_read_from_installed_metadata() -> None:
    """The real lookup (no plug-in installed here: an empty mapping, no error), never on
    the main thread, where cells run: a walk on another thread lists them."""
    import threading

    fresh = plugins.Registry()
    assert fresh._declared() is None  # the main thread: not listed
    found: list[object] = []
    thread = threading.Thread(target=lambda: found.append(fresh._declared()))
    thread.start()
    thread.join(30)
    assert isinstance(found[0], dict)
    assert fresh._declared() is found[0]  # listed once, for every thread
