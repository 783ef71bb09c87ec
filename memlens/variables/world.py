"""The user's namespace as a walk sees it: what it is made of, and what is never data.

:mod:`.report` and :mod:`.expand` group these into the roots of their walks: the user's
variables, the hidden values that may share data with them (private ``_names``,
closures) and what the output cache (``Out``, ``_``, ``__``, ``___``, ``_N``) keeps
alive. The namespace dicts and the shell are never walked.
"""

from __future__ import annotations

from typing import Any

from . import names as namespace


def user_namespace(shell: Any) -> dict[str, Any]:
    """The shell's ``user_ns``; empty without a shell or a dict there."""
    user_ns = getattr(shell, "user_ns", None)
    return user_ns if isinstance(user_ns, dict) else {}


def world(
    shell: Any, user_ns: dict[str, Any]
) -> tuple[list[tuple[str, object]], list[object], list[object] | None]:
    """``(variables, hidden, cache)``: the user's variables, the hidden values that may
    share data with them (see :func:`.names.split`) and what the output cache
    keeps alive (None outside IPython)."""
    hidden_ns = getattr(shell, "user_ns_hidden", None)
    if not isinstance(hidden_ns, dict):
        hidden_ns = {}
    variables, hidden = namespace.split(user_ns, hidden_ns)
    cache = namespace.output_cache(shell, user_ns) if shell is not None else None
    return variables, hidden, cache


def never_walked(shell: Any, user_ns: dict[str, Any]) -> list[object]:
    """Never data: the namespace dicts and the shell."""
    skipped: list[object] = [user_ns]
    for thing in (getattr(shell, "user_ns_hidden", None), shell):
        if thing is not None:
            skipped.append(thing)
    return skipped
