"""The only module that touches comms: decode -> dispatch -> encode.

:func:`register` registers the comm target ``memlens`` with the kernel's comm manager.
Each message on a memlens comm is checked by :mod:`memlens.protocol`, handed to the
handler of its command, and answered with exactly one reply. Nothing a frontend sends
makes this module raise: bad input gets an error reply, a failing handler an
``internal`` one.

A comm stays open whatever its open data: when ``comm_open`` carries data of another
protocol version, the kernel sends an error reply with a null id and then answers each
request on its own merits (a request of another version gets a ``protocol_mismatch``
reply naming its id).

``variables`` and ``expand`` walk the object graph, which can take up to their time
budget (seconds, for "complete sizes"). They are answered from a background thread, so
that the comm handler returns at once and the kernel goes on with its next message: the
user's next cell never waits for a walk. The walk shares the GIL with the cell, so it
also gets out of the way: it sleeps briefly every few milliseconds (so that a thread
waiting for the GIL gets it at once rather than after the 5 ms switch interval), and it
stops as soon as a cell starts (its rows are then partial and flagged ``interrupted``;
the frontend refreshes after each cell anyway). The reply carries the request's parent
header, as a synchronous one would. See BENCHMARKS.md for the delay a cell sees.

ipykernel 7 may deliver comm messages on a subshell thread while a cell runs, so the
open comms are kept under a lock and handlers only read. Note that ipykernel 7.4 routes
a comm's incoming messages to the subshell the kernel last published on that comm from,
whatever their header says: anything sent on a comm from the main thread (an event from
a cell hook, the error reply to bad open data) makes later requests on that comm wait
for the running cell.
"""

from __future__ import annotations

import contextvars
import functools
import logging
import os
import platform
import queue
import sys
import threading
from typing import Any, Callable

from .._version import __version__
from ..cells import recorder
from ..measure import probes
from ..variables import PathError, expand_body, variables_body
from . import protocol

log = logging.getLogger("memlens")

INJECTED_FLAG = "__memlens_injected__"
"""Set to True on each module of a memlens served from the frontend's bundled source."""

_MAX_MESSAGE_LENGTH = 500

BACKGROUND_COMMANDS = frozenset(("variables", "expand"))
"""Commands answered from the background thread (see the module's docstring)."""

PAUSE_EVERY_S = 0.002
"""A background walk sleeps briefly after each stretch of this many seconds of work."""

_lock = threading.Lock()
_comms: dict[str, Any] = {}
"""The open memlens comms by comm id (guarded by ``_lock``)."""
_shell: Any = None
"""The shell :func:`register` was given (None: the current one, when asked)."""


class Options:
    """How a handler may run: whether to stop early, and how to share the GIL."""

    __slots__ = ("pause_every_s", "should_stop")

    def __init__(
        self,
        *,
        should_stop: Callable[[], bool] | None = None,
        pause_every_s: float | None = None,
    ) -> None:
        self.should_stop = should_stop
        self.pause_every_s = pause_every_s


_FOREGROUND = Options()


# -- handlers -----------------------------------------------------------------------------


def _source() -> protocol.Source:
    package = sys.modules.get(__package__ or "memlens")
    return "injected" if getattr(package, INJECTED_FLAG, False) else "installed"


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


def _hello(args: dict[str, Any], options: Options) -> protocol.KernelInfo:
    return {
        "protocol_version": protocol.PROTOCOL_VERSION,
        "memlens_version": __version__,
        "source": _source(),
        "pid": os.getpid(),
        "python_version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": _platform(),
        "system": platform.system(),
        "ipykernel_version": _version_of("ipykernel", "ipykernel"),
        "ipython_version": _version_of("IPython", "ipython"),
        "probes": probes.probe_report(),
        "memory": probes.snapshot(),
    }


def _snapshot(args: dict[str, Any], options: Options) -> protocol.MemorySnapshot:
    return probes.snapshot()


def _cells(args: dict[str, Any], options: Options) -> protocol.CellsBody:
    active = recorder.current()
    return recorder.empty_cells_body() if active is None else active.cells(int(args["after"]))


def _configure(args: dict[str, Any], options: Options) -> protocol.ConfigureBody:
    active = recorder.current()
    if active is None:
        return {"precise": False}
    return {"precise": active.set_precise(args["precise"])}


