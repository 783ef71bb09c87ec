"""The Variables section's data: sizes of the user's variables, and pages of their parts.

Builds the bodies of the ``variables`` and ``expand`` replies from an IPython shell, with
:mod:`.names` (which names are variables), :mod:`.parts` (types, shapes, parts, paths)
and :mod:`memlens.sizing` (deep and retained sizes). Knows nothing of comms;
:mod:`memlens.wire.comm` runs these functions on a background thread.

Sizes
-----
``variables``: one root per variable, one for the output cache (``Out``, ``_``, ``__``,
``___``, ``_N``) and one for the hidden values that may share data with variables
(private ``_names``, closures), so that a variable's retained size is what deleting it
would free while the rest of the namespace lives on. The time budget is shared out:
variables named in ``complete`` first (with nearly all of it), then the others from the
smallest ``getsizeof`` up, each with an equal share of what is left, then the output
cache, then the hidden values with whatever remains.

``expand``: one root per child of the page, then the rest of the world, walked last with
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

Flags on rows, besides :mod:`memlens.sizing`'s: ``getattr_hostile`` (see
:data:`.describe.GETATTR_HOSTILE`), ``mutated`` (the name was rebound or deleted
while it was being sized), ``retained_approx`` (another root's walk was cut short, so
some of what this row shares with it may be counted as its own: its retained size may be
too high).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable
from typing import Any, Callable

from .. import libraries, sizing
from ..wire.messages import SharedWith
from ..wire.protocol import ChildRow, ExpandBody, PathStep, VariableRow, VariablesBody
from . import describe, kept, parts
from . import names as namespace

RETAINED_APPROX = "retained_approx"
"""Another root's walk was cut short: this row's retained size may be too high."""

MUTATED = sizing.MUTATED

COMPLETE_SHARE = 1_000_000.0
"""Weight of a variable named in ``complete`` against 1 for the others."""

OUTPUT_CACHE_NAME = "Out"
OUTPUT_CACHE_TYPE = "output cache"

_GONE = object()


class _Described:
    """What a row says besides its sizes."""

    __slots__ = ("expandable", "flags", "getsizeof", "shape", "sizeof_flag", "type")

    def __init__(self, obj: object) -> None:
        self.type = describe.type_name(obj)
        self.shape = _guard(describe.shape, obj)
        size, flag = sizing.checked_getsizeof(obj)
        self.getsizeof = size
        self.sizeof_flag = flag
        """Passed to the walk, so that a slow ``__sizeof__`` runs once per request."""
        self.flags: list[str] = [] if flag is None else [flag]
        self.flags += describe.attribute_flags(obj)
        self.expandable = parts.expandable(obj)


def _known(about: _Described) -> tuple[int | None, str | None]:
    return about.getsizeof, about.sizeof_flag


def _guard(function: Callable[[object], Any], obj: object) -> Any:
    try:
        return function(obj)
    except Exception:
        return None


def _flags(flags: Iterable[str], partial: bool, approx: bool) -> list[str]:
    """A row's flags: what describing and sizing it found, and ``retained_approx`` when
    another root's walk (not this row's) was cut short."""
    found = set(flags)
    if approx and not partial:
        found.add(RETAINED_APPROX)
    return sorted(found)


MOST_HOLDERS = 5
"""Most other holders named in a row's ``shared_with``."""


def _holders(shared: dict[tuple[int, int], int], names: list[str]) -> dict[int, list[SharedWith]]:
    """By root index, the other named roots (variables, ``Out``) it shares bytes with,
    most first; the hidden names' root (after ``names``) is not named."""
    found: dict[int, list[SharedWith]] = {}
    for (first, second), size in shared.items():
        if first < len(names) and second < len(names) and size > 0:
            found.setdefault(first, []).append({"name": names[second], "bytes": size})
            found.setdefault(second, []).append({"name": names[first], "bytes": size})
    for holders in found.values():
        holders.sort(key=lambda holder: (-holder["bytes"], holder["name"]))
        del holders[MOST_HOLDERS:]
    return found


