"""JupyterLab server configuration for the Galata tests.

Galata picks a temporary root directory; each test uploads what it needs
into its own folder there, so the tests never write into the repository.

The port comes from ``MEMLENS_UI_PORT`` (playwright.config.js sets it to a
free port); without it, a free port is picked here. Never JupyterLab's default
8888, where a developer's own JupyterLab may be running.
"""

import os
import socket

from jupyterlab.galata import configure_jupyter_server


def free_port() -> int:
    """A TCP port free on localhost right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


c = get_config()  # type: ignore[name-defined]  # noqa: F821
configure_jupyter_server(c)

c.ServerApp.port = int(os.environ.get("MEMLENS_UI_PORT") or free_port())
# Fail rather than drift to another port the tests would not know.
c.ServerApp.port_retries = 0
c.ServerApp.allow_root = True
c.ServerApp.open_browser = False

# Remote kernels: playwright.gateway.config.js starts a Jupyter Kernel Gateway and
# points this server at it, so every kernel runs there and only comms reach memlens.
if os.environ.get("MEMLENS_GATEWAY_URL"):
    c.GatewayClient.url = os.environ["MEMLENS_GATEWAY_URL"]
