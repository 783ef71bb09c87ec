"""``memlens run`` end to end: real notebooks executed in real kernels by the command.

The reports are checked against ``memlens.cell_records()`` of the same kernel (a last
cell writes them to a file), and the budgets against the sizes the cells allocate.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from conftest import IPYKERNEL6_VARIABLE
from harness import REPO_ROOT

MiB = 1 << 20
DUMP_CELL = (
    "import json as _json, memlens as _memlens\n"
    "with open({path!r}, 'w') as _file:\n"
    "    _json.dump({{'records': _memlens.cell_records(), 'pid': __import__('os').getpid()}},"
    " _file)"
)


def memlens_run(
    *args: object, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "memlens", "run", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=170,
        env=env,
    )


def notebook(path: Path, *cells: str | tuple[str, dict[str, Any]], kernel: str = "python3") -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": kernel, "display_name": kernel, "language": "python"}
    for cell in cells:
        source, metadata = cell if isinstance(cell, tuple) else (cell, {})
        nb.cells.append(nbformat.v4.new_code_cell(source, metadata=metadata))
    nbformat.write(nb, str(path))
    return path


def _without(record: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key not in keys}


def test_demo_report_matches_the_kernels_records(tmp_path: Path) -> None:
    demo = nbformat.read(str(REPO_ROOT / "examples" / "memory_puzzles.ipynb"), as_version=4)
    dump = tmp_path / "records.json"
    demo.cells.append(nbformat.v4.new_code_cell(DUMP_CELL.format(path=str(dump))))
    source = tmp_path / "demo.ipynb"
    nbformat.write(demo, str(source))
    out = tmp_path / "out" / "demo.ipynb"
    files = {kind: tmp_path / f"report.{kind}" for kind in ("json", "csv", "html")}
    result = memlens_run(
        source, "--output", out, "--max-peak", "8GiB", *[f"--{k}={v}" for k, v in files.items()]
    )
    assert result.returncode == 0, result.stderr

    truth = json.loads(dump.read_text())
    report = json.loads(files["json"].read_text())
    code = [i for i, c in enumerate(demo.cells) if c.cell_type == "code" and c.source.strip()]
    assert len(report["cells"]) == len(code)
    # The dump ran inside the last cell: every earlier record, exactly as the kernel keeps
    # it, except an output-cache pin still a lower bound then, which the kernel may have
    # completed in the background since (then never below that bound).
    dumped = [dict(c, kernel_pid=truth["pid"]) for c in truth["records"]]
    reported = report["cells"][:-1]
    pin = ("output_cache_delta", "output_cache_complete")
    assert [_without(c, pin) for c in dumped] == [_without(c, pin) for c in reported]
    for then, now in zip(dumped, reported):
        if then["output_cache_complete"]:
            assert now["output_cache_delta"] == then["output_cache_delta"], now
            assert now["output_cache_complete"], now
        else:
            assert now["output_cache_delta"] >= then["output_cache_delta"], (then, now)
    assert report["cells"][-1]["preview"].startswith("import json as _json")
    assert report["notebook"] == str(source)
    # The demo's "RSS stays up" cell: its peak is over 100 MiB above its start.
    assert max(c["rss_peak"] - c["rss_before"] for c in report["cells"]) > 100 * MiB

    rows = list(csv.DictReader(io.StringIO(files["csv"].read_text())))
    assert [int(r["seq"]) for r in rows] == [c["seq"] for c in report["cells"]]
    assert all(int(r["kernel_pid"]) == truth["pid"] for r in rows)
    assert [int(r["rss_delta"]) for r in rows] == [
        c["rss_after"] - c["rss_before"] for c in report["cells"]
    ]
    page = files["html"].read_text()
    assert page.count("<tr><td>") == len(code) and "<svg" in page

    executed = nbformat.read(str(out), as_version=4)
    saved = [executed.cells[i].metadata["memlens"] for i in code]
    assert [dict(s, kernel_pid=truth["pid"]) for s in saved] == report["cells"]
    assert all(executed.cells[i].outputs is not None for i in code)
    assert any(executed.cells[i].outputs for i in code)
    assert "memlens installed" in result.stderr


def test_the_report_carries_pins_the_kernel_completed_after_their_cell(tmp_path: Path) -> None:
    """The last cell's result is far too big to size in the cell's 5 ms: its record read
    right after the cell holds a lower bound; the kernel completes it in the background and
    the report carries the completed size, not the bound."""
    count = 4_000_000
    source = notebook(tmp_path / "late.ipynb", "x = 1", f"[float(i) for i in range({count})]")
    result = memlens_run(source, "--json", tmp_path / "r.json")
    assert result.returncode == 0, result.stderr
    last = json.loads((tmp_path / "r.json").read_text())["cells"][-1]
    assert last["output_cache_complete"] is True, last
    # Independent of memlens' walk: a list of n distinct floats is its header, n pointers
    # and n floats of sys.getsizeof(0.0) == 24 bytes each (the list over-allocates < 13%).
    exact = sys.getsizeof([]) + count * (8 + sys.getsizeof(0.0))
    assert exact <= last["output_cache_delta"] <= exact * 1.13, last


def test_budgets_exceeded_name_the_cells(tmp_path: Path) -> None:
    source = notebook(
        tmp_path / "budget.ipynb",
        "small = b'x' * (2 << 20)",
        "big = b'x' * (96 << 20)\ndel big",
        ("medium = b'y' * (16 << 20)\ndel medium", {"memlens": {"max_peak": "4MiB"}}),
        ("fine = b'z' * (16 << 20)\ndel fine", {"memlens": {"max_peak": "64MiB"}}),
    )
    result = memlens_run(source, "--max-cell-peak", "48MiB", "--json", tmp_path / "r.json")
    assert result.returncode == 3, result.stderr
    lines = [line for line in result.stderr.splitlines() if "budget exceeded" in line]
    assert len(lines) == 2, result.stderr
    assert (
        "cell 1 [2] \"big = b'x' * (96 << 20)\"" in lines[0]
        and "--max-cell-peak 48.0 MiB" in lines[0]
    )
    assert "cell 2 [3]" in lines[1] and "its max_peak 4.0 MiB" in lines[1]
    cells = json.loads((tmp_path / "r.json").read_text())["cells"]
    # Independent of memlens' numbers: the cells wrote 96 and 16 MiB of new bytes. RSS also
    # counts file-backed pages the OS may drop meanwhile (seen: +95.8 MiB), hence the slack.
    assert 94 * MiB <= cells[1]["rss_peak"] - cells[1]["rss_before"] < 110 * MiB
    assert 14 * MiB <= cells[2]["rss_peak"] - cells[2]["rss_before"] < 30 * MiB

    generous = memlens_run(source, "--max-cell-peak", "1GiB", "--max-peak", "16GiB")
    assert generous.returncode == 3 and "cell 3" not in generous.stderr
    assert generous.stderr.count("budget exceeded") == 1  # only cell 2's own budget

    kernel = memlens_run(source, "--max-peak", f"{cells[0]['rss_after'] + 48 * MiB}")
    assert kernel.returncode == 3
    assert "exceeds --max-peak" in kernel.stderr and "cell 1 [2]" in kernel.stderr
    assert "cell 0 [1]" not in kernel.stderr.split("exceeds --max-peak")[1].split("\n")[0]


def test_a_cell_error_is_an_error_not_a_budget(tmp_path: Path) -> None:
    ran = tmp_path / "ran"
    source = notebook(
        tmp_path / "raises.ipynb",
        "big = b'x' * (64 << 20)",
        "raise ValueError('memlens test error')",
        f"open({str(ran)!r}, 'w').close()",
    )
    result = memlens_run(source, "--max-cell-peak", "1MiB", "--json", tmp_path / "r.json")
    assert result.returncode == 1, result.stderr
    assert "cell 1 raised an error" in result.stderr and "memlens test error" in result.stderr
    assert "budget exceeded: cell 0" in result.stderr  # reported, but the status is the error's
    assert not ran.exists()
    cells = json.loads((tmp_path / "r.json").read_text())["cells"]
    assert [c["success"] for c in cells] == [True, False]


def test_a_dead_kernel_stops_the_run(tmp_path: Path) -> None:
    source = notebook(tmp_path / "dies.ipynb", "x = 1", "import os; os._exit(9)", "y = 2")
    result = memlens_run(source, "--json", tmp_path / "r.json")
    assert result.returncode == 4, result.stderr
    assert "the kernel stopped while running cell 1" in result.stderr
    assert len(json.loads((tmp_path / "r.json").read_text())["cells"]) == 1


def test_usage_errors(tmp_path: Path) -> None:
    bad = notebook(tmp_path / "bad.ipynb", ("x = 1", {"memlens": {"max_peak": "lots"}}))
    result = memlens_run(bad)
    assert result.returncode == 2 and "cell 0: metadata memlens.max_peak" in result.stderr
    missing = memlens_run(tmp_path / "missing.ipynb")
    assert missing.returncode == 5 and "no such notebook" in missing.stderr
    nokernel = memlens_run(notebook(tmp_path / "k.ipynb", "x = 1", kernel="no-such-kernel"))
    assert nokernel.returncode == 5 and "no-such-kernel" in nokernel.stderr


def test_a_kernel_without_memlens_gets_it_injected(tmp_path: Path) -> None:
    """A non-default kernel (named in the notebook) whose environment has no memlens:
    ipykernel 6 in MEMLENS_IPYKERNEL6_PYTHON's environment."""
    python = os.environ.get(IPYKERNEL6_VARIABLE)
    if not python:
        if os.environ.get("CI"):
            pytest.fail(f"{IPYKERNEL6_VARIABLE} is not set")
        pytest.skip(f"{IPYKERNEL6_VARIABLE} is not set")
    kernels = tmp_path / "share" / "kernels" / "memlens-k6"
    kernels.mkdir(parents=True)
    spec = {
        "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "ipykernel 6",
        "language": "python",
    }
    (kernels / "kernel.json").write_text(json.dumps(spec))
    dump = tmp_path / "records.json"
    source = notebook(
        tmp_path / "k6.ipynb",
        "import sys, ipykernel\nversion = ipykernel.__version__",
        "blob = b'x' * (32 << 20)",
        DUMP_CELL.format(path=str(dump))
        + "\n_file = open("
        + repr(str(tmp_path / "where.txt"))
        + ", 'w')"
        + "\n_file.write(sys.executable + ' ' + version); _file.close()",
        kernel="memlens-k6",
    )
    env = {**os.environ, "JUPYTER_PATH": str(tmp_path / "share")}
    result = memlens_run(source, "--json", tmp_path / "r.json", "--progress", env=env)
    assert result.returncode == 0, result.stderr
    assert "memlens injected" in result.stderr
    assert "[2/3] cell 1 \"blob = b'x' * (32 << 20)\" RSS +32." in result.stderr
    executable, version = (tmp_path / "where.txt").read_text().split()
    assert executable == python and version.startswith("6.")
    truth = json.loads(dump.read_text())
    cells = json.loads((tmp_path / "r.json").read_text())["cells"]
    assert [dict(c, kernel_pid=truth["pid"]) for c in truth["records"]] == cells[:-1]
    assert cells[1]["rss_after"] - cells[1]["rss_before"] >= 31 * MiB  # 32 MiB written
