"""The ``run`` and ``output`` blocks of a simulation config, checked and typed.

Everything here is validated before any network is read, so a bad ``dt`` or ``tstop`` stops
the run before it has touched a file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cantata.errors import ConfigError
from cantata.sonata.config import OUTPUT_OFF, SonataConfig
from cantata.sonata.spikes import normalise_sort_order

__all__ = ["LogSettings", "OutputSettings", "RunSettings"]

DEFAULT_NSTEPS_BLOCK = 5000
DEFAULT_LOG_FORMAT = "%(asctime)s [%(levelname)s] %(message)s"
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_OFF = OUTPUT_OFF


def _number(block: dict[str, Any], key: str, where: str, file: Any, *, default: float | None = None,
            positive: bool = False, minimum: float | None = None) -> float | None:
    value = block.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError("must be a finite number", file=file, key=f"{where}.{key}",
                          expected="a number", found=value)
    if positive and value <= 0:
        raise ConfigError("must be positive", file=file, key=f"{where}.{key}", expected="a number > 0", found=value)
    if minimum is not None and value < minimum:
        raise ConfigError("is too small", file=file, key=f"{where}.{key}", expected=f"a number >= {minimum}",
                          found=value)
    return float(value)


def _integer(block: dict[str, Any], key: str, where: str, file: Any, default: int | None, minimum: int) -> int | None:
    value = block.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < minimum:
        raise ConfigError("must be a whole number", file=file, key=f"{where}.{key}",
                          expected=f"an integer >= {minimum}", found=value)
    return int(value)


def _flag(block: dict[str, Any], key: str, where: str, file: Any, default: bool) -> bool:
    value = block.get(key, default)
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not isinstance(value, bool):
        raise ConfigError("must be true or false", file=file, key=f"{where}.{key}", expected="a boolean",
                          found=value)
    return value


@dataclass(frozen=True)
class RunSettings:
    """Times in ms. The network is simulated from 0 to ``tstop``; outputs start at ``tstart``."""

    tstop: float
    dt: float
    tstart: float = 0.0
    nsteps_block: int = DEFAULT_NSTEPS_BLOCK
    random_seed: int | None = None
    threads: int = 1
    spike_threshold: float | None = None
    allow_offgrid_spikes: bool = False

    @property
    def n_steps(self) -> int:
        """Number of dt steps from 0 to tstop."""
        return round(self.tstop / self.dt)

    @property
    def block_ms(self) -> float:
        """Simulated time between two flushes of the outputs."""
        return self.nsteps_block * self.dt

    def block_ends(self) -> list[float]:
        """Absolute end time of every block; the last is ``tstop``."""
        steps = list(range(self.nsteps_block, self.n_steps, self.nsteps_block)) + [self.n_steps]
        return [s * self.dt for s in steps]

    @classmethod
    def from_config(cls, config: SonataConfig, *, threads: int | None = None) -> RunSettings:
        file = config.path
        run = config.run
        for key in ("tstop", "dt"):
            if key not in run and not (key == "tstop" and "duration" in run):
                raise ConfigError(f"missing run.{key}", file=file, key=f"run.{key}",
                                  expected="a positive number of ms", found=None)
        tstop_key = "tstop" if "tstop" in run else "duration"  # PointNet's old name
        tstop = _number(run, tstop_key, "run", file, positive=True)
        dt = _number(run, "dt", "run", file, positive=True)
        tstart = _number(run, "tstart", "run", file, default=0.0, minimum=0.0)
        assert tstop is not None and dt is not None and tstart is not None
        if tstart >= tstop:
            raise ConfigError("run.tstart must be before run.tstop", file=file, key="run.tstart",
                              expected=f"a time < {tstop}", found=tstart)
        n_steps = tstop / dt
        if abs(n_steps - round(n_steps)) > 1e-6 * max(1.0, n_steps):
            raise ConfigError("run.tstop must be a whole number of dt steps", file=file, key="run.tstop",
                              expected=f"a multiple of dt={dt}", found=tstop)
        block = _integer(run, "nsteps_block", "run", file, DEFAULT_NSTEPS_BLOCK, 1)
        if "nsteps_block" not in run and run.get("block_run") and "block_size" in run:
            block = _integer(run, "block_size", "run", file, None, 1)  # PointNet's block_run/block_size
        seed = _integer(run, "random_seed", "run", file, None, 0)
        cfg_threads = run.get("n_threads", run.get("n_thread"))
        if threads is None:
            threads = _integer({"n_threads": cfg_threads}, "n_threads", "run", file, 1, 1)
        elif isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ConfigError("thread count must be a positive integer", key="--threads", found=threads)
        return cls(
            tstop=tstop, dt=dt, tstart=tstart, nsteps_block=block or DEFAULT_NSTEPS_BLOCK,
            random_seed=seed, threads=int(threads or 1),
            spike_threshold=_number(run, "spike_threshold", "run", file),
            allow_offgrid_spikes=_flag(run, "allow_offgrid_spikes", "run", file, False),
        )


@dataclass(frozen=True)
class LogSettings:
    """BMTK's logging keys: ``log_file``, ``log_level``, ``log_format``, ``log_to_console``."""

    file: Path | None = None
    level: str = "INFO"
    format: str = DEFAULT_LOG_FORMAT
    to_console: bool = True
    quiet_simulator: bool = False


