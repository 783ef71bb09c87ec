"""The kernel side runs on the oldest Python the README promises: 3.9, plain, no IPython.

The injected bootstrap is loaded in a Python 3.9 interpreter, every bundled module is
imported, and the public sizing functions and the probes are called. Without a Python 3.9
the test skips, unless ``CI`` is set: CI must not pass without it.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from bundle_kernel_source import kernel_sources
from harness import REPO_ROOT

OLDEST = (3, 9)
PYTHON_VARIABLE = "MEMLENS_PYTHON39"

CHECK = """
import json, sys
sources = json.loads(open(sys.argv[1], encoding="utf-8").read())
assert sys.version_info[:2] == (3, 9), sys.version
assert __import__("importlib.util").util.find_spec("memlens") is None, "memlens is installed"
bootstrap = {"__name__": "memlens_bootstrap_check"}
exec(compile(sources["memlens/bootstrap.py"], "memlens/bootstrap.py", "exec"), bootstrap)
bootstrap["install_finder"](sources)
import importlib
for path in sorted(sources):
    name = path[: -len(".py")].replace("/", ".")
    if name.endswith(".__init__"):
        name = name[: -len(".__init__")]
    module = importlib.import_module(name)
    assert getattr(module, "__memlens_injected__", False), name

import memlens
from memlens.probes import allocators, capabilities, cgroup, process, sampler
from memlens.wire.bodies import probe_list, snapshot_body
from memlens.wire.protocol import make_reply, validate_reply

data = {"numbers": list(range(1000)), "text": "x" * 10000, "nested": [[1.5] * 10] * 3}
assert memlens.deep_size(data) >= 10000
report = memlens.measure([[data], [data["text"]]], budget_s=5.0)
assert report.roots[0].deep >= report.roots[1].deep >= 10000
assert set(memlens.retained_sizes({"data": data, "n": 1})) == {"data", "n"}

reading = process.memory_now()
validate_reply(make_reply("r", "snapshot", snapshot_body(reading)))
names = [probe["name"] for probe in probe_list(capabilities.capabilities())]
assert names[0] == "rss", names
process.rss_and_hwm(), process.read_and_reset_hwm(), process.statm_rss(), process.rss_peak()
allocators.heap_counters(), allocators.pymalloc_stats(), cgroup.cgroup_memory()
peaks = sampler.PeakSampler(0.001)
peaks.start()
peaks.stop()
assert "IPython" not in sys.modules
print("ok", reading.rss is not None)
"""


def _runs_python39(python: str) -> bool:
    try:
        result = subprocess.run(
            [python, "-c", "import sys; print(sys.version_info[:2] == (3, 9))"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except OSError:
        return False
    return result.returncode == 0 and result.stdout.strip() == "True"


def python39() -> str | None:
    """A Python 3.9: ``MEMLENS_PYTHON39``, a pyenv install, or ``python3.9`` on PATH."""
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates = [
        os.environ.get(PYTHON_VARIABLE, ""),
        *sorted(glob.glob(os.path.join(pyenv_root, "versions", "3.9*", "bin", "python3.9"))),
        shutil.which("python3.9") or "",
    ]
    return next((python for python in candidates if python and _runs_python39(python)), None)


def test_injected_kernel_side_runs_on_python_3_9(tmp_path: Path) -> None:
    python = python39()
    if python is None:
        message = f"no Python 3.9 found (set {PYTHON_VARIABLE}, or install python3.9)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    sources = tmp_path / "sources.json"
    sources.write_text(json.dumps(kernel_sources(REPO_ROOT)), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    result = subprocess.run(
        [python, "-c", CHECK, str(sources)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ok", "True"], result.stdout
