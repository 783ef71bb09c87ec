"""Sizers other libraries plug in, without memlens importing them.

Modelled on dask's ``sizeof`` registry: a sizer is registered for a class by its module
and qualified name (strings: nothing is imported to register it), and found along an
object's MRO. A sizer returns the native memory an object holds that ``getsizeof`` does
not see: an int of bytes, or ``(address, bytes)`` pairs, each address counted once per
walk however many objects share it (as memlens does for numpy, torch, pyarrow and polars
buffers). The object is still walked (its Python referents are counted as usual).

A package declares its sizers under the entry-point group ``memlens.sizers``; the entry
point's *name* is the top-level module it sizes (``cupy``) and its value a function that
takes the registry and registers (``mypkg.memlens_sizers:register``)::

    [project.entry-points."memlens.sizers"]
    cupy = "mypkg.memlens_sizers:register"

    def register(registry):
        registry.register("cupy._core.core", "_ndarray_base", lambda a: a.nbytes)

Entry points are listed once (``importlib.metadata``), by the first walk off the main
thread (the kernel's worker: a Variables refresh), and loaded lazily: only when a walk
meets a class whose top-level module is that name and is already in ``sys.modules`` --
memlens never imports a library the user has not imported. Sizers registered in code
(:func:`register`) work on every thread at once. A sizer that raises, or
returns something else than documented, counts nothing (the walk goes on).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable
from typing import Any, Callable, Union

from .lookup import TYPE_MRO, Buffer, class_module

GROUP = "memlens.sizers"
"""The entry-point group a package declares its sizers under."""

SizerResult = Union[int, Iterable[tuple[int, int]]]
Sizer = Callable[[Any], SizerResult]

_QUALNAME: Callable[[type], Any] = type.__dict__["__qualname__"].__get__


class Registry:
    """Sizers by ``(module, qualname)`` of the class they size."""

    def __init__(self) -> None:
        self._sizers: dict[tuple[str, str], Sizer] = {}
        self._loaded: set[str] = set()
        self._entry_points: dict[str, list[Any]] | None = None
        self._lock = threading.Lock()

    def register(self, module: str, qualname: str, sizer: Sizer) -> None:
        """Size instances of ``module.qualname`` (and its subclasses) with ``sizer``."""
        if not callable(sizer):
            raise TypeError("a sizer must be callable")
        self._sizers[(module, qualname)] = sizer

    def unregister(self, module: str, qualname: str) -> None:
        self._sizers.pop((module, qualname), None)

    def sizer_for(self, kind: type) -> Sizer | None:
        """The sizer of ``kind`` (found along its MRO), loading the entry points declared
        for its top-level module if that module is imported. No code of ``kind`` runs."""
        try:
            mro = TYPE_MRO(kind)
        except Exception:
            return None
        for klass in mro:
            module = class_module(klass)
            if not module or module == "builtins":
                continue
            self._load(module.partition(".")[0])
            try:
                qualname = _QUALNAME(klass)
            except Exception:
                continue
            found = self._sizers.get((module, qualname))
            if found is not None:
                return found
        return None

    def _load(self, top: str) -> None:
        if top in self._loaded or top not in sys.modules:
            return
        declared = self._declared()
        if declared is None:
            return  # not listed yet: tried again at the next walk
        with self._lock:
            if top in self._loaded:
                return
            self._loaded.add(top)
            entries = declared.get(top, [])
        for entry in entries:
            try:
                entry.load()(self)
            except Exception:
                continue  # a broken plug-in sizes nothing; the walk goes on

    def _declared(self) -> dict[str, list[Any]] | None:
        """The declared entry points by name; None until they are listed. Listing reads
        every installed distribution's metadata (tens of milliseconds, holding the GIL):
        done by the first walk on another thread (the kernel's worker, which answers the
        Variables requests), never on the main thread, where cells run and the output
        cache is sized under a 5 ms budget."""
        if self._entry_points is None and threading.current_thread() is not threading.main_thread():
            with self._lock:
                if self._entry_points is None:
                    self._list()
        return self._entry_points

    def _list(self) -> None:
        found: dict[str, list[Any]] = {}
        try:
            from importlib import metadata

            listed: Any = metadata.entry_points()
            group = (
                listed.select(group=GROUP)
                if hasattr(listed, "select")
                else listed.get(GROUP, [])  # Python 3.9: a dict by group
            )
            for entry in group:
                found.setdefault(entry.name, []).append(entry)
        except Exception:
            found = {}
        self._entry_points = found


registry = Registry()
"""The process's registry (``memlens.libraries.plugins.registry.register(...)``)."""


def register(module: str, qualname: str, sizer: Sizer) -> None:
    """Register ``sizer`` for ``module.qualname`` in the process's registry."""
    registry.register(module, qualname, sizer)


def plugged_buffers(sizer: Sizer, obj: object) -> list[Buffer]:
    """What ``sizer`` says of ``obj``, as buffers: an int is one buffer of the object's
    own (keyed by its id); pairs are buffers by address. Never raises."""
    try:
        result = sizer(obj)
        if type(result) is int:
            return [(("plugin", id(obj)), result)] if result > 0 else []
        found: list[Buffer] = []
        for address, size in result:  # type: ignore[union-attr]
            if type(address) is int and type(size) is int and size > 0:
                found.append((("cpu", address), size))
        return found
    except Exception:
        return []
