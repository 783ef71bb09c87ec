"""Deep and retained sizes of objects (see :mod:`.measuring` for what is counted).

Modules, one job each: :mod:`.measuring` (the public functions), :mod:`.walk` (the
batched walk: set-up and running), :mod:`.discovery` (counting a batch of referents),
:mod:`.careful` (objects sized one by one: native buffers, opaque objects), :mod:`.batches`
(how work is cut), :mod:`.referents` (what the gc does not report), :mod:`.sizes` and
:mod:`.sizeof` (bytes of objects, hostile ones included), :mod:`.kinds` (type
classification), :mod:`.shared` (who else holds an object), :mod:`.owners` (which root
reached an object) and :mod:`.claims` (claiming a batch on its memory map),
:mod:`.budget` (time and memory limits), :mod:`.report` (the value objects and flags).
"""

from __future__ import annotations

from .batches import CHUNK, Segments
from .budget import default_cap_bytes
from .kinds import is_not_data, values_array_size
from .measuring import deep_size, measure, retained_sizes
from .report import (
    BUDGET,
    CAPPED,
    DEEP_NESTING,
    DEEP_NESTING_LEVELS,
    FENCED,
    FILE_BACKED,
    INTERRUPTED,
    LAZY,
    MUTATED,
    SIZEOF_ABSURD,
    SIZEOF_NEGATIVE,
    SIZEOF_RAISED,
    Report,
    RootSizes,
)
from .sizeof import basic_size, checked_getsizeof

__all__ = [
    "BUDGET",
    "CAPPED",
    "CHUNK",
    "DEEP_NESTING",
    "DEEP_NESTING_LEVELS",
    "FENCED",
    "FILE_BACKED",
    "INTERRUPTED",
    "LAZY",
    "MUTATED",
    "SIZEOF_ABSURD",
    "SIZEOF_NEGATIVE",
    "SIZEOF_RAISED",
    "Report",
    "RootSizes",
    "Segments",
    "basic_size",
    "checked_getsizeof",
    "deep_size",
    "default_cap_bytes",
    "is_not_data",
    "measure",
    "retained_sizes",
    "values_array_size",
]
