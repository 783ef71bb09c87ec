"""Native memory pools the libraries the user imported expose, by name.

Only pools a library reports itself through a public function of its own are read:
pyarrow's ``total_allocated_bytes()`` (its default memory pool). polars' allocator
(jemalloc inside the compiled module) exposes no statistics to Python: not read.
"""

from __future__ import annotations

from .lookup import library_module


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
