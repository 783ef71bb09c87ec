"""Deep and retained sizes over the object graph: measure only, no model and no comms.

The public API (exported by :mod:`memlens.sizing`, and by :mod:`memlens`):

- :func:`deep_size` -- the bytes reachable from one object;
- :func:`retained_sizes` -- for a mapping of names to objects, the bytes deleting each
  name would free;
- :func:`measure` -- the same for groups of objects ("roots"), under a time budget and a
  memory cap, with object counts, flags and the walker's own cost (a :class:`Report`).

Standard library only; numpy, pandas, torch and pyarrow are recognized when the user has
imported them already, through :mod:`memlens.libraries` (never imported).

What is counted
---------------
Every object reachable through ``gc.get_referents`` (plus a dict's keys, which the gc
does not visit when they are all strings, and the items of numpy object arrays) is
counted once, by identity, with ``sys.getsizeof``. Not counted and not followed, because
they are the program rather than its data: modules, classes, functions without closure
cells, methods, builtin functions, code, frames, tracebacks, descriptors, the dicts of
modules (module globals), the builtins, and whatever the caller passes as ``skip`` (the
kernel passes the user namespace dict itself). A function *with* closure cells counts
itself, its cells and what they hold, and its defaults. Instance attributes are reached
through the instance's referents; ``__dict__`` is never read (on Python 3.11+ that would
build a dict that did not exist); the attribute-value array such an instance keeps beside
itself (3.11-3.13) is added as an estimate from the number of attributes.

numpy: ``sys.getsizeof`` of an array includes its buffer when the array owns it, and a
view leads to its ``base`` (the items of an object array are walked at the owner only),
so a buffer is counted once, at its owner: a view's deep size
includes its base, its retained size is its small header (when the base is held
elsewhere). pandas objects are walked like any other (their own ``__sizeof__`` would
count their data a second time); object and string columns are numpy object arrays, so
a string held by many rows is counted once. torch tensors count their storage (a sparse
tensor its index and value tensors, a leaf its gradient) and pyarrow arrays, chunked
arrays, tables and record batches their buffers, once per buffer address, when those
libraries are imported; numpy buffers of 1 MiB or more then count by address too, so a
buffer a tensor or an arrow array shares with a numpy array (``torch.from_numpy``,
zero-copy ``pa.array``) counts once. Not seen: smaller shared numpy buffers and Python
bytes wrapped zero-copy by pyarrow count twice; the autograd graph behind ``grad_fn``;
GPU memory (not in the process's RSS).

Retained sizes
--------------
The retained size of a root is the size of the objects reachable from that root and from
no other root: what deleting it would free, if nothing outside the roots holds them. The
walk records, per object, which root reached it first and whether another one did too
(a tag per *shared-looking* object only, in :class:`.owners.Owners`, about 2 bytes per
object: an object whose reference count says exactly one reference exists can be reached
only through its one parent, so it inherits its parent's state and costs the walker no
memory). Objects every Python program shares
(None, True, False, small integers, one-character strings, the empty tuple...) count in
deep sizes and in no retained size. References from outside the roots (module globals,
library caches) are not seen: objects they hold count as retained.

Hostile objects never make the walk raise: a ``__sizeof__`` that raises, returns a
negative or absurd number is replaced by the object's basic size and flagged
(``sizeof_raised``, ``sizeof_negative``, ``sizeof_absurd``); ``__getattr__`` is never
called; a dict, set or deque changing size during a chunked walk is flagged ``mutated``;
nesting of any depth is walked without recursion (``deep_nesting`` past 1,000 levels,
where ``repr``, ``pickle`` or ``copy.deepcopy`` would fail); huge containers are read in
chunks, so the time budget (``budget``) and the memory cap (``capped``) are checked
every few milliseconds.

How: the walk is batched, ``gc.get_referents(*parents)`` for many parents at once and
C-level ``map``/``set`` operations over whole batches. The referents of many parents with
as many referents each (records, instances of a class, pairs) are split into columns,
which mostly hold one type each: a column of classes is dropped at once, a column of one
builtin type is sized by that type's own ``__sizeof__``, and objects whose size is fixed
by their type (floats, instances) are sized once per type (see :mod:`.walk`; its speed
is in BENCHMARKS.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Callable

from .budget import Limits, default_cap_bytes
from .careful import Root
from .report import Report
from .sizeof import Known
from .walk import Walk


def deep_size(obj: object) -> int:
    """The bytes of ``obj`` and of everything it refers to, each object counted once.

    See the module's docstring for what is counted. Never raises for a hostile object
    (its basic size is counted instead); no time limit (use :func:`measure` for one).
    A module, class or function without closure is program, not data: its deep size is 0.
    """
    return measure([[obj]]).roots[0].deep


def retained_sizes(namespace: Mapping[str, object]) -> dict[str, int]:
    """For each name of ``namespace``, the bytes that deleting that name would free.

    That is the size of the objects reachable from the name's object and from no other
    name's (a name bound to the same object as another name retains nothing). Objects
    held from outside ``namespace`` (module globals, caches) are not seen, so they count
    as retained. No time limit (use :func:`measure` for one).
    """
    names = list(namespace)
    report = measure([[namespace[name]] for name in names])
    return {name: sizes.retained for name, sizes in zip(names, report.roots)}


def measure(
    roots: Sequence[Root],
    *,
    budget_s: float | None = None,
    shares: Sequence[float] | None = None,
    cap_bytes: int | None = None,
    skip: Iterable[object] = (),
    fence: Iterable[object] = (),
    should_stop: Callable[[], bool] | None = None,
    pause_every_s: float | None = None,
    user_sizeof: bool = True,
    known_sizes: Mapping[int, Known] | None = None,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Deep and retained sizes of ``roots``, each root a group of objects sized together.

    - ``budget_s``: time for the whole walk, in seconds (None: no limit). Roots are
      walked in order; each may use its share of what is left (``shares``: weights per
      root, default equal; a root with share 0 gets whatever the others leave). A root
      cut short is ``partial`` and flagged ``budget``.
    - ``cap_bytes``: the most memory the walker may use for its own tables (default
      :func:`default_cap_bytes`); past it the walk stops (``capped``).
    - ``skip``: objects never counted nor followed (e.g. a namespace dict).
    - ``fence``: objects never counted nor followed either, and a root that reaches one
      is flagged ``fenced`` (e.g. the containers above the parts whose retained sizes
      are wanted, which would make every part look shared).
    - ``should_stop``: called every few milliseconds; True stops the walk (``interrupted``).
    - ``pause_every_s``: sleep briefly after each such stretch of work, so that other
      threads waiting for the GIL get it at once (for walks run on a background thread).
    - ``user_sizeof``: False never runs a ``__sizeof__`` written in Python (the object's
      basic size counts instead); a mock's is never run either way.
    - ``known_sizes``: ``checked_getsizeof`` results already read, by object id (objects
      the caller keeps alive): a ``__sizeof__`` written in Python is not called again.
    - ``progress``: called every few milliseconds with the objects visited so far.
    """
    limits = Limits(
        budget_s=budget_s,
        shares=[1.0] * len(roots) if shares is None else shares,
        cap_bytes=default_cap_bytes() if cap_bytes is None else cap_bytes,
        should_stop=should_stop,
        pause_every_s=pause_every_s,
        progress=progress,
    )
    walk = Walk(
        roots,
        limits=limits,
        skip=skip,
        fence=fence,
        user_sizeof=user_sizeof,
        known_sizes=known_sizes,
    )
    limits.walked = lambda: sum(walk.objects)
    return walk.run()
