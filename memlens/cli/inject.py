"""What ``memlens run`` sends to a fresh kernel to turn recording on, the way the
JupyterLab frontend does: first the probe (a silent user expression that registers an
installed memlens and says ``True``), else the bootstrap that serves memlens' own source.

The source is read from the files of this very package at run time, so an installed wheel
(which has no ``scripts/``) injects itself into a kernel whose environment lacks memlens.
The expression has the shape ``scripts/bundle_kernel_source.py`` writes for the frontend
(a test checks both agree on the repository's files).
"""

from __future__ import annotations

import json
from pathlib import Path

BOOTSTRAP = "memlens/bootstrap.py"

PROBE_EXPRESSION = (
    "__import__('importlib.util').util.find_spec('memlens') is not None"
    " and __import__('importlib').import_module('memlens.wire.comm').register() is None"
)
"""Same text as the frontend's probe: True once an installed memlens registered itself."""

RECORDS_EXPRESSION = "__import__('json').dumps(__import__('memlens').cell_records()[-{n}:])"
"""The last ``n`` records of the kernel, as JSON (a user expression: binds no name)."""

PID_EXPRESSION = "__import__('os').getpid()"
"""The kernel's process id, for the report's ``kernel_pid``."""

RECORDING_EXPRESSION = "__import__('memlens.cells.recorder').cells.recorder.current() is not None"
"""True once the cell recorder is installed (``register`` installs it on an IPython shell)."""


def package_dir() -> Path:
    """The directory of the installed ``memlens`` package (read when needed: an injected
    copy of this module has no ``__file__``)."""
    return Path(__file__).resolve().parent.parent


def kernel_sources(package: Path | None = None) -> dict[str, str]:
    """Every ``memlens/**/*.py`` file of the package (the built labextension aside), by
    path relative to the package's parent, sorted."""
    top = package or package_dir()
    return {
        path.relative_to(top.parent).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(top.rglob("*.py"))
        if "labextension" not in path.relative_to(top).parts and "__pycache__" not in path.parts
    }


def bootstrap_code(package: Path | None = None) -> str:
    """The single ``exec(...)`` expression that loads memlens in a kernel and registers it."""
    sources = kernel_sources(package)
    if BOOTSTRAP not in sources:
        raise FileNotFoundError(f"{BOOTSTRAP} is missing from the memlens package")
    entries = ", ".join(f"{json.dumps(path)}: {json.dumps(text)}" for path, text in sources.items())
    namespace = f'{{"__name__": "__memlens_bootstrap__", "MEMLENS_SOURCES": {{{entries}}}}}'
    return f"exec({json.dumps(sources[BOOTSTRAP])}, {namespace})"
