"""What the kernel's RSS is made of: parts that add up to it, in bytes.

RSS is split first by kind of page (:mod:`memlens.probes.breakdown`): file-backed pages
are the libraries and code (less the GPU runtime's mappings); anonymous pages hold
everything else, divided in this order, each part at most what is left of them:

- ``variables``: the bytes reachable from the user's variables and private names (their
  deep size together, so data a variable shares with ``Out`` counts here);
- ``output_cache``: what only the output cache (``Out``, ``_N``, ``_``...) keeps alive;
- ``last_exception``: what only the last error keeps alive (``sys.last_value`` and the
  locals of the user's frames in its traceback, which ``%debug`` can still show);
- ``native_pools``: bytes of libraries' own pools (pyarrow's) that no part above counts:
  the pool's buffers held from elsewhere (see :func:`memlens.libraries.pools.unclaimed`);
- ``allocators_free``: bytes pymalloc and glibc malloc hold free (see :func:`_allocators`);
- ``rest``: the anonymous pages left: the interpreter's and libraries' own heaps,
  allocator overheads, thread stacks, objects reachable from neither (module globals,
  caches).

Sizes come from the sizing walk under a time budget; a part cut short is a lower bound
(listed in ``lower_bounds``) and ``rest`` is then an upper bound.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable

from ..probes import allocators
from ..probes.breakdown import gpu_resident, resident_kinds
from ..probes.process import rss
from ..sizing import measure
from ..variables import names
from .gpu import gpu_devices

PARTS = (
    "variables",
    "output_cache",
    "last_exception",
    "native_pools",
    "allocators_free",
    "gpu_runtime",
    "libraries_and_code",
    "rest",
)
"""The part names, in the order a picture stacks them."""

_ANONYMOUS_ORDER = PARTS[:5]
_FRAMEWORK = frozenset(
    ("IPython", "ipykernel", "asyncio", "tornado", "zmq", "traitlets", "memlens", "runpy")
)
"""Top-level packages whose frames in a traceback are the kernel's, not the user's: their
locals hold the shell itself, never the user's data alone."""


def current_shell() -> Any:
    """The running IPython shell, or None (IPython is never imported here)."""
    get_ipython = getattr(sys.modules.get("IPython"), "get_ipython", None)
    return get_ipython() if callable(get_ipython) else None


def _namespace(shell: Any) -> dict[str, Any]:
    user_ns = getattr(shell, "user_ns", None)
    if isinstance(user_ns, dict):
        return user_ns
    main = sys.modules.get("__main__")
    return main.__dict__ if main is not None else {}


def _exception_roots(user_ns: dict[str, Any]) -> list[object]:
    """The last error and the locals of the user's frames its traceback keeps alive."""
    roots: list[object] = []
    for name in ("last_value", "last_exc"):
        value = getattr(sys, name, None)
        if value is not None and all(value is not seen for seen in roots):
            roots.append(value)
    tb = getattr(sys, "last_traceback", None)
    while tb is not None:
        frame = tb.tb_frame
        globals_ = frame.f_globals
        module = globals_.get("__name__") if type(globals_) is dict else None
        top = module.partition(".")[0] if type(module) is str else ""
        if globals_ is user_ns or top not in _FRAMEWORK:
            local = frame.f_locals
            if local is not user_ns and local is not globals_:
                roots.extend(list(local.values()))
        tb = tb.tb_next
    return roots


def _allocators() -> tuple[int, dict[str, int]]:
    """Bytes the allocators hold free and resident, and the details.

    pymalloc's free blocks and unused pools: resident, and never returned by a trim
    (pymalloc unmaps an arena only once all of it is free). glibc's free chunks: resident
    unless memlens trimmed since (see :func:`.allocators.resident_malloc_free`); a trim
    returns whole free pages of them, not the parts of pages around live chunks.
    """
    pymalloc = allocators.pymalloc_stats()
    glibc = allocators.allocator_stats()
    pymalloc_free = 0 if pymalloc is None else pymalloc.free
    malloc_free = 0 if glibc is None else glibc.free
    resident = allocators.resident_malloc_free(malloc_free)
    details = {
        "pymalloc_free": pymalloc_free,
        "malloc_free": malloc_free,
        "malloc_free_resident": resident,
        "trim_can_return": resident,
    }
    return pymalloc_free + resident, details


