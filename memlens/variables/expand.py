"""The body of the ``expand`` reply: a page of the parts of one variable, with sizes.

Built from an IPython shell with :mod:`.parts` (the path, the parts, their labels),
:mod:`.rows` (what each row says besides its sizes), :mod:`.world` (the rest of the
namespace) and :mod:`memlens.sizing` (deep and retained sizes). Knows nothing of comms;
:mod:`memlens.wire.comm` runs it on a background thread.

One root per child of the page, then the rest of the world, walked last with
whatever the budget leaves: the parent's other parts (the other items, the keys, other
attributes), the other parts of every container the path passes through, and whatever
else the namespace keeps alive (the other variables, the output cache, the hidden
values). The containers along the path, from the variable's value down to the parent,
are neither counted nor followed (through them every child would look shared); a child
that refers back to one of them (a parent pointer, a cycle) is flagged by that walk and
gets its deep size, all it reaches, from a walk of its own. So a
child's retained size is what removing it from its parent would free while everything
else lives on: what another variable, ``Out`` or another part of a container on the path
also holds is not its own. Another name for one of those containers (``b = a``) shares
nothing: removing the child from the one container frees it. The output cache, when it
is the one expanded, is one whole (``Out[n]``, ``_n`` and ``_`` are one entry). A walk of
the rest cut short makes the reply ``partial`` and flags the children
``retained_approx``: their retained sizes may be too high. DataFrame columns are sized
as their data: ``nbytes`` for a numeric column (its slice of the block), its pointers
plus the objects for an object column, the extension array for others.
"""

from __future__ import annotations

import functools
import time
from typing import Any, Callable

from .. import libraries, sizing
from ..wire.protocol import ChildRow, ExpandBody, PathStep
from . import parts
from .rows import Described, row_flags
from .world import never_walked, user_namespace, world


def expand_body(
    shell: Any,
    *,
    path: list[PathStep],
    offset: int,
    limit: int,
    budget_ms: float,
    should_stop: Callable[[], bool] | None = None,
    pause_every_s: float | None = None,
    cap_bytes: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> ExpandBody:
    """The body of an ``expand`` reply; raises :class:`.parts.PathError` when
    the path does not lead to an object (any more). A child's retained size is what
    removing it from its parent would free while the rest of the namespace lives on (see
    the module's docstring)."""
    user_ns = user_namespace(shell)
    steps: list[dict[str, Any]] = [dict(step) for step in path]
    containers = parts.trail(user_ns, steps)
    parent = containers[-1]
    offset = int(offset)
    limit = int(limit)
    total = parts.count(parent)
    page = parts.children(parent, offset, limit)
    pandas = libraries.pandas_frames()
    columns = pandas is not None and pandas.is_frame(parent)
    roots: list[list[object] | sizing.Segments] = []
    extra: list[int] = []
    for child in page:
        root, data_bytes = libraries.column_data(child.obj) if columns else ([child.obj], 0)
        roots.append(root)
        extra.append(data_bytes)
    shares = [1.0] * len(page)
    # The rest of the world (see the module's docstring), walked last.
    variables, hidden, cache = world(shell, user_ns)
    if cache is not None and cache[0] is containers[0]:
        cache = None  # expanding the output cache: its entries are the children
    rest: list[object] = [value for _, value in variables]
    rest += cache or []
    rest += hidden
    roots += [
        parts.sibling_segments(parent, page),
        parts.segments_along(containers, steps),
        rest,
    ]
    shares += [0.0, 0.0, 0.0]
    started = time.perf_counter()
    abouts = [Described(child.obj) for child in page]
    walk = functools.partial(
        sizing.measure,
        known_sizes={id(child.obj): about.known_size() for child, about in zip(page, abouts)},
        cap_bytes=cap_bytes,
        skip=never_walked(shell, user_ns),
        should_stop=should_stop,
        pause_every_s=pause_every_s,
        progress=progress,
    )
    report = walk(roots, budget_s=budget_ms / 1000.0, shares=shares, fence=containers)
    approx = report.partial
    deep = [sizes.deep for sizes in report.roots[: len(page)]]
    partial = [sizes.partial for sizes in report.roots[: len(page)]]
    flags = [set(sizes.flags) - {sizing.FENCED} for sizes in report.roots[: len(page)]]
    # A part that refers back to a container above it (a parent pointer, a cycle) was
    # fenced off there; its deep size, all it reaches, comes from a walk of its own.
    fenced = [
        n for n, sizes in enumerate(report.roots[: len(page)]) if sizing.FENCED in sizes.flags
    ]
    cut_short = report.partial
    if fenced:
        # What the budget left, but at least a quarter of it: the first walk's last
        # roots take all that remains whenever the namespace is big.
        left = budget_ms / 1000.0 - (time.perf_counter() - started)
        whole = walk([roots[n] for n in fenced], budget_s=max(left, budget_ms / 4000.0))
        for n, sizes in zip(fenced, whole.roots):
            deep[n] = max(deep[n], sizes.deep)  # both are lower bounds when cut short
            if sizes.partial:
                partial[n] = True
                flags[n] |= set(sizes.flags)
                cut_short = True
    children: list[ChildRow] = []
    for n, (child, sizes, data_bytes) in enumerate(zip(page, report.roots, extra)):
        about = abouts[n]
        shape = about.shape
        if columns:
            shape = libraries.column_shape(child.obj)
            about.getsizeof = None
        children.append(
            {
                "label": child.label,
                "step": child.step,  # type: ignore[typeddict-item]
                "type": about.type,
                "shape": shape,
                "getsizeof": about.getsizeof,
                "deep": deep[n] + data_bytes,
                "retained": sizes.retained + data_bytes,
                "partial": partial[n],
                "flags": row_flags([*about.flags, *flags[n]], partial[n], approx),
                "expandable": about.expandable,
            }
        )
        if sizes.device:
            children[-1]["device_bytes"] = sizes.device
    return {
        "path": path,
        "offset": offset,
        "total": total,
        "partial": cut_short,
        "children": children,
    }
