"""The user's variables: which names count, what each is, its parts, and the report.

The comm (:mod:`memlens.wire`) uses only the names exported here.
"""

from __future__ import annotations

from .expand import expand_body
from .parts import PathError
from .report import variables_body

__all__ = ["PathError", "expand_body", "variables_body"]
