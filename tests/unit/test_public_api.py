"""The public names of ``memlens`` stay what they are once every subpackage is imported."""

from __future__ import annotations

import importlib

from bundle_kernel_source import kernel_sources
from harness import REPO_ROOT

import memlens
import memlens.sizing


def test_no_subpackage_shadows_a_public_function() -> None:
    """Importing ``memlens.x`` sets the attribute ``x`` of ``memlens``: no subpackage may
    share a name with a public function such as ``memlens.measure``."""
    for path in kernel_sources(REPO_ROOT):
        name = path[: -len(".py")].replace("/", ".").removesuffix(".__init__")
        importlib.import_module(name)
    assert memlens.measure is memlens.sizing.measure
    assert memlens.deep_size is memlens.sizing.deep_size
    assert memlens.retained_sizes is memlens.sizing.retained_sizes
    assert callable(memlens.cell_records) and memlens.cell_records() == []
    assert set(memlens.__all__) <= set(dir(memlens)) | {"deep_size", "measure", "retained_sizes"}
