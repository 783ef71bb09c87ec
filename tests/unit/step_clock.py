"""A stand-in for ``time.perf_counter`` for the tests of time budgets: on a loaded machine
a walk can be descheduled for longer than a whole test budget, so those tests time the
walk on this clock instead, and a budget runs out after a set amount of work."""

from __future__ import annotations


class StepClock:
    """Advances ``step`` seconds each time it is read. The walk reads the clock about once
    per check (every CHUNK objects or every 32 small batches), at the start of each root
    and at its ends, so a budget of ``n * step`` lasts about ``n`` checks."""

    def __init__(self, step: float) -> None:
        self.step = step
        self.now = 0.0

    def __call__(self) -> float:
        self.now += self.step
        return self.now
