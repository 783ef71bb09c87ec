"""Who else may hold an object: the reference count of an object held once, the objects
every Python program shares, and the module globals (held by the program)."""

from __future__ import annotations

import gc
import sys
import types

from ..libraries.lookup import MODULE_DICT


def unique_refcount() -> int:
    """What ``sys.getrefcount`` reports, when mapped over a list of referents, for an
    object whose only reference is its one parent's (0 where it cannot be told)."""
    holder = [object()]
    referents = gc.get_referents(holder)
    counts = list(map(sys.getrefcount, referents))
    if len(counts) != 1 or counts[0] < 2 or counts[0] > 8:
        return 0
    # Check with a second layout: a tuple slot, a dict value.
    parents = ((object(),), {"k": object()})
    again = list(map(sys.getrefcount, gc.get_referents(*parents)))
    del parents
    return counts[0] if all(count == counts[0] for count in again) else 0


UNIQUE_REFCOUNT = unique_refcount()
"""The reference count of an object held by one parent alone (0: not known here)."""


def shared_by_everyone() -> list[object]:
    """Objects that no user variable can free: singletons and CPython's small caches."""
    objects: list[object] = [None, True, False, Ellipsis, NotImplemented, (), "", b""]
    objects += list(range(-5, 257))
    objects += [chr(code) for code in range(256)]
    objects += [bytes((code,)) for code in range(256)]
    return objects


SHARED_BY_EVERYONE = shared_by_everyone()
SHARED_IDS = [id(thing) for thing in SHARED_BY_EVERYONE]
"""Their ids: no root retains them."""

_module_dicts: tuple[int, list[int]] = (-1, [])


def module_dict_ids() -> list[int]:
    """The ids of the dicts of the modules in ``sys.modules`` (module globals), cached
    while the number of modules stays the same."""
    global _module_dicts
    modules = list(sys.modules.values())
    if _module_dicts[0] == len(modules):
        return _module_dicts[1]
    module_dict = MODULE_DICT
    ids: list[int] = []
    for module in modules:
        if issubclass(type(module), types.ModuleType):
            try:
                ids.append(id(module_dict(module)))
            except Exception:
                continue
    _module_dicts = (len(modules), ids)
    return ids
