"""Sizes that stay complete across cells: what the last complete walks found, per name.

After a walk, each variable whose own walk finished (and the output cache) is remembered
with its value's identity (its ``id``, and a weak reference where the type allows one),
its :mod:`.fingerprint` and its row. On the next ``variables`` request a variable whose
value is the same object with the same fingerprint keeps that row (``kept_from``: the
cell after which it was walked) instead of a budget-cut lower bound.

The rule for retained sizes (docs/sizing-design.md has the reasoning): a retained size
depends on what every other root holds, so a kept one is exact only while the *world* is
the one it was measured in: the world of the last walk that finished every root (all
variables, the output cache, the hidden values) is recorded as their names and
fingerprints, and a request is *stable* when every one of those roots is still there
with the same fingerprint, and the only new variables are small atoms
(:func:`.fingerprint.is_small_atom`: a number or a string of at most 4 KiB, which refers
to nothing and so can change another root's retained size by its own bytes at most). A
stable request walks only the new variables. Otherwise everything is walked under the
budget as before, changed variables first, and a kept variable whose walk is cut short
keeps its exact deep size with its last retained size flagged ``retained_stale`` (what
the changed roots share with it is not known).

Nothing here holds a strong reference to a user object: ids, weak references,
fingerprints (integers) and rows (plain wire dicts).
"""

from __future__ import annotations

import threading
import time
import weakref
from typing import Any, Callable, Optional

from ..wire.protocol import VariableRow
from .fingerprint import fingerprint, is_small_atom

RETAINED_STALE = "retained_stale"
"""A kept row whose retained size was measured in another world (see the module doc)."""

OUTPUT_CACHE_KEY = "\0Out"
"""The output cache's entry (a key no variable can have)."""

HIDDEN_KEY = "\0hidden"

TRANSIENT_FLAGS = frozenset(("budget", "capped", "interrupted", "mutated", "retained_approx"))
"""Flags that say something about one walk, never kept with a row."""

Fingerprint = Optional[tuple[int, ...]]

FINGERPRINTS_S = 0.2
"""Most time one request spends on fingerprints (each is bounded, their number is not):
the roots left when it is up get none, so they are walked, not kept, and no world is
recorded (a namespace of thousands of big variables)."""


class Entry:
    """One root's sizes from a walk that finished it."""

    __slots__ = ("cell", "fingerprint", "oid", "ref", "retained_exact", "row")

    def __init__(
        self, value: object, print_: tuple[int, ...], row: VariableRow, exact: bool, cell: int
    ) -> None:
        self.oid = id(value)
        self.ref = _weak(value)
        self.fingerprint = print_
        self.row: VariableRow = dict(row)  # type: ignore[assignment]
        self.row["flags"] = sorted(set(row["flags"]) - TRANSIENT_FLAGS)
        self.row.pop("kept_from", None)
        self.retained_exact = exact
        self.cell = cell

    def holds(self, value: object, print_: Fingerprint) -> bool:
        """Whether ``value`` is the object measured, unchanged as far as its fingerprint sees
        (a weak reference rules out a new object at a reused id where there is one)."""
        if print_ is None or id(value) != self.oid or print_ != self.fingerprint:
            return False
        return self.ref is None or self.ref() is value


def _weak(value: object) -> Callable[[], object] | None:
    try:
        return weakref.ref(value)
    except TypeError:  # list, dict, int...: the fingerprint alone rules out reuse
        return None


