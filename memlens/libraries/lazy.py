"""Lazy containers: objects that stand for data they have not computed or loaded yet (a
polars ``LazyFrame``'s plan, a dask collection, an xarray variable backed by a file it
has not read). Their logical ``nbytes`` is never memory held: the walk sizes what they
hold now and flags them ``lazy``. Classes are found in ``sys.modules`` only."""

from __future__ import annotations

from .lookup import TYPE_MRO, library_class

LAZY_CLASSES = (
    ("polars._plr", "PyLazyFrame"),
    ("polars.lazyframe.frame", "LazyFrame"),
    ("dask.base", "DaskMethodsMixin"),
    ("xarray.core.indexing", "LazilyIndexedArray"),
    ("xarray.core.indexing", "LazilyOuterIndexedArray"),
    ("xarray.core.indexing", "LazilyVectorizedIndexedArray"),
    ("xarray.backends.common", "BackendArray"),
)
"""(module, class): a class whose instances (a subclass's too) are lazy. dask's
collections (``Array``, ``DataFrame``, ``Bag``, ``Delayed``) all derive from
``DaskMethodsMixin``; an xarray variable opened from a file wraps a ``BackendArray`` in a
``LazilyIndexedArray`` until it is loaded."""


def is_lazy_type(kind: type) -> bool:
    """Whether objects of ``kind`` are lazy containers (no code runs)."""
    try:
        mro = TYPE_MRO(kind)
    except Exception:
        return False
    for module, name in LAZY_CLASSES:
        klass = library_class(module, name)
        if klass is not None and any(base is klass for base in mro):
            return True
    return False
