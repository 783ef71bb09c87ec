"""memlens: where did my notebook's memory go?

The kernel side of the JupyterLab extension ``jupyterlab-memlens``. Importing this
package is cheap and imports nothing outside the standard library: the comm is
registered by :func:`memlens.comm.register`, which the frontend's bootstrap calls.
"""

from __future__ import annotations

from ._version import __version__

__all__ = ["__version__"]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where JupyterLab finds the prebuilt frontend of this package."""
    return [{"src": "labextension", "dest": "jupyterlab-memlens"}]
