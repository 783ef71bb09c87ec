"""What a row of the Variables section says besides its sizes: the value's description
and the row's flags. Shared by :mod:`.report` (a row per variable) and :mod:`.expand` (a
row per part of one).

Flags on rows, besides :mod:`memlens.sizing`'s: ``getattr_hostile`` (see
:data:`.describe.GETATTR_HOSTILE`), ``mutated`` (the name was rebound or deleted
while it was being sized; :mod:`.report` adds it), ``retained_approx`` (another root's
walk was cut short, so some of what this row shares with it may be counted as its own:
its retained size may be too high).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Callable

from .. import sizing
from . import describe, parts

RETAINED_APPROX = "retained_approx"
"""Another root's walk was cut short: this row's retained size may be too high."""


class Described:
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

    def known_size(self) -> tuple[int | None, str | None]:
        """``(getsizeof, flag)`` as found here, for the walk's ``known_sizes``."""
        return self.getsizeof, self.sizeof_flag


def row_flags(flags: Iterable[str], partial: bool, approx: bool) -> list[str]:
    """A row's flags: what describing and sizing it found, and ``retained_approx`` when
    another root's walk (not this row's) was cut short."""
    found = set(flags)
    if approx and not partial:
        found.add(RETAINED_APPROX)
    return sorted(found)


def _guard(function: Callable[[object], Any], obj: object) -> Any:
    try:
        return function(obj)
    except Exception:
        return None
