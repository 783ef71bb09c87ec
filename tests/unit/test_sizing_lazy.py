"""Lazy containers read as lazy (never their logical nbytes), numpy memmaps' file pages
apart from the heap, and what was right before (scipy.sparse, in-memory xarray) kept
right, against tracemalloc."""

from __future__ import annotations

import mmap
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
import xarray as xr
from sizing_truth import built, close

from memlens.sizing import FILE_BACKED, LAZY, deep_size, measure
from memlens.sizing.report import OPAQUE

N = 1_000_000


def test_a_file_backed_xarray_dataset_is_lazy(tmp_path: Path) -> None:
    path = tmp_path / "data.nc"
    xr.Dataset({"v": ("x", np.arange(N, dtype="f8"))}).to_netcdf(path, engine="scipy")
    dataset = xr.open_dataset(path, engine="scipy", cache=False)
    try:
        sizes = measure([[dataset]]).roots[0]
        assert LAZY in sizes.flags, sizes
        assert dataset["v"].nbytes == 8 * N
        assert sizes.deep < N, sizes  # 8 MB when loaded: not held
    finally:
        dataset.close()


def test_an_in_memory_xarray_dataset_is_its_arrays() -> None:
    def dataset() -> xr.Dataset:
        return xr.Dataset(
            {"v": ("x", np.arange(N, dtype="f8")), "w": ("x", np.ones(N, dtype="f4"))},
            coords={"x": np.arange(N)},
        )

    obj, truth = built(dataset)
    sizes = measure([[obj]]).roots[0]
    assert LAZY not in sizes.flags
    assert close(sizes.deep, truth), (sizes.deep, truth)


@pytest.mark.parametrize("form", ["csr", "coo", "csc", "lil"])
def test_scipy_sparse_matrices_are_their_arrays(form: str) -> None:
    def matrix() -> object:
        return scipy.sparse.random(2000, 2000, density=0.05, format=form, random_state=1)

    obj, truth = built(matrix)
    assert close(deep_size(obj), truth), (deep_size(obj), truth)


def test_a_memmap_shows_its_file_apart_from_the_heap(tmp_path: Path) -> None:
    path = tmp_path / "data.bin"
    np.arange(4 * N, dtype="f8").tofile(path)
    mapped = np.memmap(path, dtype="f8", mode="r")
    float(mapped.sum())  # pages read in: resident, but the file's
    sizes = measure([[mapped]]).roots[0]
    assert FILE_BACKED in sizes.flags and OPAQUE not in sizes.flags, sizes
    assert sizes.deep < 10_000, sizes  # 32 MB of the file's pages are not heap
    del mapped


def test_an_anonymous_mapping_is_still_counted() -> None:
    mapping = mmap.mmap(-1, 8 << 20)
    try:
        sizes = measure([[mapping]]).roots[0]
        assert OPAQUE in sizes.flags and FILE_BACKED not in sizes.flags
        assert sizes.deep >= 8 << 20
    finally:
        mapping.close()


def test_a_dask_collection_is_lazy() -> None:
    """dask is optional (not in requirements-dev.txt): skipped without it."""
    dask_array = pytest.importorskip("dask.array")
    lazy = dask_array.ones((20_000, 20_000), chunks=(1000, 1000))
    sizes = measure([[lazy]]).roots[0]
    assert LAZY in sizes.flags
    assert sizes.deep < 50_000_000  # 3.2 GB when computed
