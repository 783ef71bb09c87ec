"""polars frames and series: their Arrow buffers (polars' own allocator, unseen by
tracemalloc) counted by address, against the process RSS growth with the allocator
settled; columns shared between frames counted once; a LazyFrame flagged lazy.

polars' ``estimated_size()`` is only a labelled estimate (it undercounts string views and
double-counts shared buffers): asserted here to differ, not used as truth."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap

import numpy as np
import polars as pl
import pytest

from memlens.sizing import LAZY, deep_size, measure, retained_sizes

N = 1_000_000


def frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "i": np.arange(N),
            "f": np.linspace(0, 1, N),
            "s": pl.Series([f"string number {i}" for i in range(N)]),
        }
    )


def test_a_frame_is_its_buffers_against_rss() -> None:
    """In a fresh process: RSS growth while the frame is built from numpy (no Python
    temporaries left), after polars' allocator is warmed and settled."""
    code = textwrap.dedent(
        """
        import gc, time, numpy as np, polars as pl
        from memlens.sizing import deep_size
        def rss():
            with open('/proc/self/statm') as f:
                return int(f.read().split()[1]) * 4096
        pl.DataFrame({'a': np.arange(10)}).select(pl.col('a') * 2)
        gc.collect(); before = rss()
        n = 4_000_000
        df = pl.DataFrame({'i': np.arange(n), 'f': np.linspace(0, 1, n),
                           'b': np.arange(n) % 2 == 0})
        gc.collect(); time.sleep(0.2); grew = rss() - before
        print(deep_size(df), grew, df.estimated_size())
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout.split()
    measured, grew, estimated = map(int, out)
    assert grew > 60_000_000
    # polars takes numpy's buffers zero-copy (glibc mmaps: resident exactly); the rest of
    # the growth (~8 MB here) is polars' allocator and thread pool waking up.
    assert 0.85 * grew <= measured <= 1.02 * grew, (measured, grew)
    assert 0.95 * estimated <= measured <= 1.05 * estimated  # numeric: the estimate agrees


def test_a_frame_is_the_buffers_pyarrow_sees() -> None:
    """An independent reading of the same buffers: ``to_arrow()`` is zero-copy, and
    pyarrow sizes each buffer itself (not from the Arrow C structs memlens reads)."""
    import pyarrow as pa

    df = frame()
    table = df.to_arrow(compat_level=pl.CompatLevel.newest())  # views as they are
    seen: dict[int, int] = {}
    for column in table.columns:
        for chunk in column.chunks:
            for buffer in chunk.buffers():
                if buffer is not None:
                    seen[buffer.address] = max(seen.get(buffer.address, 0), buffer.size)
    truth = sum(seen.values())
    del table
    assert isinstance(pa.total_allocated_bytes(), int)
    assert 0.98 * truth <= deep_size(df) <= 1.02 * truth + 4096, (deep_size(df), truth)


def test_a_frame_counts_its_string_views_and_data() -> None:
    df = frame()
    size = deep_size(df)
    numeric = N * 16
    strings = sum(len(f"string number {i}") for i in range(N))
    # each string has a 16-byte view; those over 12 bytes are in data buffers too
    assert numeric + 16 * N + strings <= size <= 1.1 * (numeric + 16 * N + strings)
    assert size > df.estimated_size()  # polars' estimate undercounts the views


def test_a_series_and_its_frame_share_buffers() -> None:
    df = frame()
    column = df["s"]
    sizes = retained_sizes({"df": df, "column": column})
    assert sizes["column"] < 10_000, sizes  # its buffers are df's too
    assert deep_size(column) > 16 * N


@pytest.mark.parametrize(
    "derive",
    [
        lambda df: df.clone(),
        lambda df: df.select("i", "s"),
        lambda df: df.with_columns(g=pl.col("f") * 2),
    ],
    ids=["clone", "select", "with_columns"],
)
def test_frames_sharing_columns_count_them_once(derive: object) -> None:
    df = frame()
    other = derive(df)  # type: ignore[operator]
    alone = deep_size(df)
    both = measure([[df, other]]).roots[0].deep
    extra = deep_size(other) - sum(
        size for name, size in retained_sizes({"df": df, "other": other}).items() if name == "df"
    )
    assert both <= alone + N * 8 + 10_000, (both, alone)  # at most one new float column
    assert extra >= 0
    sizes = retained_sizes({"df": df, "other": other})
    assert sizes["other"] <= N * 8 + 10_000, sizes


def test_a_chunked_series_counts_every_chunk() -> None:
    first = pl.Series(np.arange(N))
    joined = pl.concat([first, pl.Series(np.arange(N))], rechunk=False)
    assert joined.n_chunks() == 2
    assert 2 * N * 8 <= deep_size(joined) <= 2 * N * 8 + 10_000
    assert retained_sizes({"first": first, "joined": joined})["joined"] <= N * 8 + 10_000


def test_a_lazy_frame_is_flagged_lazy_and_not_its_logical_size() -> None:
    lazy = pl.LazyFrame({"i": np.arange(10)}).select(pl.col("i").repeat_by(N).explode())
    sizes = measure([[lazy]]).roots[0]
    assert LAZY in sizes.flags
    assert sizes.deep < 1_000_000  # 10 M values when collected: not held
    gc.collect()


def test_a_polars_subclass_runs_no_code() -> None:
    calls: list[str] = []

    class Mine(pl.DataFrame):
        def __getattribute__(self, name: str) -> object:
            calls.append(name)
            return super().__getattribute__(name)

        def estimated_size(self, unit: object = "b") -> int:  # type: ignore[override]
            calls.append("estimated_size")
            return 0

    df = Mine({"i": np.arange(N)})
    calls.clear()
    assert deep_size(df) >= N * 8
    assert calls == []
