"""``input_type: movie`` for the filternet engine: the stimulus, and the rates output it drives.

Modules (BMTK FilterNet's names): ``movie`` (``data_file`` .npy/.npz or inline ``data``,
``frame_rate``, ``normalize``, ``flip_y``, ``row_range``, ``col_range``), ``full_field_flash``
(``row_size``, ``col_size``, ``t_on``, ``t_off`` ms, ``max_intensity``, ``frame_rate``),
``graiting``/``grating`` (``row_size``, ``col_size`` degrees, ``gray_screen_dur`` ms, ``cpd``,
``temporal_f``, ``theta``, ``phase``, ``contrast``, ``frame_rate``, ``degrees_per_pixel``,
``y_dir``) and ``looming`` (``row_size``, ``col_size`` pixels, ``t_looming`` s, ``frame_rate``).
Flash and grating movies last ``run.tstop``. ``evaluation_options`` as
:func:`cantata.sim.engines.filter.engine.evaluation_options`.

``full_field`` movies and ``input_type: audio`` are not supported (an error names the key).

The rates files (``output.rates_csv``, ``output.rates_h5``) are written by this module at the
end of the run: they are the units' response to this movie.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from cantata.errors import ConfigError
from cantata.sim.engines.filter.rates import write_rates_csv, write_rates_h5
from cantata.sim.modules import InputModule
from cantata.sim.outputs import check_outputs
from cantata.sim.registry import input_module
from cantata.sim.runlog import log
from cantata.sim.settings import rebase
from cantata.sonata.config import OUTPUT_OFF
from cantata.stimuli import movies

if TYPE_CHECKING:
    from cantata.sim.simulation import Simulation

__all__ = ["AudioInput", "MovieInput"]

_MODULES = ("movie", "full_field_flash", "graiting", "grating", "looming", "full_field")
_GRATING_KEYS = ("gray_screen_dur", "cpd", "temporal_f", "theta", "phase", "contrast", "degrees_per_pixel", "y_dir")


@input_module("movie", [*_MODULES, None], engine="filternet")
class MovieInput(InputModule):
    """One movie block; see the module docstring for its keys."""

    def __init__(self, name: str, params: dict[str, Any], *, config_file: Any = None) -> None:
        super().__init__(name, params, config_file=config_file)
        module = params.get("module", "movie") or "movie"
        if not isinstance(module, str) or module.lower() not in _MODULES:
            raise self.error("unknown movie module", "module", expected="one of " + ", ".join(_MODULES[:-1]),
                             found=module)
        self.module = module.lower()
        if self.module == "full_field":
            raise self.error("the full_field movie is not supported (BMTK 1.2 does not implement it either)",
                             "module", expected="full_field_flash, graiting, looming or movie", found=module)
        if self.module == "movie" and "t_range" in params:
            raise self.error("t_range is not supported for movie inputs", "t_range",
                             expected="frame_rate (frames start at t = 0)", found=params["t_range"])
        if "gray_sceen_dur" in params:
            raise self.error("unknown key gray_sceen_dur (BMTK's misspelling, which makes BMTK fail)",
                             "gray_sceen_dur", expected="no such key", found=params["gray_sceen_dur"])
        options = params.get("evaluation_options", {}) or {}
        if not isinstance(options, dict):
            raise self.error("evaluation_options must be an object", "evaluation_options", found=options)
        self.options = options
        self.rates_files: dict[str, Path] = {}

    def _number(self, key: str, default: Any = None) -> float:
        value = self.param(key, default, expected="a number") if default is not None else self.param(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(f"{key} must be a number", key, expected="a number", found=value)
        return float(value)

    def _movie(self, sim: Simulation) -> movies.Movie:
        tstop = sim.settings.tstop
        try:
            if self.module == "movie":
                return self._movie_array()
            if self.module == "full_field_flash":
                return movies.full_field_flash(
                    self._int("row_size"), self._int("col_size"), self._number("t_on"),
                    self._number("t_off"), tstop, max_intensity=self._number("max_intensity", 1.0),
                    frame_rate=self._number("frame_rate", 24.0))
            if self.module == "looming":
                if "gray_screen_dur" in self.params:
                    log.warning("%s is ignored: as in BMTK 1.2 the looming movie starts with 500 ms of gray",
                                self.where("gray_screen_dur"))
                return movies.looming_disc(self._int("row_size"), self._int("col_size"),
                                           t_looming=1000.0 * self._number("t_looming", 1.0),
                                           frame_rate=self._number("frame_rate", 1000.0))
            extra = {k: self.params[k] for k in _GRATING_KEYS if k in self.params}
            return movies.drifting_grating(self._number("row_size"), self._number("col_size"), tstop,
                                           frame_rate=self._number("frame_rate", 1000.0), **extra)
        except (ValueError, TypeError) as exc:
            raise self.error(str(exc), "module", found=self.module) from None

    def _int(self, key: str) -> int:
        value = self._number(key)
        if value != int(value) or value < 1:
            raise self.error(f"{key} must be a whole number of pixels", key, expected="an integer >= 1",
                             found=self.params[key])
        return int(value)

    def _movie_array(self) -> movies.Movie:
        frame_rate = self._number("frame_rate")
        ranges = {k: self.params[k] for k in ("row_range", "col_range") if k in self.params}
        if "data_file" not in self.params and "data" in self.params:
            data = self.params["data"]
            try:
                array = np.asarray(data, dtype=float)
            except (TypeError, ValueError):
                raise self.error("data must be a [time, rows, cols] array of numbers", "data") from None
            if self.params.get("normalize"):
                array = movies.normalize_contrast(array, self.params["normalize"])
            if self.params.get("flip_y"):
                array = array[:, ::-1, :] if array.ndim == 3 else array
            return movies.Movie.from_array(array, frame_rate, ranges.get("row_range"), ranges.get("col_range"))
        path = self.param("data_file", expected="a .npy movie file (or inline data)")
        if not isinstance(path, str):
            raise self.error("data_file must be a file name", "data_file", found=path)
        return movies.load_movie(path, frame_rate, normalize=self.params.get("normalize", False),
                                 flip_y=bool(self.params.get("flip_y", False)), key=self.where("data_file"), **ranges)

    def setup(self, sim: Simulation) -> None:
        for key in ("rates_csv", "rates_h5"):
            value = sim.config.output.get(key)
            if value is None or value is False or (isinstance(value, str) and value.strip().lower() in OUTPUT_OFF):
                continue
            if not isinstance(value, str):
                raise ConfigError("must be a file name", file=self.config_file, key=f"output.{key}", found=value)
            self.rates_files[key] = rebase(sim.config.output_path(value), sim.config.output_dir,
                                           sim.outputs.output_dir)
        check_outputs(sim.outputs, self.rates_files.values(), config_file=self.config_file)
        set_movie = getattr(sim.engine, "set_movie", None)
        if set_movie is None:
            raise self.error(f"movie inputs need the filternet engine, not {sim.engine.name}", "input_type")
        set_movie(self._movie(sim), self.options, where=self.where())

    def finalize(self, sim: Simulation) -> list[Path]:
        engine = sim.engine
        if not self.rates_files or engine is None or engine.times is None:
            return []
        table = engine.population_rates()
        written = []
        compression = sim.config.output.get("compression", "gzip")
        compression = None if str(compression).lower() == "none" else compression
        if "rates_h5" in self.rates_files:
            written.append(write_rates_h5(self.rates_files["rates_h5"], engine.times, table, compression=compression))
        if "rates_csv" in self.rates_files:
            written.append(write_rates_csv(self.rates_files["rates_csv"], engine.times, table))
        return written


@input_module("audio", None, engine="filternet")
class AudioInput(InputModule):
    """``input_type: audio`` (BMTK's cochleagram inputs for ``audmodel`` units): not supported."""

    def __init__(self, name: str, params: dict[str, Any], *, config_file: Any = None) -> None:
        super().__init__(name, params, config_file=config_file)
        raise self.error("audio inputs are not supported by the filternet engine (BMTK's wav_file/mat_file "
                         "cochleagrams need pycochleagram and audmodel units)", "input_type",
                         expected="input_type 'movie'", found=params.get("input_type", "audio"))
