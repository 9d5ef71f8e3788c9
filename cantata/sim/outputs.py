"""Output policy and the spike output.

* :func:`check_outputs`: with ``overwrite_output_dir: false``, existing results stop the run
  before anything is simulated (or written).
* :class:`SpikeOutput`: spikes collected block by block as numpy chunks, written to the
  ``spikes_file`` (h5) / ``spikes_file_csv`` when the run completes. After a crash what was
  collected so far goes to ``<stem>.partial<suffix>`` so nothing flushed is lost and nothing
  looks complete.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from cantata.errors import SimulationError
from cantata.sonata.reports import partial_path
from cantata.sonata.spikes import SpikeTrains

if TYPE_CHECKING:
    from cantata.sim.settings import OutputSettings

__all__ = ["SpikeOutput", "check_outputs"]

log = logging.getLogger("cantata")


def check_outputs(settings: OutputSettings, paths: Iterable[Path], *, config_file: object = None) -> None:
    """Refuse to run when ``overwrite_output_dir`` is false and a result file already exists.

    The log file is not a result (it is appended to), so it never blocks a run.
    """
    if settings.overwrite:
        return
    existing = sorted({str(p) for p in paths if p is not None and Path(p).exists()})
    if existing:
        shown = ", ".join(existing[:5]) + (f" and {len(existing) - 5} more" if len(existing) > 5 else "")
        raise SimulationError(
            "earlier results exist and overwrite_output_dir is false; nothing was simulated",
            file=config_file, key="output.overwrite_output_dir",
            expected="true, or a different output_dir", found=shown,
        )


class SpikeOutput:
    """Collects spikes per population; writes h5/csv atomically at the end."""

    def __init__(self, settings: OutputSettings, tstart: float) -> None:
        self.settings = settings
        self.tstart = tstart
        self._chunks: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        self._populations: list[str] = []
        self.written = False

    @property
    def files(self) -> list[Path]:
        paths = (self.settings.spikes_file, self.settings.spikes_file_csv, self.settings.spikes_file_nwb)
        return [p for p in paths if p is not None]

    def declare(self, populations: Iterable[str]) -> None:
        """Populations that get a group in the file even if they never spike."""
        self._populations = list(populations)

    def add(self, spikes: dict[str, tuple[np.ndarray, np.ndarray]]) -> int:
        """Append one block of spikes; returns how many were kept (``t >= tstart``)."""
        kept = 0
        for population, (ids, times) in spikes.items():
            mask = times >= self.tstart
            if not mask.all():
                ids, times = ids[mask], times[mask]
            if ids.size:
                self._chunks.setdefault(population, []).append(
                    (ids.astype(np.int64, copy=False), times.astype(np.float64, copy=False)))
                kept += int(ids.size)
        return kept

    def trains(self) -> SpikeTrains:
        """Everything collected so far, in the configured order; spikes at equal times are in
        node-id order, so the files are the same whatever the engine's or the ranks' order."""
        data = {}
        for population in dict.fromkeys([*self._populations, *self._chunks]):
            chunks = self._chunks.get(population, [])
            if chunks:
                data[population] = (np.concatenate([c[0] for c in chunks]), np.concatenate([c[1] for c in chunks]))
            else:
                data[population] = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))
        return SpikeTrains(data).sorted(self.settings.sort_by, canonical=True)

    def write(self) -> list[Path]:
        """Write the complete spike files (replacing earlier ones only now, atomically)."""
        trains = self.trains()
        written = []
        if self.settings.spikes_file is not None:
            written.append(trains.write_h5(self.settings.spikes_file, sort_by=self.settings.sort_by, overwrite=True))
        if self.settings.spikes_file_csv is not None:
            written.append(trains.write_csv(self.settings.spikes_file_csv, sort_by=self.settings.sort_by,
                                            overwrite=True))
        if self.settings.spikes_file_nwb is not None:
            from cantata.sonata.spikes_nwb import write_nwb_spikes  # pynwb only when asked for

            written.append(write_nwb_spikes(trains, self.settings.spikes_file_nwb, overwrite=True))
        self.written = True
        return written

    def write_partial(self) -> list[Path]:
        """After an error: what was collected goes to ``<stem>.partial<suffix>`` files."""
        if not self._chunks or self.written:
            return []
        trains = self.trains()
        written = []
        try:
            if self.settings.spikes_file is not None:
                written.append(trains.write_h5(partial_path(self.settings.spikes_file),
                                               sort_by=self.settings.sort_by, overwrite=True))
            if self.settings.spikes_file_csv is not None:
                written.append(trains.write_csv(partial_path(self.settings.spikes_file_csv),
                                                sort_by=self.settings.sort_by, overwrite=True))
        except Exception as exc:  # noqa: BLE001 - never hide the original error behind this one
            log.error("could not save the partial spikes: %s", exc)
        return written
