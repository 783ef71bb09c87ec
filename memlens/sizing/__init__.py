"""Deep and retained sizes of objects: the walk, its owners table, type kinds."""

from __future__ import annotations

from .walk import Report, RootSizes, deep_size, measure, retained_sizes

__all__ = ["Report", "RootSizes", "deep_size", "measure", "retained_sizes"]
