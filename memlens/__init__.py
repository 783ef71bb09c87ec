"""memlens: where did my notebook's memory go?

The kernel side of the JupyterLab extension ``jupyterlab-memlens``. Importing this
package is cheap and imports nothing outside the standard library: the comm is
registered by :func:`memlens.wire.comm.register`, which the frontend's bootstrap calls.

Without JupyterLab, ``%load_ext memlens`` records every cell in any IPython frontend and
prints a readout after each; :func:`cell_records` returns what was recorded.

Sizes of objects: ``memlens.deep_size(obj)`` (the bytes reachable from ``obj``),
``memlens.retained_sizes(namespace)`` (for each name, the bytes deleting it would free)
and ``memlens.measure(roots, budget_s=...)`` (both, under a time budget, with flags); see
:mod:`memlens.sizing`.

What the kernel's RSS is made of: ``memlens.kernel_memory()`` (see :mod:`memlens.kernel`).
"""

from __future__ import annotations

from typing import Any

from ._version import __version__

__all__ = [
    "__version__",
    "cell_records",
    "deep_size",
    "kernel_memory",
    "last_exit",
    "load_ipython_extension",
    "measure",
    "retained_sizes",
    "unload_ipython_extension",
]

_SIZING = ("deep_size", "retained_sizes", "measure")


def __getattr__(name: str) -> Any:
    """``deep_size``, ``retained_sizes`` and ``measure`` from :mod:`memlens.sizing`,
    imported on first use."""
    if name in _SIZING:
        from . import sizing

        return getattr(sizing, name)
    raise AttributeError(f"module 'memlens' has no attribute {name!r}")


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where JupyterLab finds the prebuilt frontend of this package."""
    return [{"src": "labextension", "dest": "jupyterlab-memlens"}]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext memlens``: record each cell and print a one-line readout after it."""
    from .magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext memlens``: stop printing readouts and remove memlens' cell hooks."""
    from .magics import unload_ipython_extension as unload

    unload(ipython)


def cell_records() -> list[dict[str, Any]]:
    """Every recorded cell of this kernel, oldest first, as plain dicts.

    Keys as in the JupyterLab frontend's records (see :mod:`memlens.cells.record` for what
    each number means): ``seq``, ``cell_id``, ``execution_count``, ``preview``,
    ``started``, ``duration_s``, ``success``, ``rss_before``, ``rss_after``, ``rss_peak``
    (bytes), ``peak_method``, ``sample_interval_s``, ``python_delta``, ``native_delta``,
    ``allocator_free_delta``, ``output_cache_delta`` (bytes), ``output_cache_complete``
    (False while that is a lower bound), ``children_peak`` (child processes' peak, a
    lower bound when above 0, never part of the RSS), ``native_pools`` and ``precise``.
    ``bound``: the names the cell bound or rebound to another object, in the namespace's
    order (None when the namespace was not compared; see :mod:`memlens.cells.bindings`).
    ``gpu``, only when a GPU device was in use at the cell's end (memlens never creates a
    CUDA context): one dict per device, ``device`` (``"cuda:0"``), ``allocated_before``
    and ``allocated_after`` (held by live tensors and arrays), ``peak`` (``peak_exact``
    False: a lower bound), ``reserved_before`` and ``reserved_after`` (the caching
    allocators'), ``process_before`` and ``process_after`` (the process's usage from
    NVML) and ``context_created``; bytes, None where unreadable, never part of the RSS.
    Empty until ``%load_ext memlens`` or the JupyterLab frontend turned recording on.
    """
    from .cells.recorder import current

    active = current()
    return [] if active is None else active.records()


def last_exit() -> dict[str, Any] | None:
    """How the previous kernel with this kernel's id ended, or None.

    None when there was no previous kernel, it shut down cleanly, or memlens did not run
    in it. Otherwise a dict: ``cause`` (``"oom_kill"``: killed for out of memory,
    ``"killed"``: killed by a signal, ``"crashed"``: a fatal error such as a segfault,
    ``"exited"``: the process exited while a cell ran), ``signal`` (the fatal error, for
    ``crashed``), ``running`` (whether a cell was running), ``cell_id``,
    ``execution_count`` and ``preview`` of that cell, ``rss_last`` and ``rss_peak`` (the
    last RSS reading and that cell's peak so far), ``limit`` (bytes; ``limit_source``
    says whose), ``pid``, ``updated`` (when the last reading was written) and
    ``evidence`` (what the cause was inferred from: it is inferred, see
    :mod:`memlens.cells.exits`). Calling it starts memlens' kernel record.
    """
    from .cells.forensics import last_exit as read

    return read()


def kernel_memory(*, budget_s: float | None = None) -> dict[str, Any]:
    """What this kernel's resident memory (RSS) is made of, now, in bytes.

    A dict: ``rss`` and ``parts``, part name -> bytes, the values adding up to ``rss``:
    ``variables`` (what the user's variables hold), ``output_cache`` (what only ``Out``
    and ``_N`` keep alive), ``last_exception`` (what only the last error keeps alive),
    ``native_pools`` (libraries' own pools), ``allocators_free`` (held free by pymalloc
    and glibc), ``gpu_runtime``, ``libraries_and_code`` (file-backed pages) and ``rest``.
    Also ``lower_bounds`` (parts that are lower bounds, e.g. a walk stopped by
    ``budget_s`` seconds), ``rest_is_upper_bound``, ``allocators`` (``pymalloc_free``,
    ``malloc_free``, ``trim_can_return``: what ``malloc_trim`` could give back, in
    bytes) and ``elapsed_s``; and ``gpu``, only while a library you imported uses a GPU
    device (a list, one dict per device: ``total``, ``used``, this kernel's ``process``
    share, ``allocated``, ``reserved``, ``cached_free``; device memory, never in ``rss``).
    See :mod:`memlens.kernel.memory`.
    """
    from .kernel import kernel_memory as measure

    return measure(budget_s=budget_s)
