"""What each command answers: a request's args in, a reply body out.

Plain functions over the kernel side (probes, the cell recorder, the variables walker);
they know nothing of comms, threads or message envelopes. :mod:`memlens.wire.comm`
decodes a request, calls :func:`body_for` and encodes the reply.
"""

from __future__ import annotations

import functools
import os
import platform
import sys
from contextlib import AbstractContextManager
from typing import Any, Callable

from .._version import __version__
from ..bootstrap import INJECTED_FLAG, PACKAGE
from ..cells import forensics, recorder
from ..kernel import gpu_cells, kernel_memory, run_action
from ..probes.capabilities import capabilities
from ..probes.process import memory_now
from ..variables import expand_body, variables_body
from . import log, protocol, push, running
from .bodies import probe_list, snapshot_body
from .live_bodies import last_exit_body, live_body, with_limit
from .messages import (
    CancelBody,
    FreeMemoryBody,
    KernelMemoryBody,
    LastExitBody,
    LiveBody,
    ProgressBody,
)


class Options:
    """How a handler may run: the shell it reads, whether to stop early, how to share the GIL."""

    __slots__ = ("pause_every_s", "progress", "shell", "should_stop", "track")

    def __init__(
        self,
        shell: Any,
        *,
        should_stop: Callable[[], bool] | None = None,
        pause_every_s: float | None = None,
        progress: Callable[[int], None] | None = None,
        track: Callable[[str, str], AbstractContextManager[None]] | None = None,
    ) -> None:
        self.shell = shell
        """The user's IPython shell; None outside IPython."""
        self.should_stop = should_stop
        """Called now and then by a walk; True makes it stop with partial rows."""
        self.pause_every_s = pause_every_s
        """A walk sleeps briefly after each stretch of this many seconds (None: never)."""
        self.progress = progress
        """Told the objects a walk has visited so far, every few milliseconds."""
        self.track = track
        """Wraps the handler with the request's id and command (``progress``, ``cancel``)."""


def _version_of(module_name: str, distribution: str) -> str:
    """The version of an already imported module (or installed distribution); "" if unknown."""
    version = getattr(sys.modules.get(module_name), "__version__", None)
    if isinstance(version, str):
        return version
    try:
        from importlib.metadata import version as distribution_version

        return distribution_version(distribution)
    except Exception:
        return ""


@functools.lru_cache(maxsize=1)
def _platform() -> str:
    return platform.platform()


def source() -> protocol.Source:
    """Whether this memlens was imported as installed or injected by the frontend."""
    package = sys.modules.get(PACKAGE)
    return "injected" if getattr(package, INJECTED_FLAG, False) else "installed"


def hello(args: dict[str, Any], options: Options) -> protocol.KernelInfo:
    return {
        "protocol_version": protocol.PROTOCOL_VERSION,
        "memlens_version": __version__,
        "source": source(),
        "pid": os.getpid(),
        "python_version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": _platform(),
        "system": platform.system(),
        "ipykernel_version": _version_of("ipykernel", "ipykernel"),
        "ipython_version": _version_of("IPython", "ipython"),
        "probes": probe_list(capabilities()),
        "memory": with_limit(snapshot_body(memory_now())),
    }


SHOWN_ERRORS = 5
"""How many of memlens' latest errors a ``snapshot`` carries to the Kernel pane."""


def snapshot(args: dict[str, Any], options: Options) -> protocol.MemorySnapshot:
    body = with_limit(snapshot_body(memory_now()))
    body["errors"] = log.recent()[-SHOWN_ERRORS:]
    body["error_count"] = log.count()
    return body


def cells(args: dict[str, Any], options: Options) -> protocol.CellsBody:
    active = recorder.current()
    return recorder.empty_cells_body() if active is None else active.cells(int(args["after"]))


