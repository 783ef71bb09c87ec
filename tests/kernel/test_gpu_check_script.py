"""bench/gpu_check.py runs here, on the CPU (issue #10): it must say plainly that the GPU
checks were not run and still pass its no-context checks in a real kernel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent.parent


def test_the_gpu_check_runs_on_the_cpu_and_says_no_gpu() -> None:
    pytest.importorskip("torch")
    if shutil.which("nvidia-smi"):
        pytest.skip("a GPU machine runs the script's GPU checks instead")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "JPY_"))}
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "bench" / "gpu_check.py")],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "no GPU: GPU checks not run" in out, out
    assert "ok   torch.cuda.is_initialized() stays False" in out, out
    assert "ok   memlens imported no GPU module" in out, out
    assert "FAIL" not in out and "# 0 failed" in out, out
