"""The only module that touches comms: decode -> dispatch -> encode, and registration.

:func:`register` registers the comm target ``memlens`` with the kernel's comm manager.
Each message on a memlens comm is decoded once by :mod:`memlens.wire.protocol`, its body
made by :mod:`memlens.wire.handlers`, and answered with exactly one reply. Nothing a
frontend sends makes this module raise: bad input gets an error reply, a failing handler
an ``internal`` one.

A comm stays open whatever its open data: when ``comm_open`` carries data of another
protocol version, the kernel sends an error reply with a null id and then answers each
request on its own merits (a request of another version gets a ``protocol_mismatch``
reply naming its id).

Commands that walk the object graph are answered from :mod:`memlens.wire.worker`'s
thread; the reply carries the request's parent header, as a synchronous one would.

ipykernel 7 may deliver comm messages on a subshell thread while a cell runs, so the
open comms are kept under a lock and handlers only read. Note that ipykernel 7.4 routes
a comm's incoming messages to the subshell the kernel last published on that comm from,
whatever their header says: anything sent on a comm from the main thread (such as the
error reply to bad open data) makes later requests on that comm wait for the running cell.
"""

from __future__ import annotations

import contextvars
import logging
import sys
import threading
from typing import Any

from ..cells import recorder
from ..variables import PathError
from . import log as memory_log
from . import protocol
from .handlers import BACKGROUND_COMMANDS, Options, body_for
from .worker import background_options, worker

log = logging.getLogger("memlens")
memory_log.install()  # memlens' errors never print into the user's running cell

_TYPE_NAME = type.__dict__["__name__"].__get__
_TYPE_MODULE = type.__dict__["__module__"].__get__
_ARGS = BaseException.__dict__["args"].__get__
_PLAIN_ARGS = (str, int, float)

MAX_ERROR_MESSAGE_LENGTH = 500
"""Longest text of an exception quoted in an ``internal`` error reply, in characters."""

_lock = threading.Lock()
_comms: dict[str, Any] = {}
"""The open memlens comms by comm id (guarded by ``_lock``)."""
_shell: Any = None
"""The shell :func:`register` was given (None: the current one, when asked)."""


# -- decode -> dispatch -> encode ---------------------------------------------------------


def _describe(error: BaseException) -> str:
    """``Name: text`` of an exception, without running user code: the text only for a
    builtin exception whose arguments are plain strings and numbers; clipped."""
    kind = type(error)
    name = str(_TYPE_NAME(kind))
    try:
        args = _ARGS(error)
        plain = _TYPE_MODULE(kind) == "builtins" and all(type(a) in _PLAIN_ARGS for a in args)
        text = f"{name}: {BaseException.__str__(error)}" if plain else name
    except Exception:
        text = name
    return protocol.clip(text, MAX_ERROR_MESSAGE_LENGTH)


def decode(data: object) -> tuple[protocol.Request | None, protocol.ErrorReply | None]:
    """``(request, None)`` for a valid request, ``(None, error reply)`` otherwise."""
    try:
        return protocol.parse_request(data), None
    except protocol.ProtocolError as error:
        request_id, command = protocol.error_address(data)
        message = protocol.clip(error.message, MAX_ERROR_MESSAGE_LENGTH)
        return None, protocol.make_error(request_id, command, error.code, message)
    except BaseException as error:  # a bug in the validator must not reach the kernel
        log.exception("memlens could not read a message")
        request_id, command = protocol.error_address(data)
        return None, protocol.make_error(request_id, command, "internal", _describe(error))


def answer(request: protocol.Request, options: Options) -> protocol.Reply:
    """The reply to a decoded request, computed on the calling thread. Never raises."""
    try:
        reply = protocol.make_reply(request["id"], request["command"], body_for(request, options))
    except PathError as error:
        message = protocol.clip(str(error), MAX_ERROR_MESSAGE_LENGTH)
        return protocol.make_error(request["id"], request["command"], "bad_request", message)
    except BaseException as error:  # user code may raise anything (SystemExit too)
        log.exception("memlens failed to answer %r", request["command"])
        return protocol.make_error(request["id"], request["command"], "internal", _describe(error))
    return reply


def handle(data: object, options: Options | None = None) -> protocol.Reply:
    """The reply to one message's data, computed on the calling thread. Never raises."""
    request, error = decode(data)
    if request is None:
        assert error is not None
        return error
    return answer(request, Options(the_shell()) if options is None else options)


# -- transport ----------------------------------------------------------------------------


def _send(comm: Any, data: protocol.Reply) -> None:
    try:
        comm.send(data=data)
    except BaseException:
        log.exception("memlens could not send on comm %s", getattr(comm, "comm_id", "?"))


def _data_of(msg: Any) -> object:
    try:
        return msg["content"]["data"]
    except Exception:
        return None


def _on_msg(comm: Any, msg: Any) -> None:
    """Answer one message exactly once; nothing escapes into the comm package."""
    request, error = decode(_data_of(msg))
    if request is None:
        assert error is not None
        _send(comm, error)
        return
    try:
        if request["command"] in BACKGROUND_COMMANDS:
            _answer_in_background(comm, request)
            return
        options = Options(the_shell())
    except BaseException as failure:
        log.exception("memlens could not dispatch %r", request["command"])
        text = _describe(failure)
        _send(comm, protocol.make_error(request["id"], request["command"], "internal", text))
        return
    _send(comm, answer(request, options))


def _answer_in_background(comm: Any, request: protocol.Request) -> None:
    """Answer ``request`` from the worker thread, as if from this message's handler."""
    context = contextvars.copy_context()
    kernel = getattr(comm, "kernel", None)
    try:
        parent = kernel.get_parent() if kernel is not None else None
    except Exception:
        parent = None
    options = background_options(the_shell())

    def job() -> None:
        _publish(comm, answer(request, options), context, parent)

    worker.submit(job)


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
        except BaseException:
            log.debug("memlens could not send with the request's parent", exc_info=True)
    _send(comm, data)


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


def the_shell() -> Any:
    """The shell handlers read: the one :func:`register` was given, else the current one."""
    return _shell if _shell is not None else _current_shell()


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
