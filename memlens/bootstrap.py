"""Load memlens in a kernel and register its comm target.

Standalone: the standard library only, and memlens is not imported at module level.
The frontend runs this file's text in a silent execute, as the one expression::

    exec(BOOTSTRAP_SOURCE, {"__name__": "__memlens_bootstrap__",
                            "MEMLENS_SOURCES": {"memlens/__init__.py": "...", ...}})

so every name it defines lands in that throwaway dict, not in the user's namespace,
and ``exec`` returns None (no ``Out``, no ``_``). ``scripts/bundle_kernel_source.py``
builds that expression from the very files of this package.

If ``memlens`` is importable, the installed package is used. Otherwise a finder at the
front of ``sys.meta_path`` serves ``MEMLENS_SOURCES`` as the package ``memlens``, and
each module it loads is flagged so that ``hello`` reports ``"source": "injected"``.
Running this again is harmless: the package is imported once and the comm target is
registered again with the same handler.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from collections.abc import Sequence

PACKAGE = "memlens"
INJECTED_FLAG = "__memlens_injected__"
"""Set to True on each module of a memlens served from the frontend's bundled source."""


class SourceFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves ``{"memlens/<path>.py": source}`` as the package ``memlens`` and its subpackages."""

    is_memlens_source_finder = True

    def __init__(self, sources: dict[str, str]) -> None:
        self._sources = dict(sources)

    def _relative_path(self, fullname: str) -> str | None:
        """``memlens/a/b.py`` for a module, ``memlens/a/__init__.py`` for a package."""
        if fullname != PACKAGE and not fullname.startswith(PACKAGE + "."):
            return None
        base = fullname.replace(".", "/")
        for path in (f"{base}/__init__.py", f"{base}.py"):
            if path in self._sources:
                return path
        return None

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None = None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        relative = self._relative_path(fullname)
        if relative is None:
            return None
        return importlib.util.spec_from_loader(
            fullname,
            self,
            origin=f"<memlens-injected>/{relative}",
            is_package=relative.endswith("/__init__.py"),
        )

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        relative = self._relative_path(module.__name__)
        if relative is None:
            raise ImportError(f"no bundled source for {module.__name__}", name=module.__name__)
        setattr(module, INJECTED_FLAG, True)
        code = compile(self._sources[relative], f"<memlens-injected>/{relative}", "exec")
        exec(code, module.__dict__)

    def get_source(self, fullname: str) -> str | None:
        """The module's source, for tracebacks and ``linecache``."""
        relative = self._relative_path(fullname)
        return None if relative is None else self._sources[relative]

    def is_package(self, fullname: str) -> bool:
        relative = self._relative_path(fullname)
        return relative is not None and relative.endswith("/__init__.py")


def is_importable(name: str) -> bool:
    """Whether ``import name`` would find something (a None in sys.modules says no)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def install_finder(sources: dict[str, str]) -> SourceFinder:
    """Put a finder serving ``sources`` at the front of sys.meta_path, replacing an older one."""
    sys.meta_path[:] = [
        finder for finder in sys.meta_path if not getattr(finder, "is_memlens_source_finder", False)
    ]
    for name in [n for n, m in sys.modules.items() if m is None]:
        if name == PACKAGE or name.startswith(PACKAGE + "."):
            del sys.modules[name]
    finder = SourceFinder(sources)
    sys.meta_path.insert(0, finder)
    return finder


def main(sources: dict[str, str] | None) -> None:
    """Import memlens (installed, else from ``sources``) and register its comm target."""
    if not is_importable(PACKAGE):
        if not sources:
            raise ImportError("memlens is not installed in this kernel and no source was given")
        install_finder(sources)
    importlib.import_module(PACKAGE + ".wire.comm").register()


if __name__ == "__memlens_bootstrap__":
    main(globals().get("MEMLENS_SOURCES"))
