"""``live`` events: the running cell's readings pushed to the frontend while it runs.

The frontend asks for them with ``configure`` (``live: true`` while something that shows
them is visible, ``false`` when nothing is). While a cell runs, the live sampler
(:mod:`memlens.cells.live`) hands each reading to :class:`LivePush`, which sends one
``live`` event on every open memlens comm at most every :data:`PUSH_EVERY_S` seconds. No
cell running, or nobody asking: nothing is sent and nothing wakes up.

Why a push rather than the frontend asking: a request on a comm waits for the running cell
on ipykernel 6 (no subshells), and on ipykernel 7.4 too unless it comes on a subshell the
comm was last used from. The event is sent from the sampler thread straight through the
kernel's session on the iopub socket, which is safe from any thread in ipykernel 6 and 7
(each thread gets its own pipe to the IO thread, ``IOPubThread._event_pipe``). It carries
no parent header on purpose: ``comm.send`` from this thread would take the running cell's
(the shell's context) and, on ipykernel 7.4, route the comm's next requests to the main
shell; JupyterLab routes an iopub ``comm_msg`` by its ``comm_id`` whatever its parent.

One setting per kernel: the last ``configure`` that says wins (two pages on one kernel
share it). Pure standard library; never raises into the sampler.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, cast

from . import protocol
from .live_bodies import live_body
from .messages import Event, LiveBody

log = logging.getLogger("memlens")

PUSH_EVERY_S = 0.7
"""Least seconds between two events of one cell. The sampler reads every 0.25 s, so a
reading goes out every third sample (about 0.75 s): at least once a second on screen."""


def make_live_event(body: LiveBody) -> Event:
    """A ``live`` event carrying ``body``."""
    return {"v": protocol.PROTOCOL_VERSION, "type": "event", "event": "live", "body": body}


def validate_event(data: object) -> Event:
    """Check an event (what the frontend receives); raise ProtocolError if it is not one."""
    return cast(Event, protocol.check(data, "Event"))


def memlens_comms(kernel: Any) -> list[Any]:
    """The kernel's open memlens comms (read from its comm manager; a copy)."""
    manager = getattr(kernel, "comm_manager", None)
    comms = getattr(manager, "comms", None)
    if not isinstance(comms, dict):
        return []
    return [
        c for c in list(comms.values()) if getattr(c, "target_name", "") == protocol.COMM_TARGET
    ]


class LivePush:
    """Sends a reading as a ``live`` event on every open memlens comm, throttled per cell."""

    def __init__(
        self,
        kernel: Any,
        *,
        every: float = PUSH_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._kernel = kernel
        self._every = every
        self._clock = clock
        self._cell: tuple[Any, Any] | None = None
        self._last = 0.0
        self.sent = 0
        """How many events went out (to all comms together)."""

    def __call__(self, reading: dict[str, Any]) -> None:
        """One reading from the sampler: send it if due. Never raises."""
        try:
            now = self._clock()
            cell = (reading.get("cell_id"), reading.get("started"))
            if cell == self._cell and now - self._last < self._every:
                return
            self._cell, self._last = cell, now
            self._send(make_live_event(live_body(reading)))
        except Exception:
            log.debug("memlens: a live event could not be sent", exc_info=True)

    def _send(self, event: Event) -> None:
        kernel = self._kernel
        session = getattr(kernel, "session", None)
        socket = getattr(kernel, "iopub_socket", None)
        if session is None or socket is None:
            return
        for comm in memlens_comms(kernel):
            content = {"data": event, "comm_id": comm.comm_id}
            session.send(socket, "comm_msg", content, parent=None, ident=comm.topic)
            self.sent += 1


def want(live: Any, shell: Any, wanted: bool) -> bool:
    """Turn ``live`` events on or off for the sampler ``live`` (a LiveMonitor) of the
    kernel of ``shell``; returns whether they are on."""
    kernel = getattr(shell, "kernel", None)
    on = bool(wanted) and kernel is not None
    if on and not isinstance(live.listener, LivePush):
        live.listener = LivePush(kernel)
    elif not on:
        live.listener = None
    return on
