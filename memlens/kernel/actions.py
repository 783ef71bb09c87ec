"""Actions that free memory, each measuring what it gave back.

- ``collect``: ``gc.collect()``, the objects only reference cycles kept alive;
- ``trim``: glibc's ``malloc_trim(0)``, free pages of malloc's heaps back to the OS;
- ``clear_output_cache``: what ``%reset -f out`` does (empties ``Out``, deletes every
  ``_N``, blanks ``_``, ``__`` and ``___``), without printing and without touching the
  execution count or the history of inputs;
- ``empty_cache``: ``torch.cuda.empty_cache()`` and CuPy's default pool's
  ``free_all_blocks()``, the device memory their caching allocators hold free back to the
  device (only where a library already uses a device: see :mod:`.gpu`); what came back is
  measured on the device (``device_gave_back``), not in RSS.

Each answer says what it did and the RSS before and after, read in the kernel; freed
memory that the allocators keep (most of what ``collect`` and ``clear_output_cache`` free)
shows up as a smaller drop of RSS than the bytes freed: ``trim`` gives it back.
"""

from __future__ import annotations

import gc
import re
from typing import Any, Callable

from ..probes import allocators
from ..probes.process import rss
from ..variables import names
from . import gpu

ACTIONS = ("collect", "trim", "clear_output_cache", "empty_cache")
_RESULT = re.compile(r"_\d+\Z")
_GONE = object()


def _collect(shell: Any) -> dict[str, Any]:
    return {"available": True, "collected": gc.collect()}


def _trim(shell: Any) -> dict[str, Any]:
    released = allocators.malloc_trim()
    return {"available": released is not None}


def _clear_output_cache(shell: Any) -> dict[str, Any]:
    """Empty the output cache as IPython's ``DisplayHook.flush`` does, quietly."""
    out = names.output_history(shell)
    user_ns = getattr(shell, "user_ns", None)
    if out is None or not isinstance(user_ns, dict):
        return {"available": False, "cleared": 0}
    cleared = len(out)
    hidden_ns = getattr(shell, "user_ns_hidden", None)
    namespaces = [user_ns] + ([hidden_ns] if isinstance(hidden_ns, dict) else [])
    for namespace in namespaces:
        for key in [k for k in list(dict.keys(namespace)) if type(k) is str and _RESULT.match(k)]:
            namespace.pop(key, None)
    # The shell's last ExecutionResult holds the last result too, until the next cell.
    last: Any = getattr(shell, "last_execution_result", None)
    result = getattr(last, "result", None)
    if result is not None and any(result is value for value in list(out.values())):
        last.result = None
    out.clear()
    hook = getattr(shell, "displayhook", None)
    for name in names.OUTPUT_NAMES:
        held = getattr(hook, name, None)
        if held is None:
            continue
        # Blank a name only where it is the cache's own: a `_` the user bound stays. The
        # shell pushes them into user_ns_hidden too, which flush() forgets to clear.
        for namespace in namespaces:
            if namespace.get(name, _GONE) is held:
                namespace[name] = ""
        setattr(hook, name, "")
    gc.collect()
    return {"available": True, "cleared": cleared}


def _empty_cache(shell: Any) -> dict[str, Any]:
    return gpu.empty_caches()


_DO: dict[str, Callable[[Any], dict[str, Any]]] = {
    "collect": _collect,
    "trim": _trim,
    "clear_output_cache": _clear_output_cache,
    "empty_cache": _empty_cache,
}


def run_action(action: str, shell: Any) -> dict[str, Any]:
    """Run ``action`` (one of :data:`ACTIONS`) and measure it: a dict with ``action``,
    ``available`` (False where the platform or kernel lacks it), ``rss_before``,
    ``rss_after`` and ``gave_back`` (bytes, the RSS drop, 0 if RSS rose), and
    ``collected`` (objects, for ``collect``) or ``cleared`` (results, for the cache)."""
    before = rss()
    done = _DO[action](shell)
    after = rss()
    gave_back = 0 if before is None or after is None else max(0, before - after)
    return {
        "action": action,
        "rss_before": before,
        "rss_after": after,
        "gave_back": gave_back,
        **done,
    }