def configure(args: dict[str, Any], options: Options) -> protocol.ConfigureBody:
    active = recorder.current()
    if active is None:
        return {"precise": False}
    body: protocol.ConfigureBody = {"precise": active.set_precise(args["precise"])}
    # The memory settings are answered when asked about (older frontends never send them).
    if "peak_reset" in args:
        body["peak_reset"] = active.set_peak_reset(bool(args["peak_reset"]))
    if "guard_share" in args:
        share = args["guard_share"]
        active.live.guard_share = None if share is None else float(share)
        body["guard_share"] = active.live.guard_share
    if "live" in args:
        body["live"] = push.want(active.live, options.shell, bool(args["live"]))
    if "gpu_peak_reset" in args:
        body["gpu_peak_reset"] = gpu_cells.set_peak_reset(bool(args["gpu_peak_reset"]))
    return body


def live(args: dict[str, Any], options: Options) -> LiveBody:
    active = recorder.current()
    return live_body(None if active is None else active.live.reading())


def last_exit(args: dict[str, Any], options: Options) -> LastExitBody:
    return last_exit_body(forensics.last_exit())


def _cap_bytes(args: dict[str, Any]) -> int | None:
    """The request's cap on the walker's memory; None (absent or null): the default."""
    cap = args.get("cap_bytes")
    return None if cap is None else int(cap)


def variables(args: dict[str, Any], options: Options) -> protocol.VariablesBody:
    return variables_body(
        options.shell,
        budget_ms=float(args["budget_ms"]),
        complete=list(args["complete"]),
        should_stop=options.should_stop,
        pause_every_s=options.pause_every_s,
        cap_bytes=_cap_bytes(args),
        progress=options.progress,
    )


def expand(args: dict[str, Any], options: Options) -> protocol.ExpandBody:
    return expand_body(
        options.shell,
        path=args["path"],
        offset=int(args["offset"]),
        limit=int(args["limit"]),
        budget_ms=float(args["budget_ms"]),
        should_stop=options.should_stop,
        pause_every_s=options.pause_every_s,
        cap_bytes=_cap_bytes(args),
        progress=options.progress,
    )


def kernel_memory_body(args: dict[str, Any], options: Options) -> KernelMemoryBody:
    found = kernel_memory(
        budget_s=float(args["budget_ms"]) / 1000,
        shell=options.shell,
        should_stop=options.should_stop,
        pause_every_s=options.pause_every_s,
    )
    allocators = found["allocators"]
    body: KernelMemoryBody = {
        "rss": found["rss"],
        "parts": found["parts"],
        "lower_bounds": found["lower_bounds"],
        "rest_is_upper_bound": found["rest_is_upper_bound"],
        "pymalloc_free": allocators["pymalloc_free"],
        "malloc_free": allocators["malloc_free"],
        "trim_can_return": allocators["trim_can_return"],
        "elapsed_s": found["elapsed_s"],
    }
    if found.get("gpu"):  # only while a library the user imported uses a GPU
        body["gpu"] = found["gpu"]
    return body


def free_memory(args: dict[str, Any], options: Options) -> FreeMemoryBody:
    return run_action(args["action"], options.shell)  # type: ignore[return-value]


def progress(args: dict[str, Any], options: Options) -> ProgressBody:
    return running.progress_body()


def cancel(args: dict[str, Any], options: Options) -> CancelBody:
    return running.cancel(args.get("request"))


Handler = Callable[[dict[str, Any], Options], protocol.ReplyBody]

HANDLERS: dict[protocol.Command, Handler] = {
    "hello": hello,
    "snapshot": snapshot,
    "cells": cells,
    "configure": configure,
    "variables": variables,
    "expand": expand,
    "live": live,
    "last_exit": last_exit,
    "kernel_memory": kernel_memory_body,
    "free_memory": free_memory,
    "progress": progress,
    "cancel": cancel,
}

BACKGROUND_COMMANDS = frozenset(("variables", "expand", "kernel_memory", "free_memory"))
"""Commands that walk the object graph, answered from the background worker (and the
actions that free memory, run in order after any walk)."""


def body_for(request: protocol.Request, options: Options) -> protocol.ReplyBody:
    """The reply body of a decoded request; raises what its handler raises."""
    handler = HANDLERS[request["command"]]
    if options.track is None:
        return handler(request["args"], options)
    with options.track(request["id"], request["command"]):
        return handler(request["args"], options)
