"""memlens.wire."""
