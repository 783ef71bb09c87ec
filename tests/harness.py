"""Real kernels for the tests: start one, execute code, talk to it over a memlens comm.

Everything goes through jupyter_client's shell and iopub channels as a frontend's
messages would; nothing is mocked.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "scripts"))

from bundle_kernel_source import bootstrap_code  # noqa: E402

BOOTSTRAP_CODE = bootstrap_code(REPO_ROOT)
TIMEOUT = 30

# Hides an installed memlens from the kernel: find_spec("memlens") then returns None.
HIDE_MEMLENS = (
    "import sys; sys.modules['memlens'] = None; "
    "from ipykernel.kernelapp import launch_new_instance; launch_new_instance()"
)

# A silent execute's user_expressions that capture what a user could see of the
# namespace and history. Evaluated in the user namespace, they change nothing.
STATE_EXPRESSIONS = {
    "names": "sorted(get_ipython().user_ns)",
    "hidden": "sorted(get_ipython().user_ns_hidden)",
    "execution_count": "get_ipython().execution_count",
    "In": "list(In)",
    "Out": "sorted(Out.items())",
    "_": "_",
    "__": "__",
    "___": "___",
    "_i": "_i",
    "_ii": "_ii",
    "_iii": "_iii",
    "_oh": "sorted(_oh.items())",
    "_dh": "_dh",
}


@dataclass
class Flavour:
    """A way to start a kernel: its name, its python, and how memlens is (not) found."""

    name: str
    python: str
    memlens_on_path: bool
    """Put the repo on PYTHONPATH, so memlens is importable as installed."""
    hide_memlens: bool
    """Start the kernel with ``sys.modules["memlens"] = None``."""

    def argv(self) -> list[str]:
        if self.hide_memlens:
            return [self.python, "-c", HIDE_MEMLENS, "-f", "{connection_file}"]
        return [self.python, "-m", "ipykernel_launcher", "-f", "{connection_file}"]


@dataclass
class Kernel:
    """A started kernel and a client of it."""

    manager: KernelManager
    client: Any
    stderr_path: Path
    pending: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def start(cls, flavour: Flavour, workdir: Path) -> Kernel:
        """Start a kernel of ``flavour`` in ``workdir`` (which must not contain memlens)."""
        spec_dir = workdir / "kernels" / f"memlens-{flavour.name}"
        spec_dir.mkdir(parents=True)
        spec = {"argv": flavour.argv(), "display_name": flavour.name, "language": "python"}
        (spec_dir / "kernel.json").write_text(json.dumps(spec))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "JPY_"))}
        if flavour.memlens_on_path:
            env["PYTHONPATH"] = str(REPO_ROOT)
        # The kernel's record of a running cell (memlens.last_exit) goes to Jupyter's runtime
        # dir: keep test kernels' records in the test's own folder, not the user's.
        env["JUPYTER_RUNTIME_DIR"] = str(workdir / "runtime")
        stderr_path = workdir / "kernel-stderr.log"
        manager = KernelManager(
            kernel_name=f"memlens-{flavour.name}",
            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(workdir / "kernels")]),
        )
        with open(stderr_path, "wb") as stderr:
            manager.start_kernel(env=env, cwd=str(workdir), stderr=stderr)
        client = manager.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=60)
        except Exception:
            client.stop_channels()
            manager.shutdown_kernel(now=True)
            raise
        return cls(manager, client, stderr_path)

    def stop(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)

    @property
    def pid(self) -> int:
        return int(self.manager.provisioner.pid)

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    # -- shell and iopub ------------------------------------------------------------------

    def _iopub_until_idle(self, parent_id: str) -> list[dict[str, Any]]:
        """The iopub messages caused by ``parent_id``, up to and including its idle status."""
        messages = []
        while True:
            message = self.client.get_iopub_msg(timeout=TIMEOUT)
            if message["parent_header"].get("msg_id") != parent_id:
                self.pending.append(message)
                continue
            messages.append(message)
            if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                return messages

    def execute(
        self,
        code: str,
        *,
        silent: bool = False,
        store_history: bool = True,
        user_expressions: dict[str, str] | None = None,
        cell_id: str | None = None,
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Run ``code``; return the execute_reply content and the iopub messages it caused.

        ``cell_id`` is sent as JupyterLab sends it: ``cellId`` in the request's metadata.
        """
        msg_id = self.send_execute(
            code,
            silent=silent,
            store_history=store_history,
            user_expressions=user_expressions,
            cell_id=cell_id,
        )
        reply = self.shell_reply(msg_id)
        return reply["content"], self._iopub_until_idle(msg_id)

    def send_execute(
        self,
        code: str,
        *,
        silent: bool = False,
        store_history: bool = True,
        user_expressions: dict[str, str] | None = None,
        cell_id: str | None = None,
    ) -> str:
        """Send an execute_request without waiting; return its msg_id."""
        content = {
            "code": code,
            "silent": silent,
            "store_history": store_history,
            "user_expressions": user_expressions or {},
            "allow_stdin": False,
            "stop_on_error": True,
        }
        metadata = {} if cell_id is None else {"cellId": cell_id}
        message = self.client.session.msg("execute_request", content, metadata=metadata)
        self.client.shell_channel.send(message)
        return str(message["header"]["msg_id"])

    def stream_text(self, iopub: list[dict[str, Any]], name: str = "stdout") -> str:
        """The text a cell's iopub messages printed to ``name``."""
        return "".join(
            m["content"]["text"]
            for m in iopub
            if m["msg_type"] == "stream" and m["content"]["name"] == name
        )

    def bootstrap(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Run the frontend's bootstrap code as the frontend does."""
        return self.execute(BOOTSTRAP_CODE, silent=True, store_history=False)

    def evaluate(self, expressions: dict[str, str]) -> dict[str, Any]:
        """Evaluate expressions in a silent execute; return their text/plain reprs."""
        reply, _ = self.execute("", silent=True, store_history=False, user_expressions=expressions)
        assert reply["status"] == "ok", reply
        values = {}
        for name, result in reply["user_expressions"].items():
            assert result["status"] == "ok", (name, result)
            values[name] = result["data"]["text/plain"]
        return values

    def state(self) -> dict[str, Any]:
        """What the user could see of the namespace and history, as reprs."""
        return self.evaluate(STATE_EXPRESSIONS)

    def _send_shell(
        self, msg_type: str, content: dict[str, Any], subshell_id: str | None = None
    ) -> str:
        message = self.client.session.msg(msg_type, content)
        if subshell_id is not None:
            message["header"]["subshell_id"] = subshell_id
        self.client.shell_channel.send(message)
        return str(message["header"]["msg_id"])

    def shell_reply(self, msg_id: str) -> dict[str, Any]:
        """The shell reply to ``msg_id`` (other replies are dropped)."""
        while True:
            reply = self.client.get_shell_msg(timeout=TIMEOUT)
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply  # type: ignore[no-any-return]

    def create_subshell(self) -> str:
        """A new subshell (ipykernel 7+): requests sent to it run on their own thread."""
        message = self.client.session.msg("create_subshell_request", {})
        self.client.control_channel.send(message)
        while True:
            reply = self.client.get_control_msg(timeout=TIMEOUT)
            if reply["parent_header"].get("msg_id") == message["header"]["msg_id"]:
                return str(reply["content"]["subshell_id"])

    def open_comm(self, data: Any = None) -> tuple[str, list[Any]]:
        """Open a memlens comm; return its id and the data of the comm_msgs the open caused."""
        comm_id = uuid.uuid4().hex
        msg_id = self._send_shell(
            "comm_open",
            {
                "comm_id": comm_id,
                "target_name": "memlens",
                "data": {"v": 1} if data is None else data,
            },
        )
        return comm_id, self._comm_data(msg_id, comm_id)

    def close_comm(self, comm_id: str) -> None:
        msg_id = self._send_shell("comm_close", {"comm_id": comm_id, "data": {}})
        self._iopub_until_idle(msg_id)

    def _comm_data(self, msg_id: str, comm_id: str) -> list[Any]:
        messages = self._iopub_until_idle(msg_id)
        for message in messages:
            if message["msg_type"] == "comm_close":
                raise AssertionError(f"the kernel closed the comm: {message['content']}")
        return [
            m["content"]["data"]
            for m in messages
            if m["msg_type"] == "comm_msg" and m["content"]["comm_id"] == comm_id
        ]

    def send(self, comm_id: str, data: Any, subshell_id: str | None = None) -> list[Any]:
        """Send comm data; return the data of every comm_msg the kernel sent back for it."""
        msg_id = self._send_shell("comm_msg", {"comm_id": comm_id, "data": data}, subshell_id)
        return self._comm_data(msg_id, comm_id)

    def ask(
        self,
        comm_id: str,
        command: str,
        args: Any = None,
        *,
        subshell_id: str | None = None,
        timeout: float = TIMEOUT,
    ) -> tuple[Any, dict[str, Any]]:
        """Send one request and wait for its reply, however late it comes (``variables``
        and ``expand`` are answered from a background thread, after the comm_msg's idle
        status). Returns the reply's data and the comm_msg it came in."""
        request_id = uuid.uuid4().hex[:12]
        data = {"v": 1, "type": "request", "id": request_id, "command": command, "args": args}
        msg_id = self._send_shell("comm_msg", {"comm_id": comm_id, "data": data}, subshell_id)
        message = self.wait_for_reply(comm_id, request_id, timeout=timeout)
        message["request_msg_id"] = msg_id
        return message["content"]["data"], message

    def wait_for_reply(
        self, comm_id: str, request_id: str, *, timeout: float = TIMEOUT
    ) -> dict[str, Any]:
        """The iopub comm_msg on ``comm_id`` whose data answers ``request_id``."""
        deadline = time.monotonic() + timeout
        for message in list(self.pending):
            if _answers(message, comm_id, request_id):
                self.pending.remove(message)
                return message
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no reply to {request_id} within {timeout} s")
            message = self.client.get_iopub_msg(timeout=left)
            if _answers(message, comm_id, request_id):
                return message  # type: ignore[no-any-return]
            self.pending.append(message)

    def request(
        self,
        comm_id: str,
        command: str,
        args: Any = None,
        request_id: str = "",
        subshell_id: str | None = None,
    ) -> Any:
        """Send one request and return its one reply."""
        request_id = request_id or uuid.uuid4().hex[:12]
        data = {"v": 1, "type": "request", "id": request_id, "command": command, "args": args or {}}
        replies = self.send(comm_id, data, subshell_id)
        assert len(replies) == 1, replies
        assert replies[0]["id"] == request_id, replies[0]
        return replies[0]


def _answers(message: dict[str, Any], comm_id: str, request_id: str) -> bool:
    if message["msg_type"] != "comm_msg":
        return False
    content = message["content"]
    data = content.get("data")
    return (
        content.get("comm_id") == comm_id
        and isinstance(data, dict)
        and data.get("id") == request_id
    )
