"""memlens.cells."""
