"""Which names of the user namespace are the user's variables.

The rule (the one ``%who`` follows, narrowed to data):

- a name starting with ``_`` is not a variable: IPython's ``_``, ``__``, ``___``,
  ``_N``, ``_i``, ``_iN``, ``_ih``, ``_oh``, ``_dh`` and the user's own private names;
- nor are ``In``, ``Out``, ``exit``, ``quit`` and ``get_ipython``, nor any name in
  ``shell.user_ns_hidden`` still bound to the object IPython (or an extension) put there;
- nor is a module, a class, a function, a method or a builtin: program, not data.

Values that are not variables can still keep data alive: the output cache (``Out``,
``_``, ``__``, ``___`` and ``_N``, sized as a row of its own), private ``_names`` and
closures. They take part in retained sizes (data they share with a variable is not the
variable's alone) without being rows: :func:`split` returns them as *hidden* values.
"""

from __future__ import annotations

import re
import types
from typing import Any

IPYTHON_NAMES = frozenset(("In", "Out", "exit", "quit", "get_ipython"))
"""Names IPython defines that are never variables, whatever they are bound to."""

OUTPUT_NAMES = ("_", "__", "___")
"""The last three results, kept by the output cache."""

_RESULT = re.compile(r"_\d+\Z")
_IPYTHON_PRIVATE = re.compile(r"_(i+|i\d+|ih|oh|dh|exit_code)\Z")
_PROGRAM = (
    types.ModuleType,
    type,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
)
_GONE = object()
_CLOSURE = types.FunctionType.__dict__["__closure__"].__get__


def is_program(value: object) -> bool:
    """Modules, classes, functions, methods and builtins: not data (by the object's real
    type: a lying ``__class__`` is not asked)."""
    return issubclass(type(value), _PROGRAM)


def split(
    user_ns: dict[str, Any], hidden_ns: dict[str, Any] | None = None
) -> tuple[list[tuple[str, object]], list[object]]:
    """``(variables, hidden)``: the user's variables as ``(name, value)`` pairs in the
    namespace's order, and the other values that may keep data alive (private names,
    closures), for retained sizes. The output cache is in neither (see
    :func:`output_cache`). Takes one snapshot of the namespace (safe from any thread)."""
    hidden_ns = hidden_ns or {}
    items = list(dict.items(user_ns))
    variables: list[tuple[str, object]] = []
    hidden: list[object] = []
    for name, value in items:
        if type(name) is not str:  # a str subclass's __hash__ or __eq__ is user code
            continue
        if name in IPYTHON_NAMES or name in OUTPUT_NAMES or _RESULT.match(name):
            continue
        if hidden_ns.get(name, _GONE) is value:
            continue
        if is_program(value):
            if type(value) is types.FunctionType and _CLOSURE(value):
                hidden.append(value)
            continue
        if name.startswith("_"):
            if not _IPYTHON_PRIVATE.match(name):
                hidden.append(value)
            continue
        variables.append((name, value))
    return variables, hidden


def output_history(shell: Any) -> dict[Any, Any] | None:
    """IPython's ``Out`` dict (``shell.history_manager.output_hist``, the same dict as
    ``Out`` and ``_oh``); None outside IPython."""
    history = getattr(shell, "history_manager", None)
    out = getattr(history, "output_hist", None)
    return out if type(out) is dict else None


def output_cache(shell: Any, user_ns: dict[str, Any]) -> list[object] | None:
    """What IPython's output cache keeps alive: ``Out`` (the dict itself first), then
    ``_``, ``__``, ``___`` and each ``_N``; None outside IPython."""
    out = output_history(shell)
    if out is None:
        out = user_ns.get("Out")
        if type(out) is not dict:
            return None
    held: list[object] = [out]
    for name in OUTPUT_NAMES:
        value = user_ns.get(name, _GONE)
        if value is not _GONE:
            held.append(value)
    held += [
        value
        for name, value in list(dict.items(user_ns))
        if type(name) is str and _RESULT.match(name)  # never the __str__ of a user key
    ]
    return held
