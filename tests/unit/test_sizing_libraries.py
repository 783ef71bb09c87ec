"""memlens.sizing on torch tensors and pyarrow data, against measurements of its own.

tracemalloc does not see either library's native memory, so the ground truth here is:

- torch: the process RSS growth (``VmRSS``) while a large tensor is built, and the byte
  counts of the tensors' storages (``untyped_storage().nbytes()``);
- pyarrow: what pyarrow's memory pool allocated while the data was built
  (``pa.total_allocated_bytes()``) plus what tracemalloc saw of the Python objects.

Both libraries are test-only dependencies (requirements-dev.txt): imported plainly, so that
a missing one fails rather than skips.
"""

from __future__ import annotations

import gc
import sys
import warnings
from typing import Any, Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import sizing_truth
import torch

from memlens.sizing import RootSizes, deep_size, measure, retained_sizes

TOLERANCE = 0.05
SMALL = 1024
"""Bytes of a few Python objects: what a name retains when another name holds its data."""


def close(measured: int, truth: int, tolerance: float = TOLERANCE) -> bool:
    return abs(measured - truth) <= tolerance * truth


def one(obj: object) -> RootSizes:
    return measure([[obj]]).roots[0]


def storage_bytes(*tensors: torch.Tensor) -> int:
    """The bytes of the distinct storages behind ``tensors``."""
    storages = {t.untyped_storage().data_ptr(): t.untyped_storage().nbytes() for t in tensors}
    return sum(storages.values())


# -- torch ------------------------------------------------------------------------------------


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def test_a_large_tensor_costs_what_rss_grew_by() -> None:
    gc.collect()
    before = rss_bytes()
    tensor = torch.ones(50_000_000, dtype=torch.float32)  # 200 MB, every page written
    grown = rss_bytes() - before
    assert grown > 150_000_000, f"RSS grew by {grown} bytes only: the truth is unreliable"
    sizes = one(tensor)
    assert close(sizes.deep, grown), (sizes, grown)
    assert close(sizes.retained, grown), (sizes, grown)


def test_a_tensor_is_its_storage_and_its_object() -> None:
    tensor = torch.arange(1_000_000, dtype=torch.float32)
    truth = tensor.untyped_storage().nbytes() + sys.getsizeof(tensor)
    assert truth > 4_000_000
    sizes = one(tensor)
    assert close(sizes.deep, truth), (sizes, truth)
    assert close(sizes.retained, truth), (sizes, truth)
    assert deep_size(tensor) == sizes.deep
    doubles = torch.zeros(1_000_000, dtype=torch.float64)
    assert close(deep_size(doubles), 8_000_000), "the storage, not the element count"


def test_views_share_their_base_storage() -> None:
    base = torch.arange(1_000_000, dtype=torch.float32)
    strided = base[::2]
    reshaped = base.view(1000, 1000)
    storage = storage_bytes(base)
    assert storage_bytes(base, strided, reshaped) == storage, "one storage behind all three"
    # Together in one root: the storage once.
    together = deep_size([base, strided, reshaped])
    assert close(together, storage), (together, storage)
    assert together < 1.01 * storage
    # A lone view keeps the whole storage alive.
    assert close(deep_size(base[10:20]), storage)
    # Under two names: each one's deep size has the storage, neither retains it (deleting
    # either name frees only its tensor object).
    retained = retained_sizes({"base": base, "strided": strided})
    assert retained["strided"] < SMALL, retained
    assert retained["base"] < SMALL, retained
    roots = measure([[base], [strided], [reshaped]]).roots
    assert all(close(root.deep, storage) for root in roots), roots
    assert all(root.retained < SMALL for root in roots), roots