def _the_shell() -> Any:
    return _shell if _shell is not None else _current_shell()


def _cap_bytes(args: dict[str, Any]) -> int | None:
    """The request's cap on the walker's memory; None (absent or null): the default."""
    cap = args.get("cap_bytes")
    return None if cap is None else int(cap)


def _variables(args: dict[str, Any], options: Options) -> protocol.VariablesBody:
    return variables_body(
        _the_shell(),
        budget_ms=float(args["budget_ms"]),
        complete=[name for name in args["complete"]],
        should_stop=options.should_stop,
        pause_every_s=options.pause_every_s,
        cap_bytes=_cap_bytes(args),
    )


def _expand(args: dict[str, Any], options: Options) -> protocol.ExpandBody:
    return expand_body(
        _the_shell(),
        path=args["path"],
        offset=int(args["offset"]),
        limit=int(args["limit"]),
        budget_ms=float(args["budget_ms"]),
        should_stop=options.should_stop,
        pause_every_s=options.pause_every_s,
        cap_bytes=_cap_bytes(args),
    )


Handler = Callable[[dict[str, Any], Options], protocol.ReplyBody]

HANDLERS: dict[protocol.Command, Handler] = {
    "hello": _hello,
    "snapshot": _snapshot,
    "cells": _cells,
    "configure": _configure,
    "variables": _variables,
    "expand": _expand,
}


# -- decode -> dispatch -> encode ---------------------------------------------------------


def _describe(error: BaseException) -> str:
    try:
        text = f"{type(error).__name__}: {error}"
    except Exception:  # an exception whose str() fails
        text = type(error).__name__
    return text if len(text) <= _MAX_MESSAGE_LENGTH else text[:_MAX_MESSAGE_LENGTH] + "..."


def handle(data: object, options: Options = _FOREGROUND) -> protocol.Reply:
    """The reply to one message's data, computed on the calling thread. Never raises."""
    try:
        request = protocol.parse_request(data)
    except protocol.ProtocolError as error:
        request_id, command = protocol.error_address(data)
        return protocol.make_error(request_id, command, error.code, error.message)
    except Exception as error:  # a bug in the validator must not reach the kernel
        log.exception("memlens could not read a message")
        request_id, command = protocol.error_address(data)
        return protocol.make_error(request_id, command, "internal", _describe(error))
    try:
        body = HANDLERS[request["command"]](request["args"], options)
        reply = protocol.make_reply(request["id"], request["command"], body)
        protocol.validate_reply(reply)
    except PathError as error:
        return protocol.make_error(request["id"], request["command"], "bad_request", str(error))
    except Exception as error:
        log.exception("memlens failed to answer %r", request["command"])
        return protocol.make_error(request["id"], request["command"], "internal", _describe(error))
    return reply


def _send(comm: Any, data: protocol.Reply | protocol.Event) -> None:
    try:
        comm.send(data=data)
    except Exception:
        log.exception("memlens could not send on comm %s", getattr(comm, "comm_id", "?"))


def _data_of(msg: Any) -> object:
    try:
        return msg["content"]["data"]
    except Exception:
        return None


def _on_msg(comm: Any, msg: Any) -> None:
    data = _data_of(msg)
    if _is_background(data):
        _background(comm, data)
    else:
        _send(comm, handle(data))


def _is_background(data: object) -> bool:
    """A valid request for a background command (a bad one is answered at once)."""
    if not isinstance(data, dict) or data.get("command") not in BACKGROUND_COMMANDS:
        return False
    try:
        protocol.parse_request(data)
    except Exception:
        return False
    return True


def _cell_counter() -> Callable[[], bool] | None:
    """A test that says whether a cell started since now (None without a recorder)."""
    active = recorder.current()
    if active is None:
        return None
    started = active.cells_started
    return lambda: active.cells_started != started


def _background(comm: Any, data: object) -> None:
    """Answer ``data`` from the worker thread, as if from this message's handler."""
    context = contextvars.copy_context()
    kernel = getattr(comm, "kernel", None)
    try:
        parent = kernel.get_parent() if kernel is not None else None
    except Exception:
        parent = None
    options = Options(should_stop=_cell_counter(), pause_every_s=PAUSE_EVERY_S)

    def job() -> None:
        _publish(comm, handle(data, options), context, parent)

    _worker.submit(job)


