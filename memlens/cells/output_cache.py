"""What IPython's output cache keeps alive: ``Out``, ``_N``, ``_``, ``__`` and ``___``.

IPython stores each cell's result in ``Out[N]`` (the same dict as ``_oh``) and as the
variable ``_N``, and keeps the last three results as ``_``, ``__`` and ``___``. Each of
them keeps the result alive after the user deleted their own names: that is the memory
:class:`OutputCache` accounts for, cell by cell. It keeps only ids and sizes, never a
reference to a result, and it only reads the shell's namespace.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from ..sizing import measure
from ..variables.names import output_history
from ..wire.messages import OutPin

log = logging.getLogger("memlens")
_GONE = object()
_LAST = ("_", "__", "___")


COMPLETE_TRIES = 5
"""Background completions of one result at most (each stops when a cell starts, or at
:data:`COMPLETE_BUDGET_S`): a result too big to walk stays a lower bound, not retried
after every cell forever."""

COMPLETE_BUDGET_S = 120.0
"""Time the background completion of a result's size may take (it also stops when a cell
starts: the size then stays a lower bound, marked so)."""


def _result_size(
    value: object, budget_s: float, should_stop: Callable[[], bool] | None = None
) -> tuple[int, bool]:
    """The deep size of a cell's result and whether it is complete (False: the walk was cut
    short, the size is a lower bound). No ``__sizeof__`` written in Python runs (one could
    be slow, print, or raise ``SystemExit`` into the kernel); whatever escapes anyway is
    contained (0, incomplete, then)."""
    try:
        sizes = measure(
            [[value]], budget_s=budget_s, user_sizeof=False, should_stop=should_stop
        ).roots[0]
        return sizes.deep, not sizes.partial
    except BaseException:
        log.debug("memlens: sizing a result failed", exc_info=True)
        return 0, False


class OutputCache:
    """Sizes of the results the output cache pins, and how a cell changed them."""

    def __init__(self, shell: Any, *, budget_s: float) -> None:
        self.shell = shell
        self.budget_s = budget_s
        """Time allowed for sizing one result; past it the size is a lower bound."""
        self._pinned: dict[int, tuple[int, int]] = {}
        """id of a pinned result -> (its key in Out, its deep size in bytes)."""
        self._length = -1
        """len(Out) when last looked at."""
        self._last: tuple[int, ...] = ()
        """ids of ``_``, ``__`` and ``___`` when last looked at."""
        self._lock = threading.Lock()
        """Guards ``_pinned``: the worker thread completes sizes while cells run."""
        self._incomplete: set[int] = set()
        self._tries: dict[int, int] = {}
        """id of an incomplete pinned result -> background completions tried."""
        """ids of pinned results whose size is a lower bound (not completed yet)."""
        self.last_complete: bool | None = None
        """Whether the last :meth:`after_cell`'s delta is complete (None: no Out)."""
        self.pending: tuple[int, int] | None = None
        """(id, key in Out) of the last cell's result if its size is a lower bound: for
        :meth:`complete`, on the worker thread."""

    def _out(self) -> dict[Any, Any] | None:
        return output_history(self.shell)

    def _namespace(self) -> dict[str, Any]:
        namespace = getattr(self.shell, "user_ns", None)
        return namespace if isinstance(namespace, dict) else {}

    def before_cell(self) -> int:
        """Note the cache's state at a cell's start; returns ``len(Out)`` (-1 without Out).

        Whatever changed since the last cell (a silent execute, a comm request) is
        settled here without being counted for any cell.
        """
        out = self._out()
        if out is None:
            return -1
        if len(out) != self._length:
            self._release(out, self._namespace(), list(self._pinned))
        return self._length

    def after_cell(self, execution_count: int | None, length_before: int) -> int | None:
        """Bytes the cell newly pinned minus bytes it unpinned; None without an Out.

        New: the deep size of this cell's result, if it landed in ``Out[execution_count]``
        and was not pinned already. Unpinned: the recorded sizes of results that no longer
        are in ``Out`` at their key, nor ``_N``, ``_``, ``__`` or ``___``. Checking every
        pinned result costs a few lookups each, so it is done only when ``len(Out)``
        changed unexpectedly; otherwise only the results that just left ``___`` are checked.
        """
        out = self._out()
        self.pending = None
        if out is None:
            self.last_complete = None
            return None
        namespace = self._namespace()
        added = 0
        grew = False
        complete = True
        if execution_count is not None and len(out) == length_before + 1:
            value = out.get(execution_count, _GONE)
            if value is not _GONE:
                grew = True
                identity = id(value)
                if identity not in self._pinned:
                    size, complete = _result_size(value, self.budget_s)
                    with self._lock:
                        self._pinned[identity] = (execution_count, size)
                        if not complete:
                            self._incomplete.add(identity)
                            self.pending = (identity, execution_count)
                    added = size
            del value
        last = self._last
        if len(out) != length_before + (1 if grew else 0):
            candidates = list(self._pinned)
        else:
            current = {id(namespace.get(name, _GONE)) for name in _LAST}
            candidates = [identity for identity in last if identity not in current]
        released, released_complete = self._release(out, namespace, candidates)
        self.last_complete = complete and released_complete
        return added - released

    def complete(
        self, identity: int, key: int, should_stop: Callable[[], bool] | None
    ) -> int | None:
        """On the worker thread: size the result ``Out[key]`` (if it still is the object
        ``identity``) without the cell's short budget; record and return how many bytes
        its pinned size grew by, or None if it is gone or the walk was cut short again.
        The result is read from ``Out`` now and let go of at the end (memlens keeps no
        reference to it between cells)."""
        out = self._out()
        if out is None:
            return None
        value = out.get(key, _GONE)
        if value is _GONE or id(value) != identity:
            return None
        with self._lock:
            self._tries[identity] = self._tries.get(identity, 0) + 1
        size, complete = _result_size(value, COMPLETE_BUDGET_S, should_stop)
        del value
        if not complete:
            return None
        with self._lock:
            entry = self._pinned.get(identity)
            if entry is None or entry[0] != key:
                return None
            self._pinned[identity] = (key, size)
            self._incomplete.discard(identity)
            self._tries.pop(identity, None)
        return size - entry[1]

    def _release(
        self, out: dict[Any, Any], namespace: dict[str, Any], ids: list[int]
    ) -> tuple[int, bool]:
        """Forget the results among ``ids`` nothing in the cache holds; return their bytes
        and whether all those sizes were complete (a lower bound released is one too)."""
        last = {id(namespace.get(name, _GONE)) for name in _LAST}
        removed = 0
        complete = True
        with self._lock:
            for identity in ids:
                entry = self._pinned.get(identity)
                if entry is None or identity in last:
                    continue
                key, size = entry
                if id(out.get(key, _GONE)) == identity:
                    continue
                if id(namespace.get(f"_{key}", _GONE)) == identity:
                    continue
                del self._pinned[identity]
                if identity in self._incomplete:
                    self._incomplete.discard(identity)
                    self._tries.pop(identity, None)
                    complete = False
                removed += size
        self._length = len(out)
        self._last = tuple(last)
        return removed, complete

    def pinned(self) -> int:
        """Bytes of all results memlens saw pinned and still pinned (as last checked)."""
        with self._lock:
            return sum(size for _, size in self._pinned.values())

    def incomplete(self) -> list[tuple[int, int]]:
        """(id, key in Out) of each pinned result whose size is a lower bound, newest
        first: for :meth:`complete`, on the worker thread."""
        with self._lock:
            found = [
                (i, self._pinned[i][0])
                for i in self._incomplete
                if i in self._pinned and self._tries.get(i, 0) < COMPLETE_TRIES
            ]
        return sorted(found, key=lambda pin: pin[1], reverse=True)

    def pins(self) -> list[OutPin]:
        """Each pinned result (as last checked) by its key in ``Out``, oldest first: its
        deep size and whether that is complete."""
        with self._lock:
            pins: list[OutPin] = [
                {"execution_count": key, "deep": size, "complete": identity not in self._incomplete}
                for identity, (key, size) in self._pinned.items()
            ]
        return sorted(pins, key=lambda pin: pin["execution_count"])

    def pinned_complete(self) -> bool:
        """Whether :meth:`pinned` is complete (no pinned size is a lower bound)."""
        with self._lock:
            return not self._incomplete
