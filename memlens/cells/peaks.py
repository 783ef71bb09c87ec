"""A cell's RSS before and after and its peak: exact (VmHWM reset) or sampled.

``"exact"`` resets VmHWM through /proc/self/clear_refs at a cell's start and reads it at
the end (a side effect user code can see: ``resource.getrusage().ru_maxrss`` and VmHWM
then report the peak since the cell started). ``"sampled"`` polls RSS on a thread every
:data:`~memlens.probes.sampler.SAMPLE_INTERVAL_S` seconds: a lower bound that misses short
spikes. ``"none"`` measures no peak.

Every reading of a peak is folded into every other running cell too (nested cells,
cells on other threads): a reset by one cell must not hide another's peak. The caller
holds its lock around :meth:`PeakMeter.start` and :meth:`PeakMeter.end`.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..probes import process
from ..probes.sampler import SAMPLE_INTERVAL_S, PeakSampler
from ..wire.protocol import CellRecord
from .record import CellStart


class PeakMeter:
    """Measures RSS and the peak around cells; ``mode`` is ``"auto"`` (exact where
    possible, else sampled), ``"sampled"`` or ``"none"``."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self._sampler: PeakSampler | None = None

    def _sampler_for(self) -> PeakSampler:
        if self._sampler is None:
            self._sampler = PeakSampler(SAMPLE_INTERVAL_S)
        return self._sampler

    @staticmethod
    def _fold_all(running: Iterable[CellStart], size: int | None) -> None:
        """Fold a peak reading into every other running cell (of any thread)."""
        for start in running:
            start.fold_peak(size)

    def start(self, start: CellStart, running: Iterable[CellStart]) -> None:
        """RSS before, and the peak's starting point; ``running``: the other cells."""
        running = list(running)
        mode = self.mode
        if mode == "auto":
            rss, hwm, reset = process.read_and_reset_hwm()
            self._fold_all(running, hwm)
            if reset:
                start.peak_method = "exact"
        else:
            rss, hwm = process.rss_and_hwm()
        start.rss = rss
        start.fold_peak(rss)
        if start.peak_method != "exact" and rss is not None and mode != "none":
            sampler = self._sampler_for()
            self._fold_all(running, sampler.take())
            sampler.start()
            start.peak_method = "sampled"

    def end(self, start: CellStart, record: CellRecord, running: Iterable[CellStart]) -> None:
        """RSS after and the peak, into ``record``; ``running``: the other cells."""
        running = list(running)
        rss, hwm = process.rss_and_hwm()
        record["rss_after"] = rss
        if start.peak_method == "exact":
            self._fold_all(running, hwm)
            start.fold_peak(hwm)
        elif start.peak_method == "sampled":
            record["sample_interval_s"] = SAMPLE_INTERVAL_S
            sampler = self._sampler_for()
            sampled = sampler.take()
            sampler.stop()
            self._fold_all(running, sampled)
            start.fold_peak(sampled)
        if start.peak_method != "none":
            start.fold_peak(rss)
            start.fold_peak(start.rss)
            record["rss_peak"] = start.peak
