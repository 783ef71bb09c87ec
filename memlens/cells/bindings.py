"""Which names each cell bound or rebound: the record's ``bound``.

After each cell the user namespace is compared, name by name, with the object identities
it had after the previous cell (or when the recorder was installed): a name that is new,
or bound to an object with another ``id``, was bound by this cell. Only ``id`` integers
and the name strings are kept, never a reference to a value, and nothing is added to the
namespace. Names starting with ``_``, IPython's own (``In``, ``Out``, ``exit``, ``quit``,
``get_ipython``) and those IPython hid (``user_ns_hidden``, while still bound to what it
put there) are left out. Modules, classes and functions are kept: the frontend joins the
names with the Variables rows, and a variable rebound to a function is no longer the
earlier cell's.

Limits: a rebinding to an object that reuses the old one's ``id`` (the old one was freed
first, e.g. ``del b`` then ``b = [2]``) is missed, and a name bound between cells (by a
silent execute, a widget callback) counts for the next cell.

Cost: per cell, a list of the names, the ``id`` of every value into an ``array`` (8
bytes a name, kept between cells), and a comparison in C, chunk by chunk, with the
previous cell's; Python compares one by one only inside the chunks that differ (a name
rebound, a name deleted). The name rules run only for the names that changed. A
namespace of more than :data:`MAX_NAMES` names is not compared (``bound`` is None).
BENCHMARKS.md has the cost at 10^3, 10^4 and 10^5 names.
"""

from __future__ import annotations

import threading
from array import array
from typing import Any

from ..variables.names import IPYTHON_NAMES

MAX_NAMES = 200_000
"""Namespaces with more names than this are not compared (``bound`` is None)."""

CHUNK = 256
"""Names and identities compared at once in C; only a chunk that differs is stepped
through in Python."""

_GONE = object()


class _Snapshot:
    """The namespace's ``str`` names in order and the ``id`` of each value: no reference
    to any value (the values' list lives only while the ids are taken). The names and the
    values are two C-level copies; if another thread changed the namespace in between
    (their lengths differ), one ``list(dict.items(...))`` is read instead. A ``str``
    subclass's hash could be user code, so such names are skipped."""

    __slots__ = ("ids", "names")

    def __init__(self, namespace: dict[Any, Any]) -> None:
        names = list(namespace)
        values = list(dict.values(namespace))
        if len(names) != len(values) or set(map(type, names)) != {str}:
            items = [(n, v) for n, v in list(dict.items(namespace)) if type(n) is str]
            names = [name for name, _ in items]
            values = [value for _, value in items]
            del items
        self.names: list[str] = names
        self.ids = array("Q", map(id, values))
        del values

    def changed_since(self, previous: _Snapshot) -> list[str]:
        """Names new since ``previous`` or bound to another object, in order.

        A dict keeps insertion order and assigning to a name keeps its place, so the
        names that survived are in the same order in both; new names and names deleted
        and bound again come after them all. Both lists are walked together a chunk at
        a time (names and ids compared in C); where a chunk's names differ, Python steps
        to the first difference: the old name there was deleted (or moved to the end).
        """
        names, ids = self.names, self.ids
        old_names, old_ids = previous.names, previous.ids
        count, old_count = len(names), len(old_names)
        changed: list[str] = []
        i = j = 0
        while i < count and j < old_count:
            size = min(CHUNK, count - i, old_count - j)
            if names[i : i + size] == old_names[j : j + size]:
                if ids[i : i + size] != old_ids[j : j + size]:
                    changed += [names[i + k] for k in range(size) if ids[i + k] != old_ids[j + k]]
                i += size
                j += size
                continue
            k = 0
            while names[i + k] == old_names[j + k]:
                if ids[i + k] != old_ids[j + k]:
                    changed.append(names[i + k])
                k += 1
            i += k
            j += k + 1  # old_names[j + k] is gone from here
        return changed + names[i:]


class Bindings:
    """The names each cell of one shell bound, from namespace identities after each cell."""

    def __init__(self, shell: Any, *, max_names: int = MAX_NAMES) -> None:
        self.shell = shell
        self.max_names = max_names
        self._lock = threading.Lock()
        self._last: _Snapshot | None = None
        """Identities after the last comparison; None: none taken (or the namespace was
        too big), so the next cell reports None and starts afresh."""
        self.baseline()

    def _namespace(self) -> dict[Any, Any] | None:
        namespace = getattr(self.shell, "user_ns", None)
        if type(namespace) is not dict or len(namespace) > self.max_names:
            return None
        return namespace

    def baseline(self) -> None:
        """Take the namespace as it is now: what is bound now is no cell's."""
        namespace = self._namespace()
        snapshot = None if namespace is None else _Snapshot(namespace)
        with self._lock:
            self._last = snapshot

    def after_cell(self) -> list[str] | None:
        """The names bound or rebound since the last call, in the namespace's order; None
        when not compared (no earlier identities, or the namespace is too big)."""
        namespace = self._namespace()
        snapshot = None if namespace is None else _Snapshot(namespace)
        with self._lock:
            previous, self._last = self._last, snapshot
        if namespace is None or snapshot is None or previous is None:
            return None
        changed = snapshot.changed_since(previous)
        return [name for name in changed if self._is_user_name(namespace, name)]

    def _is_user_name(self, namespace: dict[Any, Any], name: str) -> bool:
        if name.startswith("_") or name in IPYTHON_NAMES:
            return False
        hidden = getattr(self.shell, "user_ns_hidden", None)
        if type(hidden) is dict:
            value = namespace.get(name, _GONE)
            if value is not _GONE and hidden.get(name, _GONE) is value:
                return False
        return True
