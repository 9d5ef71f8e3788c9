"""Locate simulation results: from a config (its ``output`` and ``reports`` blocks) or from files."""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Any

from cantata.errors import CantataError
from cantata.sonata.config import OUTPUT_OFF, SonataConfig, load_config
from cantata.sonata.spikes import SpikeTrains

Source = str | PathLike[str] | SonataConfig | SpikeTrains


def as_config(source: str | PathLike[str] | SonataConfig) -> SonataConfig | None:
    """The config behind ``source``, or None when ``source`` is a data file (not JSON)."""
    if isinstance(source, SonataConfig):
        return source
    if Path(source).suffix.lower() == ".json":
        return load_config(source)
    return None


def pick_source(source: Any = None, **keywords: Any) -> Any:
    """The one source given positionally or by one of BMTK's keywords (``config_file=``,
    ``spikes_file=``, ``report_path=``)."""
    given = {name: value for name, value in (("source", source), *keywords.items()) if value is not None}
    if len(given) != 1:
        names = ", ".join(f"{k}=" for k in keywords)
        raise CantataError("give exactly one source", key="source",
                           expected=f"a config, a data file or SpikeTrains, positional or as one of {names}",
                           found=", ".join(given) or "none")
    return next(iter(given.values()))


def spikes_file(config: SonataConfig) -> Path:
    """Path of the h5 (else csv) spike output named by a config."""
    output = config.output
    for key in ("spikes_file", "spikes_file_csv"):
        value = output.get(key)
        if isinstance(value, str) and value.strip().lower() not in OUTPUT_OFF:
            return Path(value)
    return Path(output.get("output_dir", config.base_dir / "output")) / "spikes.h5"


def load_spikes(source: Source) -> SpikeTrains:
    """Spike trains from a config's output, a spike file (h5/csv) or a SpikeTrains (returned as is)."""
    if isinstance(source, SpikeTrains):
        return source
    config = as_config(source)
    path = spikes_file(config) if config is not None else Path(source)
    if not path.exists():
        where = f" (named by {config.path})" if config is not None else ""
        raise CantataError(f"spike file not found{where}; has the simulation been run?", file=path)
    return SpikeTrains.read(path)


def report_file(
    config: SonataConfig, report: str | None = None, *, modules=("membrane_report", "multimeter_report")
) -> Path:
    """Path of a frame report named by a config (the only one of its kind if ``report`` is None)."""
    reports = {
        name: block for name, block in config.reports.items() if block.get("module") in modules
    }
    if report is None:
        if len(reports) != 1:
            raise CantataError(
                "choose a report by name",
                file=config.path,
                key="reports",
                expected=f"one of {sorted(reports)}" if reports else "a membrane_report block",
                found=f"{len(reports)} reports",
            )
        report = next(iter(reports))
    if report not in reports:
        raise CantataError(
            "no such membrane report", file=config.path, key=f"reports.{report}", expected=sorted(reports)
        )
    block = reports[report]
    name = block.get("file_name") or f"{report}.h5"
    path = Path(name)
    if not path.is_absolute():
        path = Path(config.output.get("output_dir", config.base_dir / "output")) / path
    return path
