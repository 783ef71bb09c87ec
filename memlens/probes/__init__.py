"""Memory readings of the current process: measure only, no model and no comms.

Sizes are in bytes, as plain numbers and dataclasses; :mod:`memlens.wire` turns them into
messages. Standard library only; psutil is used when it is importable.

- :mod:`~memlens.probes.process`: RSS, its peak (VmHWM and its reset), a memory reading
- :mod:`~memlens.probes.sampler`: the sampled peak where VmHWM cannot be reset
- :mod:`~memlens.probes.allocators`: glibc malloc's counters and pymalloc's statistics
- :mod:`~memlens.probes.cgroup`: the memory cgroup's use and limits
- :mod:`~memlens.probes.capabilities`: which of these probes this kernel has
- :mod:`~memlens.probes.libc`: the C library, loaded once; :mod:`~memlens.probes.procfile`:
  the /proc files kept open
"""
