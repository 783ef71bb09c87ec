"""``memlens run``'s pure parts: sizes, the report files, budgets and the injected code."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from bundle_kernel_source import PROBE_EXPRESSION, bootstrap_code
from harness import REPO_ROOT

from memlens.cli import budgets, inject, report
from memlens.cli.sizes import format_bytes, format_delta, format_duration, parse_size

RECORD = {
    "seq": 4,
    "cell_id": None,
    "execution_count": 7,
    "preview": 'x = "a, <b>"',
    "started": 1700000000.25,
    "duration_s": 1.5,
    "success": True,
    "rss_before": 100 << 20,
    "rss_after": 150 << 20,
    "rss_peak": 300 << 20,
    "peak_method": "exact",
    "sample_interval_s": None,
    "python_delta": 40 << 20,
    "native_delta": 6 << 20,
    "allocator_free_delta": 4 << 20,
    "output_cache_delta": 0,
    "precise": None,
}


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("1048576", 1 << 20),
        (4096, 4096),
        ("4GiB", 4 << 30),
        ("4 GB", 4_000_000_000),
        ("500M", 500 << 20),
        ("1.5g", 3 << 29),
        ("64kib", 64 << 10),
        ("2 kB", 2000),
    ],
)
def test_parse_size(text: object, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "GiB", "-1", "4 GiBs", "1e3", True, None, -5, [1]])
def test_parse_size_refuses(text: object) -> None:
    with pytest.raises(ValueError, match="size"):
        parse_size(text)


def test_formats_match_the_frontend() -> None:
    # The values spec/common/format.spec.ts expects of formatBytes/formatDelta/formatDuration.
    assert format_bytes(1536) == "1.5 KiB"
    assert format_bytes(512) == "512 B"
    assert format_bytes(None) == "\u2014"
    assert format_delta(0) == "\u00b10 B"
    assert format_delta(120 << 20) == "+120.0 MiB"
    assert format_delta(-3 << 10) == "-3.0 KiB"
    assert format_duration(0.00085) == "850 \u00b5s"
    assert format_duration(0.012) == "12 ms"
    assert format_duration(1.24) == "1.24 s"
    assert format_duration(185) == "3 min 05 s"


def test_js_numbers() -> None:
    assert report.js_number(True) == "true"
    assert report.js_number(3.0) == "3"
    assert report.js_number(1.5) == "1.5"
    assert report.js_number(1e-5) == "0.00001"
    assert report.js_number(1e-7) == "1e-7"
    assert report.js_number(1e21) == "1e+21"


def test_csv_has_the_lab_columns_and_derived_numbers() -> None:
    text = report.to_csv([RECORD], pid=42)
    assert text.endswith("\r\n")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(report.CSV_COLUMNS)
    row = rows[0]
    assert row["kernel_pid"] == "42"
    assert row["preview"] == RECORD["preview"]
    assert row["started"] == "2023-11-14T22:13:20.250Z"
    assert row["success"] == "true"
    assert row["cell_id"] == ""
    assert int(row["rss_delta"]) == 50 << 20
    assert int(row["peak_above_start"]) == 200 << 20


def test_json_is_the_lab_shape() -> None:
    document = json.loads(report.to_json([RECORD], 42, "a.ipynb", "2024-01-01T00:00:00.000Z"))
    assert document["memlens_report"] == 1
    assert document["notebook"] == "a.ipynb"
    assert document["cells"] == [{"kernel_pid": 42, **RECORD}]
    assert next(iter(document["cells"][0])) == "kernel_pid"


def test_html_escapes_and_formats() -> None:
    page = report.to_html([RECORD], 42, "a<b>.ipynb", "now")
    assert "a&lt;b&gt;.ipynb" in page
    assert "<td>x = &quot;a, &lt;b&gt;&quot;</td>" in page
    assert "<td>+50.0 MiB</td><td>+200.0 MiB</td><td>exact</td>" in page
    assert "<svg" in page and "<script" not in page


def test_budgets_name_the_cells() -> None:
    small = {**RECORD, "rss_peak": RECORD["rss_before"] + (1 << 20), "preview": "small"}
    cells = [budgets.RanCell(1, RECORD, None), budgets.RanCell(3, small, 1 << 10)]
    found = [b.message for b in budgets.breaches(cells, None, 100 << 20)]
    assert len(found) == 2
    assert found[0].startswith("cell 1 [7]") and "--max-cell-peak 100.0 MiB" in found[0]
    assert found[1].startswith("cell 3 [7] 'small'") and "its max_peak 1.0 KiB" in found[1]
    assert [b.message for b in budgets.breaches(cells, 300 << 20, 300 << 20)] == found[1:]
    cells[1].budget = 1 << 20
    assert budgets.breaches(cells, 300 << 20, 300 << 20) == []
    kernel = budgets.breaches(cells, 200 << 20, None)
    assert (
        len(kernel) == 1 and "cell 1 [7]" in kernel[0].message and "cell 3" not in kernel[0].message
    )
    sampled = {**RECORD, "peak_method": "sampled"}
    message = budgets.breaches([budgets.RanCell(0, sampled)], None, 1)[0].message
    assert "sampled: at least" in message
    unmeasured = {**RECORD, "rss_peak": None, "peak_method": "none"}
    assert budgets.breaches([budgets.RanCell(0, unmeasured)], None, 1) == []
    assert budgets.unchecked([budgets.RanCell(0, unmeasured)], 1) == ["cell 0 [7] 'x = \"a, <b>\"'"]


def test_cell_budget_from_metadata() -> None:
    assert budgets.cell_budget({"memlens": {"max_peak": "2 MiB"}}, 0) == 2 << 20
    assert budgets.cell_budget({"memlens": {"seq": 1}}, 0) is None
    assert budgets.cell_budget({}, 0) is None
    with pytest.raises(ValueError, match=r"cell 5: metadata memlens\.max_peak"):
        budgets.cell_budget({"memlens": {"max_peak": "lots"}}, 5)


def test_injected_code_is_the_frontends() -> None:
    assert inject.PROBE_EXPRESSION == PROBE_EXPRESSION
    assert inject.bootstrap_code() == bootstrap_code(REPO_ROOT)


def _memlens(*args: str, hide: str = "") -> subprocess.CompletedProcess[str]:
    code = f"import sys; {hide} from memlens.cli import main; raise SystemExit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
    )


def test_usage_errors_exit_2() -> None:
    result = _memlens("run", "x.ipynb", "--max-peak", "lots")
    assert result.returncode == 2
    assert "not a size: 'lots'" in result.stderr


def test_missing_nbclient_says_how_to_install() -> None:
    notebook = REPO_ROOT / "examples" / "memory_puzzles.ipynb"
    result = _memlens("run", str(notebook), hide="sys.modules['nbclient'] = None;")
    assert result.returncode == 5
    assert "pip install 'jupyterlab-memlens[run]'" in result.stderr


def test_python_m_memlens_is_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "memlens", "run", "--help"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
    )
    assert result.returncode == 0
    assert "--max-cell-peak" in result.stdout and "3 budget exceeded" in result.stdout
