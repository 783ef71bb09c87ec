"""The kernel's memory as a whole: what its RSS is made of, and actions that free some.

:func:`kernel_memory` divides the RSS into parts; :mod:`.actions` collects garbage,
returns free memory to the OS and clears the output cache, each measuring what it gave
back. Both only read probes and the sizing walk; they know nothing of comms.
"""

from __future__ import annotations

from .actions import ACTIONS, run_action
from .memory import PARTS, kernel_memory

__all__ = ["ACTIONS", "PARTS", "kernel_memory", "run_action"]
