"""The bounded history of cell records, numbered by ``seq``, read from any thread.

A comm may be served on a subshell thread and the worker thread completes records in the
background, so every access goes through one lock (held for list operations only).
"""

from __future__ import annotations

import collections
import threading
from typing import Any, Callable

from ..wire.protocol import CellRecord

HISTORY = 1000
"""How many records the recorder keeps; older ones are dropped (see ``dropped_before``)."""


class History:
    """The last ``maxlen`` records, oldest first; ``seq`` counts every record ever added."""

    def __init__(self, maxlen: int = HISTORY) -> None:
        self._lock = threading.Lock()
        self._records: collections.deque[CellRecord] = collections.deque(maxlen=maxlen)
        self._seq = 0
        self._dropped_before = 0

    def append(self, record: CellRecord) -> None:
        """Number ``record`` (its ``seq``) and keep it, dropping the oldest if full."""
        with self._lock:
            self._seq += 1
            record["seq"] = self._seq
            if len(self._records) == self._records.maxlen:
                self._dropped_before = self._records[0]["seq"]
            self._records.append(record)

    def after(self, after: int) -> tuple[list[CellRecord], int, int]:
        """Records with ``seq > after``, oldest first; the last ``seq``; ``dropped_before``."""
        with self._lock:
            records = [record for record in self._records if record["seq"] > after]
            return records, self._seq, self._dropped_before

    def copies(self) -> list[dict[str, Any]]:
        """Copies of every kept record, oldest first, as plain dicts."""
        with self._lock:
            kept = list(self._records)
        copies: list[dict[str, Any]] = []
        for record in kept:
            copy: dict[str, Any] = dict(record)
            precise = record["precise"]
            if precise is not None:
                copy["precise"] = {**precise, "top": [dict(site) for site in precise["top"]]}
            copies.append(copy)
        return copies

    def update_newest(
        self, match: Callable[[CellRecord], bool], change: Callable[[CellRecord], None]
    ) -> None:
        """Apply ``change`` to the newest kept record that ``match`` accepts (none if no
        kept record does), under the lock."""
        with self._lock:
            for record in reversed(self._records):
                if match(record):
                    change(record)
                    break
