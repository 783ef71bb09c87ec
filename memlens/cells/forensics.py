"""A small record of the running kernel, kept current on disk, read by its successor.

While memlens records cells, the kernel keeps one JSON file in Jupyter's runtime
directory (never the user's working directory), named after the kernel's id, which a
JupyterLab restart keeps: ``memlens-<kernel id>.json``. It holds the running cell's id,
execution count and preview, RSS, the cell's peak so far, the memory limit and the
OOM-kill counters, and is rewritten at each cell's start and end and by the live sampler
(:mod:`memlens.cells.live`) while a cell runs: a temporary file and ``os.replace``, so a
reader never sees half a record. Nothing is fsynced: the page cache outlives a killed
process, which is all this needs.

When memlens starts in a kernel (the comm's bootstrap, ``%load_ext`` or
:func:`memlens.last_exit`), it first reads the record its predecessor left under the same
id and infers how that kernel ended (:mod:`memlens.cells.exits`). A clean shutdown
removes the record (``atexit``), so :func:`last_exit` is then None. Without a connection
file the record is keyed by the process id, which a restart changes: no report then.
"""

from __future__ import annotations

import atexit
import faulthandler
import hashlib
import json
import logging
import os
import re
import sys
import threading
import time
from typing import IO, Any

from ..probes.limits import memory_limit, oom_counter_file, read_counter, system_oom_kills
from .exits import infer

log = logging.getLogger("memlens")

RECORD_VERSION = 1
MAX_RECORD_BYTES = 65536
"""A record larger than this is not ours (records are a few hundred bytes)."""
MAX_CRASH_BYTES = 8192
STALE_AFTER_S = 7 * 24 * 3600
"""Records of other kernels untouched this long are removed at start."""
LIMIT_CACHE_S = 30.0
"""The limit is re-read at most this often (a few cgroup files, ~0.1 ms): limits rarely
change, and the record's limit is only shown after a death."""
VMSTAT_EVERY_S = 5.0
"""The machine's OOM-kill counter is re-read at a cell's start at most this often."""
RECORD_BYTES = 4096
"""The record's fixed size on disk: one page, rewritten in place with one ``pwrite``."""
MAX_FIELD = 200
"""Longest string kept in a record (a cell id comes from the frontend)."""

_CONNECTION_FILE = re.compile(r"^kernel-([A-Za-z0-9_.-]{1,100})\.json$")


def runtime_dir() -> str:
    """Jupyter's runtime directory (where connection files live)."""
    try:
        from jupyter_core.paths import jupyter_runtime_dir

        return str(jupyter_runtime_dir())
    except Exception:
        pass
    configured = os.environ.get("JUPYTER_RUNTIME_DIR")
    if configured:
        return configured
    return os.path.join(os.path.expanduser("~"), ".local", "share", "jupyter", "runtime")


def _connection_file() -> str | None:
    """The connection file ipykernel was started with, if any."""
    kernelapp = sys.modules.get("ipykernel.kernelapp")
    app_class = getattr(kernelapp, "IPKernelApp", None)
    try:
        if app_class is not None and app_class.initialized():
            path = app_class.instance().connection_file
            if isinstance(path, str) and path:
                return path
    except Exception:
        pass
    argv = list(sys.argv)
    for index, arg in enumerate(argv):
        if arg in ("-f", "--f") and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith(("--f=", "-f=")):
            return arg.split("=", 1)[1]
    return None


def kernel_key() -> str:
    """A name that a restart keeps: ``kernel-<id>`` from a Jupyter server's connection
    file (``kernel-<id>.json``), ``conn-<hash>`` of any other connection file's path (a
    restart reuses the file), ``pid-<pid>`` without one."""
    path = _connection_file()
    if path:
        match = _CONNECTION_FILE.match(os.path.basename(path))
        if match:
            return f"kernel-{match.group(1)}"
        digest = hashlib.sha1(os.path.abspath(path).encode("utf-8", "replace"))
        return f"conn-{digest.hexdigest()[:16]}"
    return f"pid-{os.getpid()}"


def _read_bounded(path: str, limit: int) -> bytes | None:
    try:
        with open(path, "rb") as file:
            return file.read(limit + 1)
    except OSError:
        return None


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