def _publish(comm: Any, data: protocol.Reply, context: contextvars.Context, parent: Any) -> None:
    """Send ``data`` on ``comm`` from the worker with the request's parent header.

    ipykernel 7 keeps the parent in a context variable: sending inside a copy of the
    handler's context gives the reply the request's parent (and keeps the comm's replies
    routed to the subshell the request came from). ipykernel 6 keeps only the latest
    parent, so the reply is sent through the session with the request's parent.
    """
    kernel = getattr(comm, "kernel", None)
    if isinstance(getattr(kernel, "_shell_parent", None), contextvars.ContextVar):
        context.run(_send, comm, data)
        return
    session = getattr(kernel, "session", None)
    socket = getattr(kernel, "iopub_socket", None)
    if isinstance(parent, dict) and parent and session is not None and socket is not None:
        try:
            content = {"data": data, "comm_id": comm.comm_id}
            session.send(socket, "comm_msg", content, parent=parent, ident=comm.topic)
            return
        except Exception:
            log.debug("memlens could not send with the request's parent", exc_info=True)
    _send(comm, data)


class _Worker:
    """One daemon thread running jobs in order (started on first use)."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="memlens-sizing", daemon=True
                )
                self._thread.start()
        self._jobs.put(job)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                job()
            except BaseException:
                log.exception("memlens: a background job failed")
            del job


_worker = _Worker()


def _forget(comm: Any) -> None:
    with _lock:
        _comms.pop(getattr(comm, "comm_id", ""), None)


def _on_open(comm: Any, msg: Any) -> None:
    """The comm target: answer a bad open with an error reply, then serve requests."""
    try:
        try:
            protocol.parse_open(_data_of(msg))
        except protocol.ProtocolError as error:
            _send(comm, protocol.make_error(None, None, error.code, error.message))
        comm.on_msg(lambda message: _on_msg(comm, message))
        comm.on_close(lambda message: _forget(comm))
        with _lock:
            _comms[comm.comm_id] = comm
    except Exception:
        log.exception("memlens could not open a comm")


def broadcast(event: str, body: dict[str, Any]) -> None:
    """Send an event to every open memlens comm (from any thread)."""
    message = protocol.make_event(event, body)
    with _lock:
        comms = list(_comms.values())
    for comm in comms:
        _send(comm, message)


def open_comm_count() -> int:
    """How many memlens comms are open."""
    with _lock:
        return len(_comms)


# -- registration -------------------------------------------------------------------------


def _current_shell() -> Any:
    """The running IPython shell, or None (a kernel has imported IPython already;
    without it there is no shell to find, and IPython is not imported here)."""
    get_ipython = getattr(sys.modules.get("IPython"), "get_ipython", None)
    return get_ipython() if callable(get_ipython) else None


def _comm_manager(shell: Any) -> Any:
    """The comm manager that receives this kernel's comm messages.

    The kernel's own ``comm_manager`` is the one wired to its shell handlers (in
    ipykernel 7 and recent 6.x it is also what ``comm.get_comm_manager()`` returns);
    the ``comm`` package's manager is the fallback where the shell has no kernel.
    """
    manager = getattr(getattr(shell, "kernel", None), "comm_manager", None)
    if manager is not None:
        return manager
    try:
        import comm
    except ImportError:
        raise RuntimeError("memlens needs a Jupyter kernel with comm support") from None
    return comm.get_comm_manager()


def register(shell: Any = None) -> None:
    """Register the ``memlens`` comm target with the kernel of ``shell`` (default: current)
    and install the cell recorder on the shell, so that ``cells`` has records to serve.

    Registering again replaces the target with the same handler and finds the recorder
    installed, so it is harmless.
    """
    global _shell
    if shell is None:
        shell = _current_shell()
    _shell = shell
    _comm_manager(shell).register_target(protocol.COMM_TARGET, _on_open)
    if shell is not None and hasattr(shell, "events"):
        try:
            recorder.install(shell)
        except Exception:  # the comm still serves hello and snapshot
            log.exception("memlens could not install its cell recorder")