def test_tensors_in_containers_are_found() -> None:
    first = torch.ones(1_000_000, dtype=torch.float32)
    second = torch.ones(500_000, dtype=torch.float64)
    both = storage_bytes(first) + storage_bytes(second)

    class Holder:
        def __init__(self) -> None:
            self.weights = {"layer": [first, (second,)]}

    for container in ([first, second], {"a": first, "b": second}, Holder()):
        sizes = one(container)
        assert close(sizes.deep, both), (container, sizes, both)
        assert sizes.deep > both, "the containers themselves too"
    # The same tensor twice in one root: once.
    assert close(deep_size([first, first, [first]]), storage_bytes(first))
    # A name and a list holding the same tensor: the tensor is shared, no one retains it.
    retained = retained_sizes({"tensor": first, "listed": [first]})
    assert retained["tensor"] == 0, retained
    assert retained["listed"] < SMALL, retained
    # A list that alone holds its tensors retains them.
    retained = retained_sizes({"tensor": first, "listed": [second]})
    assert retained["tensor"] >= storage_bytes(first), retained
    assert retained["listed"] >= storage_bytes(second), retained


def test_a_parameter_counts_its_gradient() -> None:
    parameter = torch.nn.Parameter(torch.zeros(1_000_000))
    without = deep_size(parameter)
    assert close(without, storage_bytes(parameter))
    parameter.grad = torch.ones(1_000_000)
    truth = storage_bytes(parameter) + storage_bytes(parameter.grad)
    sizes = one(parameter)
    assert close(sizes.deep, truth), (sizes, truth)
    assert close(sizes.retained, truth), (sizes, truth)
    # A module: its parameters (and their gradients) are found through its dicts.
    module = torch.nn.Linear(1000, 1000)
    module.weight.grad = torch.zeros_like(module.weight)
    params = storage_bytes(module.weight) + storage_bytes(module.bias)
    truth = params + storage_bytes(module.weight.grad)
    assert close(deep_size(module), truth), (deep_size(module), truth)


def test_a_computed_tensor_is_sized_without_a_warning() -> None:
    leaf = torch.ones(1_000_000, requires_grad=True)
    computed = leaf * 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sizes = one(computed)
    assert caught == [], "reading .grad of a non-leaf tensor warns: it must not be read"
    assert close(sizes.deep, storage_bytes(computed)), sizes
    # A non-leaf tensor that retains its gradient: the gradient counts.
    computed.retain_grad()
    computed.sum().backward()
    assert computed.grad is not None
    truth = storage_bytes(computed) + storage_bytes(computed.grad)
    assert close(deep_size(computed), truth), (deep_size(computed), truth)


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
def test_sparse_tensors_count_their_indices_and_values() -> None:
    dense = torch.zeros(2000, 2000)
    dense[torch.arange(0, 2000, 2), torch.arange(0, 2000, 2)] = 1.0
    dense[5, :] = 2.0
    coo = dense.to_sparse()
    coo_truth = storage_bytes(coo._indices(), coo._values())
    assert coo_truth > 40_000
    assert close(deep_size(coo), coo_truth), (deep_size(coo), coo_truth)
    csr = dense.to_sparse_csr()
    csr_truth = storage_bytes(csr.crow_indices(), csr.col_indices(), csr.values())
    assert close(deep_size(csr), csr_truth), (deep_size(csr), csr_truth)
    csc = dense.to_sparse_csc()
    csc_truth = storage_bytes(csc.ccol_indices(), csc.row_indices(), csc.values())
    assert close(deep_size(csc), csc_truth), (deep_size(csc), csc_truth)


def test_tensors_off_the_cpu_count_no_process_memory() -> None:
    meta = torch.empty(10_000_000, device="meta")
    assert deep_size(meta) < SMALL


class Spy(torch.Tensor):
    """A subclass whose ``__torch_function__`` (and attribute lookup) raise and record."""

    calls: list[str] = []  # noqa: RUF012

    @classmethod
    def __torch_function__(
        cls,
        func: Any,
        types: Any,
        args: Any = (),
        kwargs: Any = None,
    ) -> Any:
        Spy.calls.append(repr(func))
        raise RuntimeError("hostile __torch_function__")

    def __getattribute__(self, name: str) -> Any:
        Spy.calls.append(name)
        raise RuntimeError("hostile __getattribute__")