class Plan:
    """What one request can keep: the fingerprints read now, the names whose entry holds,
    and whether the world is stable (see the module doc)."""

    def __init__(
        self,
        store: Store,
        variables: list[tuple[str, object]],
        cache: list[object] | None,
        hidden: list[object],
        fresh: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        self.prints = _prints(variables, cache, hidden)
        values = dict(variables)
        if cache is not None:
            values[OUTPUT_CACHE_KEY] = cache[0]  # the Out dict: the list is new each time
        with store.lock:
            entries = dict(store.entries)
            world = store.world
        self.entries = {
            name: entry
            for name, entry in entries.items()
            if name in values and name not in fresh and entry.holds(values[name], self.prints[name])
        }
        """Entries that hold, but none for a name in ``fresh`` (asked to be completed: walked
        again whatever its fingerprint says)."""
        self.kept = set(self.entries)
        self.stable = world is not None and self._stable(world, variables)

    def reprint(
        self, variables: list[tuple[str, object]], cache: list[object] | None, hidden: list[object]
    ) -> None:
        """Read the fingerprints again, after describing the values: describing one can
        change what it holds (pandas' own ``__sizeof__`` adds a weak reference to a frame's
        blocks for each column it reads), and the next request compares with what is left
        after this one. A kept entry takes the new fingerprint: the change was memlens'."""
        self.prints = _prints(variables, cache, hidden)
        for name, entry in self.entries.items():
            print_ = self.prints.get(name)
            if print_ is not None:
                entry.fingerprint = print_

    def _stable(
        self, world: dict[str, tuple[int, ...]], variables: list[tuple[str, object]]
    ) -> bool:
        for name, print_ in world.items():
            if self.prints.get(name) != print_:
                return False
            entry = self.entries.get(name)
            if name != HIDDEN_KEY and (entry is None or not entry.retained_exact):
                return False
        if (OUTPUT_CACHE_KEY in self.prints) != (OUTPUT_CACHE_KEY in world):
            return False
        return all(name in world or is_small_atom(value) for name, value in variables)

    def kept_row(self, name: str, fresh: VariableRow | None, present: set[str]) -> VariableRow:
        """The row of a kept name: the entry's sizes, ``fresh``'s description (type, shape,
        getsizeof, expandable, flags of describing it) when given; ``retained_stale`` unless
        the world is stable and the entry exact; holders that are gone left out."""
        entry = self.entries[name]
        row: VariableRow = dict(entry.row)  # type: ignore[assignment]
        flags = set(entry.row["flags"])
        if fresh is not None:
            for key in ("name", "type", "shape", "getsizeof", "expandable"):
                row[key] = fresh[key]
            flags |= set(fresh["flags"]) - TRANSIENT_FLAGS - {"budget", "fenced"}
        if not (self.stable and entry.retained_exact):
            flags.add(RETAINED_STALE)
        row["flags"] = sorted(flags)
        row["partial"] = False
        holders = [h for h in entry.row.get("shared_with", []) if h["name"] in present]
        if holders and row["retained"] < row["deep"]:
            row["shared_with"] = holders
        else:
            row.pop("shared_with", None)
        row["kept_from"] = entry.cell
        return row


def _prints(
    variables: list[tuple[str, object]], cache: list[object] | None, hidden: list[object]
) -> dict[str, Fingerprint]:
    deadline = time.perf_counter() + FINGERPRINTS_S

    def read(values: list[object]) -> Fingerprint:
        return fingerprint(values) if time.perf_counter() < deadline else None

    prints: dict[str, Fingerprint] = {HIDDEN_KEY: read(hidden)}
    if cache is not None:
        prints[OUTPUT_CACHE_KEY] = read(cache)
    prints.update((name, read([value])) for name, value in variables)
    return prints


class Store:
    """The entries of one kernel, and the world of the last walk that finished every root.
    Read by the comm thread's requests and written by the worker: under a lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: dict[str, Entry] = {}
        self.world: dict[str, tuple[int, ...]] | None = None
        """Root key -> fingerprint, as of the last complete walk (None: none yet)."""

    def remember(
        self,
        plan: Plan,
        finished: list[tuple[str, object, VariableRow]],
        present: set[str],
        *,
        complete: bool,
        cell: int,
        walked_all: bool,
    ) -> None:
        """Keep the rows of roots whose own walk ``finished`` (not cut, not mutated);
        ``complete``: the whole walk finished (retained sizes exact); ``walked_all``: it
        walked every root (not a stable request's few), so its world is recorded."""
        with self.lock:
            for name in list(self.entries):
                if name not in present:
                    del self.entries[name]
            for name, value, row in finished:
                print_ = plan.prints.get(name)
                if print_ is None:
                    continue
                old = self.entries.get(name)
                if old is not None and old.retained_exact and not complete:
                    if old.holds(value, print_):
                        continue  # never trade an exact retained size for an approximate one
                self.entries[name] = Entry(value, print_, row, complete, cell)
            if complete and walked_all:
                world = {name: p for name, p in plan.prints.items() if p is not None}
                self.world = world if len(world) == len(plan.prints) else None
            elif complete and self.world is not None:
                for name, _, _ in finished:  # a stable request's new small atoms join it
                    print_ = plan.prints.get(name)
                    if print_ is not None:
                        self.world[name] = print_
            elif walked_all:
                self.world = None  # roots changed and were not all finished

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.world = None


STORE = Store()
"""The one store of this kernel (one user namespace)."""


def last_cell(shell: Any) -> int:
    """The execution count of the last cell run (0 before any)."""
    count = getattr(shell, "execution_count", None)
    return max(0, count - 1) if type(count) is int else 0