@dataclass(frozen=True)
class OutputSettings:
    """Where results go and what to do about earlier results."""

    output_dir: Path
    overwrite: bool
    spikes_file: Path | None
    spikes_file_csv: Path | None
    sort_by: str
    log: LogSettings
    spikes_file_nwb: Path | None = None

    @classmethod
    def from_config(cls, config: SonataConfig, *, output_dir: str | Path | None = None) -> OutputSettings:
        file = config.path
        out = config.output
        old_dir = config.output_dir
        new_dir = Path(output_dir).expanduser().absolute() if output_dir is not None else old_dir

        def path_of(key: str) -> Path | None:
            value = out.get(key)
            if value is None or value is False or (isinstance(value, str) and value.strip().lower() in _OFF):
                return None
            if not isinstance(value, str):
                raise ConfigError("must be a file name", file=file, key=f"output.{key}", expected="a string",
                                  found=value)
            return rebase(Path(value), old_dir, new_dir)

        # overwrite_output_dir is an output key; BMTK examples also put it in "run"
        flags = {**{k: v for k, v in config.run.items() if k == "overwrite_output_dir"}, **out}
        overwrite = _flag(flags, "overwrite_output_dir", "output", file, True)
        sort_key = next((k for k in ("sort_by", "spikes_sort_order") if k in out), None)
        sort_by = normalise_sort_order(out[sort_key], file=file, key=f"output.{sort_key}") if sort_key else "time"
        level = str(out.get("log_level", "INFO")).upper()
        if level not in _LOG_LEVELS:
            raise ConfigError("unknown log level", file=file, key="output.log_level",
                              expected="one of " + ", ".join(_LOG_LEVELS), found=out.get("log_level"))
        fmt = out.get("log_format", DEFAULT_LOG_FORMAT)
        if not isinstance(fmt, str) or not fmt:
            raise ConfigError("must be a logging format string", file=file, key="output.log_format", found=fmt)
        log = LogSettings(
            file=path_of("log_file"), level=level, format=fmt,
            to_console=_flag(out, "log_to_console", "output", file, True),
            quiet_simulator=_flag(out, "quiet_simulator", "output", file, False),
        )
        return cls(
            output_dir=new_dir, overwrite=overwrite, spikes_file=path_of("spikes_file"),
            spikes_file_csv=path_of("spikes_file_csv"), sort_by=sort_by, log=log,
            spikes_file_nwb=path_of("spikes_file_nwb"),
        )

    def report_path(self, config: SonataConfig, file_name: str | Path) -> Path:
        """A report's file, moved along with the output folder when ``--output-dir`` is given."""
        return rebase(Path(file_name), config.output_dir, self.output_dir)


def rebase(path: Path, old_dir: Path, new_dir: Path) -> Path:
    """``path`` moved from ``old_dir`` to ``new_dir`` if it lies inside ``old_dir``."""
    if old_dir == new_dir:
        return path
    try:
        return new_dir / path.relative_to(old_dir)
    except ValueError:
        return path