def variables_body(
    shell: Any,
    *,
    budget_ms: float,
    complete: list[str] | None = None,
    should_stop: Callable[[], bool] | None = None,
    pause_every_s: float | None = None,
    cap_bytes: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> VariablesBody:
    """The body of a ``variables`` reply for ``shell`` (an IPython shell, or None).

    Sizes kept from earlier walks (:mod:`.kept`) stand in for a walk: a stable request
    walks only its new variables; any other walks all, the changed ones first."""
    started = time.perf_counter()
    user_ns = _user_ns(shell)
    variables, hidden, cache = _world(shell, user_ns)
    wanted = set(complete or ())
    fresh = {kept.OUTPUT_CACHE_KEY if name == OUTPUT_CACHE_NAME else name for name in wanted}
    plan = kept.Plan(kept.STORE, variables, cache, hidden, fresh)  # before describing: reprint
    described = {
        name: _Described(value)
        for name, value in variables
        if not (plan.stable and name in plan.kept)
    }
    if not plan.stable:
        plan.reprint(variables, cache, hidden)

    def order(item: tuple[str, object]) -> tuple[int, int, int]:
        name = item[0]
        first = 0 if name in wanted else 1
        return (first, 1 if name in plan.kept else 0, described[name].getsizeof or 0)

    walked = [item for item in variables if not (plan.stable and item[0] in plan.kept)]
    ordered = sorted(walked, key=order)
    roots: list[list[object]] = [[value] for _, value in ordered]
    shares = [COMPLETE_SHARE if name in wanted else 1.0 for name, _ in ordered]
    if cache is not None and not plan.stable:
        roots.append(cache)
        shares.append(COMPLETE_SHARE if OUTPUT_CACHE_NAME in wanted else 1.0)
    if not plan.stable:
        roots.append(hidden)
        shares.append(0.0)
    known = {id(value): _known(described[name]) for name, value in walked}
    report = sizing.measure(
        roots,
        budget_s=budget_ms / 1000.0,
        shares=shares,
        known_sizes=known,
        cap_bytes=cap_bytes,
        skip=_skipped(shell, user_ns),
        should_stop=should_stop,
        pause_every_s=pause_every_s,
        progress=progress,
    )
    approx = report.partial
    names = [name for name, _ in ordered]
    if cache is not None and not plan.stable:
        names.append(OUTPUT_CACHE_NAME)
    holders = _holders(report.shared, names)
    present = {name for name, _ in variables} | ({OUTPUT_CACHE_NAME} if cache else set())
    rows: list[VariableRow] = []
    finished: list[tuple[str, object, VariableRow]] = []
    for index, ((name, value), sizes) in enumerate(zip(ordered, report.roots)):
        about = described[name]
        flags = _flags([*about.flags, *sizes.flags], sizes.partial, approx)
        if user_ns.get(name, _GONE) is not value:
            flags = sorted({*flags, MUTATED})
        row: VariableRow = {
            "name": name,
            "type": about.type,
            "shape": about.shape,
            "getsizeof": about.getsizeof,
            "deep": sizes.deep,
            "retained": sizes.retained,
            "partial": sizes.partial,
            "flags": flags,
            "expandable": about.expandable,
        }
        if holders.get(index) and sizes.retained < sizes.deep:
            row["shared_with"] = holders[index]
        if sizes.device:  # GPU bytes it reaches (issue #10): never in deep or retained
            row["device_bytes"] = sizes.device
        if not sizes.partial and MUTATED not in flags:
            finished.append((name, value, row))
        elif name in plan.kept:
            row = plan.kept_row(name, row, present)
        rows.append(row)
    if plan.stable:
        rows += [plan.kept_row(name, None, present) for name, _ in variables if name in plan.kept]
    output_cache: VariableRow | None = None
    if cache is not None and plan.stable:
        output_cache = plan.kept_row(kept.OUTPUT_CACHE_KEY, None, present)
        output_cache["name"] = OUTPUT_CACHE_NAME
    elif cache is not None:
        output_cache = _output_cache_row(cache, report.roots[len(ordered)], approx)
        if holders.get(len(ordered)) and output_cache["retained"] < output_cache["deep"]:
            output_cache["shared_with"] = holders[len(ordered)]
        if not output_cache["partial"]:
            finished.append((kept.OUTPUT_CACHE_KEY, cache[0], output_cache))
        elif kept.OUTPUT_CACHE_KEY in plan.kept:
            output_cache = plan.kept_row(kept.OUTPUT_CACHE_KEY, None, present)
            output_cache["name"] = OUTPUT_CACHE_NAME
    kept.STORE.remember(
        plan,
        finished,
        {name for name, _ in variables} | ({kept.OUTPUT_CACHE_KEY} if cache else set()),
        complete=not report.partial,
        cell=kept.last_cell(shell),
        walked_all=not plan.stable,
    )
    rows.sort(key=lambda row: (-row["retained"], row["name"]))
    shown = [*rows, *([output_cache] if output_cache else [])]
    return {
        "rows": rows,
        "output_cache": output_cache,
        "partial": any(row["partial"] for row in shown),
        "stats": {
            "elapsed_ms": round((time.perf_counter() - started) * 1000.0, 3),
            "objects": report.objects,
            "walker_peak_bytes": report.walker_peak_bytes,
            "capped": report.capped,
        },
    }


def _output_cache_row(cache: list[object], sizes: sizing.RootSizes, approx: bool) -> VariableRow:
    out = cache[0]
    size, flag = sizing.checked_getsizeof(out)
    row: VariableRow = {
        "name": OUTPUT_CACHE_NAME,
        "type": OUTPUT_CACHE_TYPE,
        "shape": describe.shape(out),
        "getsizeof": size,
        "deep": sizes.deep,
        "retained": sizes.retained,
        "partial": sizes.partial,
        "flags": _flags([*([] if flag is None else [flag]), *sizes.flags], sizes.partial, approx),
        "expandable": parts.expandable(out),
    }
    if sizes.device:
        row["device_bytes"] = sizes.device
    return row


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
    user_ns = _user_ns(shell)
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
    variables, hidden, cache = _world(shell, user_ns)
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
    abouts = [_Described(child.obj) for child in page]
    walk = functools.partial(
        sizing.measure,
        known_sizes={id(child.obj): _known(about) for child, about in zip(page, abouts)},
        cap_bytes=cap_bytes,
        skip=_skipped(shell, user_ns),
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
                "flags": _flags([*about.flags, *flags[n]], partial[n], approx),
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


def _user_ns(shell: Any) -> dict[str, Any]:
    user_ns = getattr(shell, "user_ns", None)
    return user_ns if isinstance(user_ns, dict) else {}


def _world(
    shell: Any, user_ns: dict[str, Any]
) -> tuple[list[tuple[str, object]], list[object], list[object] | None]:
    """``(variables, hidden, cache)``: the user's variables, the hidden values that may
    share data with them (see :func:`.names.split`) and what the output cache
    keeps alive (None outside IPython)."""
    hidden_ns = getattr(shell, "user_ns_hidden", None)
    if not isinstance(hidden_ns, dict):
        hidden_ns = {}
    variables, hidden = namespace.split(user_ns, hidden_ns)
    cache = namespace.output_cache(shell, user_ns) if shell is not None else None
    return variables, hidden, cache


def _skipped(shell: Any, user_ns: dict[str, Any]) -> list[object]:
    """Never data: the namespace dicts and the shell."""
    skipped: list[object] = [user_ns]
    for thing in (getattr(shell, "user_ns_hidden", None), shell):
        if thing is not None:
            skipped.append(thing)
    return skipped