def _native_pools(report: Any) -> tuple[int, dict[str, int], bool]:
    """``(part, pools, lower_bound)``: the bytes of libraries' own pools that the walk's
    parts do not count (:func:`memlens.libraries.pools.unclaimed`), what each pool
    reports in all (overlapping the other parts), and whether the part is a lower bound."""
    try:
        from ..libraries import pools as native

        found = native.native_pools() or {}
        part, lower = native.unclaimed(found, report.native_buffers, not report.partial)
    except Exception:
        return 0, {}, False
    return part, found, lower


def kernel_memory(
    *,
    budget_s: float | None = None,
    shell: Any = None,
    should_stop: Callable[[], bool] | None = None,
    pause_every_s: float | None = None,
) -> dict[str, Any]:
    """What this process's RSS is made of, now.

    Returns a dict: ``rss`` (bytes), ``parts`` (part name -> bytes, see :data:`PARTS`
    and the module's docstring; the values add up to ``rss``), ``lower_bounds`` (parts
    whose value is a lower bound: a walk cut short by ``budget_s`` or ``should_stop``,
    the GPU runtime whose heap is not told apart), ``rest_is_upper_bound``,
    ``allocators`` (``pymalloc_free``, ``malloc_free``, ``malloc_free_resident`` and
    ``trim_can_return``, in bytes: what a ``malloc_trim`` may give back; pymalloc's free
    memory it cannot), ``native_pool_bytes`` (library -> bytes its pool reports, which
    overlaps the other parts, see :func:`_native_pools`), ``elapsed_s``, and ``gpu`` only
    while a library the user imported uses a GPU device: one dict per device (``device``,
    ``name``, ``libraries``, ``total``, ``used``, ``process``, ``allocated``, ``reserved``,
    ``cached_free``, in bytes, see :mod:`.gpu`), device memory never in ``rss``. ``shell``: the
    IPython shell (default: the running one; without one, ``__main__``'s globals are the
    variables). Outside Linux the kinds of pages are unknown: the variables' part and the
    others are still sized, ``libraries_and_code`` is 0 and ``rest`` takes what is left.
    """
    started = time.perf_counter()
    shell = current_shell() if shell is None else shell
    user_ns = _namespace(shell)
    hidden_ns = getattr(shell, "user_ns_hidden", None)
    variables, hidden = names.split(user_ns, hidden_ns if isinstance(hidden_ns, dict) else None)
    cache = names.output_cache(shell, user_ns) or []
    skip: list[object] = [user_ns] + [x for x in (hidden_ns, shell) if x is not None]
    report = measure(
        [[value for _, value in variables] + hidden, cache, _exception_roots(user_ns)],
        budget_s=budget_s,
        shares=[4.0, 1.0, 1.0],
        skip=skip,
        should_stop=should_stop,
        pause_every_s=pause_every_s,
        user_sizeof=False,
    )
    held, details = _allocators()
    pool_part, pools, pools_lower = _native_pools(report)
    sized = {
        "variables": report.roots[0].deep,
        "output_cache": report.roots[1].retained,
        "last_exception": report.roots[2].retained,
        "native_pools": pool_part,
        "allocators_free": held,
    }
    lower = [part for part, root in zip(_ANONYMOUS_ORDER, report.roots) if root.partial]
    lower += ["native_pools"] if pools_lower else []

    kinds = resident_kinds()
    total = kinds.rss if kinds is not None else (rss() or 0)
    left = kinds.anonymous if kinds is not None else total
    file_backed = kinds.file_backed if kinds is not None else 0
    gpu = gpu_resident()
    if gpu is not None:
        lower.append("gpu_runtime")
    parts: dict[str, int] = {}
    for part in _ANONYMOUS_ORDER:
        parts[part] = min(sized[part], left)
        left -= parts[part]
    parts["gpu_runtime"] = min(gpu or 0, file_backed)
    parts["libraries_and_code"] = file_backed - parts["gpu_runtime"]
    parts["rest"] = left
    devices = gpu_devices()  # [] (and nothing read) unless a library uses a device
    return {
        "rss": total,
        "parts": parts,
        "lower_bounds": lower,
        "rest_is_upper_bound": bool(lower),
        "allocators": details,
        "native_pool_bytes": pools,
        "elapsed_s": time.perf_counter() - started,
        **({"gpu": devices} if devices else {}),
    }
