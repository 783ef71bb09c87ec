"""Native memory pools the libraries the user imported expose, by name.

Only pools a library reports itself through a public function of its own are read:
pyarrow's ``total_allocated_bytes()`` (its default memory pool). polars' allocator
(jemalloc inside the compiled module) exposes no statistics to Python: not read.

:func:`unclaimed` says how much of the pools no other part of the kernel's memory counts:
the buffers of the arrow arrays that variables hold are in the variables' deep size
already, so only the rest of a pool (buffers held from elsewhere: module globals,
caches, objects only native code keeps) is the pools' own part.
"""

from __future__ import annotations

from collections.abc import Mapping

from .lookup import library_module

OWN_ALLOCATOR = frozenset(("numpy",))
"""Libraries whose buffers counted by the sizing walk are never in a pool read here:
numpy arrays that own their buffer allocated it with numpy's allocator."""


def native_pools() -> dict[str, int] | None:
    """Bytes allocated now in each pool, by library; None when no such library is
    imported. Never raises."""
    found: dict[str, int] = {}
    reader = library_module("pyarrow").get("total_allocated_bytes")
    if callable(reader):
        try:
            found["pyarrow"] = int(reader())
        except Exception:
            pass
    return found or None


def pool_deltas(
    before: dict[str, int] | None, after: dict[str, int] | None
) -> dict[str, int] | None:
    """``after - before`` by pool (a pool first seen in ``after`` counts from 0)."""
    if after is None:
        return None
    start = before or {}
    return {name: size - start.get(name, 0) for name, size in after.items()}


def unclaimed(
    pools: Mapping[str, int] | None, native_buffers: Mapping[str, int], complete: bool
) -> tuple[int, bool]:
    """``(bytes, lower_bound)``: the bytes of ``pools`` that no sized part counts.

    ``native_buffers``: the buffers a complete sizing walk over the other parts counted,
    by library (:attr:`memlens.sizing.Report.native_buffers`). Every one of them that is
    not known to come from elsewhere (:data:`OWN_ALLOCATOR`) is taken out of the pools,
    since a pool's buffer can be reached through another library's object (a polars
    frame or a torch tensor made zero-copy from arrow data): never counted twice. The
    result is a lower bound when buffers of other libraries than pyarrow were taken out
    (they may not be the pool's), and 0, a lower bound, when the walk was cut short (its
    counts are then incomplete and the rest of the pool could be the variables').
    pyarrow buffers that wrap memory pyarrow did not allocate (``py_buffer``, zero-copy
    from numpy) are taken out too, so the part can be lower than the pool's remainder.
    """
    total = sum(pools.values()) if pools else 0
    if total <= 0:
        return 0, False
    if not complete:
        return 0, True
    taken = sum(size for name, size in native_buffers.items() if name not in OWN_ALLOCATOR)
    foreign = any(
        size > 0
        for name, size in native_buffers.items()
        if name not in OWN_ALLOCATOR and name not in (pools or {})
    )
    return max(0, total - taken), foreign
