"""The referents of parents that ``gc.get_referents`` does not tell whole: a dict's keys
(the gc skips all-string keys), a function's closure and defaults (the function itself is
program), a numpy array's base or object items."""

from __future__ import annotations

import gc
import itertools
from typing import Any, Callable

from . import kinds
from .batches import distinct
from .kinds import Kinds

_DICT_KEYS: Callable[[Any], Any] = dict.keys


def special_referents(parents: list[object], types: Kinds) -> tuple[list[object], list[object]]:
    """Referents of parents among which are dicts, numpy arrays or functions; for
    parents that are all dicts, their values and (apart) their keys."""
    of = types.of
    special = kinds.DICT | kinds.FUNCTION | kinds.ARRAY
    if all(of(kind) & special == kinds.DICT for kind in types.distinct(parents)):
        # dicts only: their keys in C, without a loop per dict
        referents = gc.get_referents(*parents)
        keys = list(itertools.chain.from_iterable(map(_DICT_KEYS, parents)))
        if len(keys) > len(parents):  # records: the same keys, over and over
            keys = distinct(keys, len(parents))
        return referents, keys
    plain: list[object] = []
    extra: list[object] = []
    numpy = types.libraries.numpy
    for parent in parents:
        bits = of(type(parent))
        if bits & kinds.FUNCTION:
            for part in (
                kinds.FUNCTION_CLOSURE(parent),
                kinds.FUNCTION_DEFAULTS(parent),
                kinds.FUNCTION_KWDEFAULTS(parent),
            ):
                if part is not None:
                    extra.append(part)
            continue
        plain.append(parent)
        if bits & kinds.DICT:
            extra.extend(_DICT_KEYS(parent))
        elif bits & kinds.ARRAY and numpy is not None:
            # A view leads to its owner; an object array to its items (small ones: big
            # ones are read by a cursor).
            try:
                base = numpy.base(parent)
                if base is not None:
                    extra.append(base)
                elif numpy.holds_objects(parent):
                    extra.extend(numpy.flat_items(parent))
            except Exception:
                pass
    referents = gc.get_referents(*plain)
    del plain
    referents += extra
    return referents, []