def test_a_hostile_tensor_subclass_runs_no_code_and_is_counted() -> None:
    plain = torch.ones(1_000_000)
    truth = storage_bytes(plain)
    spy = plain.as_subclass(Spy)
    Spy.calls.clear()
    sizes = one([spy])
    assert Spy.calls == []
    assert not sizes.partial and sizes.flags == []
    assert close(sizes.deep, truth), (sizes, truth)


def test_torch_from_a_module_that_is_not_torch_is_ignored(monkeypatch: Any) -> None:
    # Only what sys.modules holds counts: without torch there, a tensor is a plain object.
    tensor = torch.ones(1_000_000)
    monkeypatch.setitem(sys.modules, "torch", None)
    assert deep_size(tensor) < SMALL


def test_a_tensor_sharing_a_numpy_buffer_counts_it_once() -> None:
    array = np.zeros(1_000_000, dtype=np.float32)
    tensor = torch.from_numpy(array)
    assert storage_bytes(tensor) == array.nbytes  # the same memory
    assert close(deep_size([array, tensor]), array.nbytes)
    assert close(deep_size(array), array.nbytes) and close(deep_size(tensor), array.nbytes)
    # Neither name frees the buffer while the other holds it.
    kept = retained_sizes({"array": array, "tensor": tensor})
    assert kept["array"] < SMALL and kept["tensor"] < SMALL, kept
    alone = retained_sizes({"array": array})
    assert close(alone["array"], array.nbytes)


def test_a_zero_copy_arrow_array_counts_the_numpy_buffer_once() -> None:
    numbers = np.arange(1_000_000, dtype=np.int64)
    arrow = pa.array(numbers)  # no nulls: arrow wraps numpy's buffer
    assert close(deep_size([numbers, arrow]), numbers.nbytes)
    kept = retained_sizes({"numbers": numbers, "arrow": arrow})
    assert kept["numbers"] < SMALL and kept["arrow"] < SMALL, kept


def test_a_numpy_view_of_a_tensor_counts_the_storage_once() -> None:
    tensor = torch.ones(1_000_000)
    array = tensor.numpy()
    assert close(deep_size(array), storage_bytes(tensor))
    assert close(deep_size([tensor, array]), storage_bytes(tensor))


# -- pyarrow ----------------------------------------------------------------------------------


def built(factory: Callable[[], Any]) -> tuple[Any, int]:
    """:func:`sizing_truth.built` (tracemalloc plus pyarrow's pool), after a first call
    to ``factory``, so that pyarrow's one-time caches are not counted."""
    factory()
    return sizing_truth.built(factory)


def test_an_int64_array_is_its_buffers() -> None:
    array, truth = built(lambda: pa.array(np.arange(1_000_000) * 3))
    assert array.get_total_buffer_size() == array.nbytes == 8_000_000
    sizes = one(array)
    assert close(sizes.deep, truth), (sizes, truth)
    assert close(sizes.retained, truth), (sizes, truth)
    assert close(sizes.deep, array.get_total_buffer_size())
    with_nulls = pa.array([None if i % 10 == 0 else i for i in range(1_000_000)], pa.int64())
    assert close(deep_size(with_nulls), with_nulls.get_total_buffer_size()), "the validity bitmap"


def test_a_string_array_is_its_offsets_and_characters() -> None:
    words, truth = built(lambda: pa.array([f"word-{i}" for i in range(500_000)]))
    assert words.get_total_buffer_size() > 4_000_000
    sizes = one(words)
    assert close(sizes.deep, truth), (sizes, truth)
    assert close(sizes.deep, words.get_total_buffer_size())


def test_a_table_counts_every_column() -> None:
    rows = 300_000

    def table() -> Any:
        return pa.table(
            {
                "id": pa.array(np.arange(rows, dtype=np.int64) * 7),
                "value": pa.array(np.linspace(0.0, 1.0, rows)),
                "name": pa.array([f"name-{i}" for i in range(rows)]),
                "tag": pa.array(
                    [f"a-longer-tag-{i // 2}" for i in range(rows)]
                ).dictionary_encode(),
                "point": pa.array([{"x": i, "y": float(i)} for i in range(rows)]),
            }
        )

    frame, truth = built(table)
    sizes = one(frame)
    assert close(sizes.deep, truth), (sizes, truth)
    assert close(sizes.retained, truth), (sizes, truth)
    assert close(sizes.deep, frame.get_total_buffer_size())
    batch = frame.to_batches()[0]
    assert batch.num_rows == rows
    assert close(deep_size(batch), batch.get_total_buffer_size())