class Forensics:
    """The record of one kernel: read the predecessor's, then keep this one's current."""

    def __init__(self, directory: str, key: str) -> None:
        self.directory = directory
        self.key = key
        self.path = os.path.join(directory, f"memlens-{key}.json")
        self.crash_path = os.path.join(directory, f"memlens-{key}.crash")
        self.last_exit: dict[str, Any] | None = None
        """How the previous kernel with this key ended; None for a clean end or none."""
        self._lock = threading.Lock()
        self._started = False
        self._stopped = False
        self._crash_file: IO[bytes] | None = None
        self._vmstat_read_at = -VMSTAT_EVERY_S
        self._fd = -1
        """The record file, kept open for in-place rewrites."""
        self._limit: tuple[float, int | None, str] = (0.0, None, "unknown")
        self._oom_file: str | None = None
        self._record: dict[str, Any] = {}

    # -- start and stop -----------------------------------------------------------------

    def start(self) -> None:
        """Read the predecessor's record, then write this kernel's (idempotent)."""
        with self._lock:
            if self._started:
                return
            self._started = True
        try:
            os.makedirs(self.directory, mode=0o700, exist_ok=True)
        except OSError:
            log.debug("memlens: no runtime directory for the kernel record", exc_info=True)
        self.last_exit = self._read_previous()
        self._remove_stale()
        self._enable_crash_file()
        self._oom_file = oom_counter_file()
        self._record = {
            "version": RECORD_VERSION,
            "pid": os.getpid(),
            "key": self.key,
            "state": "idle",
            "cell_id": None,
            "execution_count": None,
            "preview": "",
            "rss": None,
            "rss_peak": None,
            "crash_file": self._crash_file is not None,
            "cgroup_oom_file": self._oom_file,
        }
        atexit.register(self.close)
        self._write()

    def _read_previous(self) -> dict[str, Any] | None:
        raw = _read_bounded(self.path, MAX_RECORD_BYTES)
        crash = _read_bounded(self.crash_path, MAX_CRASH_BYTES)
        _remove(self.crash_path)
        if raw is None or len(raw) > MAX_RECORD_BYTES:
            return None
        try:
            record = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(record, dict) or record.get("version") != RECORD_VERSION:
            return None
        if record.get("pid") == os.getpid():
            return None  # this very process (memlens loaded twice): nothing ended
        oom_file = record.get("cgroup_oom_file")
        return infer(
            record,
            crash_text=crash,
            cgroup_oom_now=read_counter(oom_file if isinstance(oom_file, str) else None),
            system_oom_now=system_oom_kills(),
        )

    def _remove_stale(self) -> None:
        """Remove other kernels' records nobody read for a week (killed, never restarted)."""
        try:
            names = os.listdir(self.directory)
        except OSError:
            return
        now = time.time()
        for name in names:
            if name.startswith("memlens-") and name.endswith((".json", ".crash")):
                path = os.path.join(self.directory, name)
                try:
                    if now - os.path.getmtime(path) > STALE_AFTER_S:
                        os.remove(path)
                except OSError:
                    pass

    def _enable_crash_file(self) -> None:
        """Point faulthandler at our crash file, unless someone else already enabled it."""
        if faulthandler.is_enabled():
            return
        try:
            self._crash_file = open(self.crash_path, "wb")  # kept open: faulthandler writes to it
            faulthandler.enable(file=self._crash_file, all_threads=True)
        except Exception:
            log.debug("memlens: faulthandler could not be enabled", exc_info=True)
            self._crash_file = None

    def close(self) -> None:
        """Python's shutdown: a clean end while idle removes the record; a shutdown during
        a cell is recorded as ``exited``."""
        with self._lock:
            if not self._started or self._stopped or self._record.get("pid") != os.getpid():
                return  # a forked child's exit is not this kernel's
            running = self._record.get("state") == "running"
            self._stopped = True
            if running:
                self._record["state"] = "exited"
                self._write_locked()
                return
        self._forget()

    def stop(self) -> None:
        """Stop keeping the record (``%unload_ext``): remove it and the crash file."""
        with self._lock:
            if not self._started or self._stopped:
                return
            self._stopped = True
        self._forget()

    def _forget(self) -> None:
        if self._fd >= 0:
            try:
                os.close(self._fd)
            except OSError:
                pass
            self._fd = -1
        if self._crash_file is not None:
            try:
                if faulthandler.is_enabled():
                    faulthandler.disable()
                self._crash_file.close()
            except Exception:
                pass
            self._crash_file = None
        _remove(self.path)
        _remove(self.crash_path)

    # -- updates ------------------------------------------------------------------------

    def _limit_now(self) -> tuple[int | None, str]:
        read_at, limit, source = self._limit
        now = time.monotonic()
        if now - read_at > LIMIT_CACHE_S:
            found = memory_limit()
            limit, source = found.limit, found.source
            self._limit = (now, limit, source)
        return limit, source

    def cell_started(
        self, cell_id: str | None, execution_count: int | None, preview: str, rss: int | None
    ) -> None:
        """A cell started (on the cell's thread; cheap)."""
        self._update(
            counters=2,
            state="running",
            cell_id=cell_id[:MAX_FIELD] if isinstance(cell_id, str) else None,
            execution_count=execution_count,
            preview=preview[:MAX_FIELD],
            rss=rss,
            rss_peak=rss,
        )

    def sample(self, rss: int | None, peak: int | None) -> None:
        """A live reading while a cell runs (from the sampler thread)."""
        self._update(counters=0, rss=rss, rss_peak=peak)

    def cell_ended(self, rss: int | None, peak: int | None) -> None:
        """The running cell ended."""
        self._update(counters=1, state="idle", rss=rss, rss_peak=peak)

    def _update(self, counters: int, **fields: Any) -> None:
        """Fold ``fields`` in and write. ``counters``: 0 keeps the OOM counters as they
        were (a live sample: a death during the cell is a rise since its start), 1 re-reads
        the cgroup's, 2 also the machine's."""
        if not self._started:
            return
        try:
            limit, source = self._limit_now()
            if counters:
                fields["cgroup_oom_kills"] = read_counter(self._oom_file)
            # /proc/vmstat counts every OOM kill on the machine and takes ~50 µs to
            # generate: read at a cell's start, at most every VMSTAT_EVERY_S (an older
            # baseline is still a baseline: the counter only grows), and only where no
            # cgroup limit applies (the only case exits.py takes it as evidence).
            if counters >= 2:
                now = time.monotonic()
                if source != "machine":
                    fields["system_oom_kills"] = None
                elif now - self._vmstat_read_at > VMSTAT_EVERY_S:
                    self._vmstat_read_at = now
                    fields["system_oom_kills"] = system_oom_kills()
        except Exception:
            limit, source = None, "unknown"
        with self._lock:
            if self._stopped:
                return
            self._record.update(fields)
            self._record.update(limit=limit, limit_source=source)
            self._write_locked()

    def _write(self) -> None:
        with self._lock:
            self._write_locked()

    def _write_locked(self) -> None:
        """Write the record so that a reader never sees half of one.

        The first write creates the file whole (a temporary file, then ``os.replace``) and
        keeps it open; later ones rewrite its one page in place with a single ``pwrite``,
        padded with spaces to :data:`RECORD_BYTES`. A write of one page is not cut short
        by a fatal signal (Linux checks for one between pages), so a process killed during
        it leaves the old record or the new one. ``os.replace`` costs ~0.3 ms on ext4,
        ``pwrite`` ~1 µs (BENCHMARKS.md). A record that outgrows the page is replaced whole.
        """
        self._record["updated"] = time.time()
        try:
            data = json.dumps(self._record, separators=(",", ":")).encode()
            if self._fd >= 0 and len(data) <= RECORD_BYTES and hasattr(os, "pwrite"):
                os.pwrite(self._fd, data.ljust(RECORD_BYTES), 0)
                return
            temporary = f"{self.path}.{os.getpid()}.tmp"
            fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, data.ljust(RECORD_BYTES))
                os.replace(temporary, self.path)
            except BaseException:
                os.close(fd)
                raise
            if self._fd >= 0:
                os.close(self._fd)
            self._fd = fd
        except Exception:
            log.debug("memlens: the kernel record could not be written", exc_info=True)


_forensics: Forensics | None = None
_forensics_lock = threading.Lock()
_first_report: list[dict[str, Any] | None] = []
"""The first keeper's report: what this process learnt of its predecessor, kept across a
``%unload_ext`` and a reload (which start a new keeper over a removed record)."""


def forensics() -> Forensics:
    """This kernel's record keeper, started on first use."""
    global _forensics
    with _forensics_lock:
        if _forensics is None:
            _forensics = Forensics(runtime_dir(), kernel_key())
        keeper = _forensics
    keeper.start()
    with _forensics_lock:
        if not _first_report:
            _first_report.append(keeper.last_exit)
    return keeper


def stop() -> None:
    """Stop keeping the record and forget the keeper (``%unload_ext``)."""
    global _forensics
    with _forensics_lock:
        keeper, _forensics = _forensics, None
    if keeper is not None:
        keeper.stop()


def last_exit() -> dict[str, Any] | None:
    """How the previous kernel with this kernel's id ended; see :mod:`memlens.cells.exits`."""
    forensics()
    report = _first_report[0]
    return None if report is None else dict(report, evidence=list(report["evidence"]))
