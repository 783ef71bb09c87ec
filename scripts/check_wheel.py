"""Build the wheel and check it carries a prebuilt labextension and the kernel side.

``pip install`` of this wheel must give users a working extension with no Node: the
labextension's package.json, its remoteEntry and the settings schema under
``share/jupyter/labextensions/jupyterlab-memlens``, plus the ``memlens`` package.
Run by ``./dev test``; exits non-zero with the missing pieces listed.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARE = "jupyterlab_memlens-{version}.data/data/share/jupyter/labextensions/jupyterlab-memlens/"


def build_wheel(out_dir: Path) -> Path:
    """Build with the current environment's backend (no network), return the wheel."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out_dir),
            str(ROOT),
        ],
        check=True,
    )
    wheels = sorted(out_dir.glob("jupyterlab_memlens-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one wheel in {out_dir}, found {wheels}")
    return wheels[0]


def missing_parts(wheel: Path) -> list[str]:
    """What a usable wheel must hold and this one does not."""
    version = wheel.name.split("-")[1]
    share = SHARE.format(version=version)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    required = [
        "memlens/__init__.py",
        "memlens/bootstrap.py",
        "memlens/cells/__init__.py",
        "memlens/cells/recorder.py",
        "memlens/probes/__init__.py",
        "memlens/probes/process.py",
        "memlens/sizing/__init__.py",
        "memlens/variables/__init__.py",
        "memlens/wire/__init__.py",
        "memlens/wire/comm.py",
        "memlens/wire/handlers.py",
        share + "package.json",
        share + "install.json",
        share + "schemas/jupyterlab-memlens/plugin.json",
        share + "static/style.js",
    ]
    missing = [name for name in required if name not in names]
    if not any(n.startswith(share + "static/remoteEntry.") for n in names):
        missing.append(share + "static/remoteEntry.*.js")
    return missing


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        wheel = build_wheel(Path(tmp))
        missing = missing_parts(wheel)
        if missing:
            print(f"{wheel.name} lacks:\n  " + "\n  ".join(missing), file=sys.stderr)
            return 1
        print(f"{wheel.name}: prebuilt labextension and kernel side present")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