def test_a_dictionary_array_counts_its_dictionary() -> None:
    encoded, truth = built(
        lambda: pa.array([f"unique-{i}" for i in range(300_000)]).dictionary_encode()
    )
    total = encoded.get_total_buffer_size()  # the dictionary's buffers included
    # Measured before ``.dictionary`` is read: that getter caches a Python object on the
    # array, through which the walk would find the dictionary anyway.
    sizes = one(encoded)
    assert close(sizes.deep, truth), (sizes, truth)
    assert close(sizes.deep, total), (sizes, total)
    dictionary = encoded.dictionary.get_total_buffer_size()
    assert dictionary > 2 * encoded.indices.get_total_buffer_size(), "most of it"
    assert close(deep_size(encoded), total)


def test_a_chunked_array_counts_each_chunk() -> None:
    chunked, truth = built(
        lambda: pa.chunked_array([pa.array(np.arange(n, dtype=np.int64)) for n in (10**5, 10**6)])
    )
    assert chunked.num_chunks == 2
    sizes = one(chunked)
    assert close(sizes.deep, truth), (sizes, truth)
    assert close(sizes.deep, chunked.get_total_buffer_size())
    # Chunks that are slices of one array share its buffers: counted once.
    whole = pa.array(np.arange(1_000_000, dtype=np.int64))
    halves = pa.chunked_array([whole.slice(0, 500_000), whole.slice(500_000)])
    assert close(deep_size(halves), whole.nbytes), (deep_size(halves), whole.nbytes)


def test_a_slice_shares_its_parent_buffers() -> None:
    parent = pa.array(np.arange(1_000_000, dtype=np.int64))
    part = parent.slice(100, 1000)
    buffers = parent.get_total_buffer_size()
    assert part.nbytes < buffers / 100, "pyarrow counts the slice's own range only"
    # A lone slice keeps its parent's whole buffers alive.
    assert close(deep_size(part), buffers)
    # Both in one root: once.
    assert close(deep_size([parent, part]), buffers)
    assert deep_size([parent, part]) < 1.01 * buffers
    # Under two names: neither retains the buffers.
    retained = retained_sizes({"parent": parent, "part": part})
    assert retained["part"] < SMALL, retained
    assert retained["parent"] < SMALL, retained
    roots = measure([[parent], [part]]).roots
    assert all(close(root.deep, buffers) for root in roots), roots


def test_arrow_data_in_containers_and_shared_between_names() -> None:
    first = pa.array(np.arange(1_000_000, dtype=np.int64))
    second = pa.array([f"s{i}" for i in range(200_000)])
    both = first.get_total_buffer_size() + second.get_total_buffer_size()
    for container in ([first, second], {"a": first, "b": (second,)}):
        assert close(deep_size(container), both), container
    table = pa.table({"first": first})
    retained = retained_sizes({"first": first, "table": table})
    assert retained["first"] < SMALL, "the table holds the same buffers"
    assert retained["table"] < SMALL, retained
    retained = retained_sizes({"first": first, "second": [second]})
    assert retained["first"] >= first.get_total_buffer_size(), retained
    assert retained["second"] >= second.get_total_buffer_size(), retained


def test_a_pyarrow_backed_pandas_frame() -> None:
    def frame() -> Any:
        rows = 200_000
        return pd.DataFrame(
            {
                "text": pd.array([f"t{i}" for i in range(rows)], dtype="string[pyarrow]"),
                "number": pd.array(np.arange(rows), dtype="int64[pyarrow]"),
            }
        )

    df, truth = built(frame)
    sizes = one(df)
    assert close(sizes.deep, truth), (sizes, truth)
