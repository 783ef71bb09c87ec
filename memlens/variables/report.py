"""The body of the ``variables`` reply: the sizes of the user's variables.

Built from an IPython shell with :mod:`.world` (the variables, the output cache, the
hidden values), :mod:`.rows` (what each row says besides its sizes), :mod:`.kept` (sizes
kept from earlier walks) and :mod:`memlens.sizing` (deep and retained sizes). Knows
nothing of comms; :mod:`memlens.wire.comm` runs it on a background thread. The pages of
a variable's parts are :mod:`.expand`'s.

One root per variable, one for the output cache (``Out``, ``_``, ``__``,
``___``, ``_N``) and one for the hidden values that may share data with variables
(private ``_names``, closures), so that a variable's retained size is what deleting it
would free while the rest of the namespace lives on. The time budget is shared out:
variables named in ``complete`` first (with nearly all of it), then the others from the
smallest ``getsizeof`` up, each with an equal share of what is left, then the output
cache, then the hidden values with whatever remains.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from .. import sizing
from ..wire.messages import SharedWith
from ..wire.protocol import VariableRow, VariablesBody
from . import describe, kept, parts
from .rows import Described, row_flags
from .world import never_walked, user_namespace, world

MUTATED = sizing.MUTATED

COMPLETE_SHARE = 1_000_000.0
"""Weight of a variable named in ``complete`` against 1 for the others."""

OUTPUT_CACHE_NAME = "Out"
OUTPUT_CACHE_TYPE = "output cache"

_GONE = object()

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
    user_ns = user_namespace(shell)
    variables, hidden, cache = world(shell, user_ns)
    wanted = set(complete or ())
    fresh = {kept.OUTPUT_CACHE_KEY if name == OUTPUT_CACHE_NAME else name for name in wanted}
    plan = kept.Plan(kept.STORE, variables, cache, hidden, fresh)  # before describing: reprint
    described = {
        name: Described(value)
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
    known = {id(value): described[name].known_size() for name, value in walked}
    report = sizing.measure(
        roots,
        budget_s=budget_ms / 1000.0,
        shares=shares,
        known_sizes=known,
        cap_bytes=cap_bytes,
        skip=never_walked(shell, user_ns),
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
        flags = row_flags([*about.flags, *sizes.flags], sizes.partial, approx)
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
        "flags": row_flags(
            [*([] if flag is None else [flag]), *sizes.flags], sizes.partial, approx
        ),
        "expandable": parts.expandable(out),
    }
    if sizes.device:
        row["device_bytes"] = sizes.device
    return row
