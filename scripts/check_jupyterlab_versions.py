"""Install the built wheel (no Node) into clean environments with the oldest and the newest
supported JupyterLab, and check each: ``jupyter labextension list`` says memlens is enabled
and OK, and JupyterLab loads in Chromium with memlens' sidebar and no console errors.

The oldest supported JupyterLab is :data:`OLDEST` (the ``@jupyterlab/*`` ranges in
package.json start there); the newest is whatever pip resolves below 5. Run by
``./dev test versions``. Environments go under a temporary directory, removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from check_wheel import build_wheel

ROOT = Path(__file__).resolve().parent.parent
OLDEST = "4.6.0"
REQUIREMENTS = {"oldest": f"jupyterlab=={OLDEST}", "newest": "jupyterlab>=4.6,<5"}
LISTED_OK = re.compile(r"jupyterlab-memlens v\S+ .*enabled.*OK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def make_env(where: Path, requirement: str, wheel: Path) -> Path:
    """A fresh venv with ``requirement`` and the wheel; returns its bin directory."""
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    pip = [str(where / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, requirement, str(wheel)], check=True)
    return where / "bin"


def check_listed(bin_dir: Path) -> str:
    """The installed JupyterLab version; fails unless memlens is listed enabled and OK."""
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    listing = subprocess.run(
        [str(bin_dir / "jupyter"), "labextension", "list"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    text = re.sub(r"\x1b\[[0-9;]*m", "", listing.stdout + listing.stderr)
    if not LISTED_OK.search(text):
        raise SystemExit(f"memlens is not enabled and OK:\n{text}")
    version = subprocess.run(
        [str(bin_dir / "python"), "-c", "import jupyterlab; print(jupyterlab.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return version.stdout.strip()


def check_loads(bin_dir: Path, root_dir: Path) -> None:
    """Start JupyterLab from ``bin_dir`` and load it in Chromium (ui-tests/load-check.js)."""
    port = free_port()
    server = subprocess.Popen(
        [
            str(bin_dir / "jupyter"),
            "lab",
            "--no-browser",
            f"--port={port}",
            "--ServerApp.token=",
            "--ServerApp.password=",
            "--ServerApp.allow_root=True",
            f"--ServerApp.root_dir={root_dir}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("JupyterLab did not start") from None
                time.sleep(0.5)
        subprocess.run(
            ["node", str(ROOT / "ui-tests" / "load-check.js"), f"http://127.0.0.1:{port}/lab"],
            cwd=ROOT / "ui-tests",
            check=True,
            timeout=180,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("which", nargs="*", help="oldest, newest (default: both)")
    options = parser.parse_args(argv)
    unknown = set(options.which) - set(REQUIREMENTS)
    if unknown:
        parser.error(f"unknown: {', '.join(sorted(unknown))} (choose from oldest, newest)")
    with tempfile.TemporaryDirectory(prefix="memlens-versions-") as tmp:
        work = Path(tmp)
        wheel = build_wheel(work / "dist")
        for which in options.which or ["oldest", "newest"]:
            started = time.monotonic()
            bin_dir = make_env(work / which, REQUIREMENTS[which], wheel)
            version = check_listed(bin_dir)
            check_loads(bin_dir, work)
            print(
                f"{which}: JupyterLab {version} with {wheel.name}: listed enabled OK, loads"
                f" in Chromium with no console errors ({time.monotonic() - started:.0f} s)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
