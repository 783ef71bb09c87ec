"""JupyterLab server configuration for the Galata tests.

Galata picks a temporary root directory; each test uploads what it needs
into its own folder there, so the tests never write into the repository.
"""

from jupyterlab.galata import configure_jupyter_server

c = get_config()  # type: ignore[name-defined]  # noqa: F821
configure_jupyter_server(c)

c.ServerApp.allow_root = True
c.ServerApp.open_browser = False
