"""memlens.measure."""
