"""``from cantata.compat import filternet``: BMTK FilterNet run scripts, run by Cantata's
filternet engine.

The standard script runs unchanged apart from its import::

    from cantata.compat import filternet

    config = filternet.Config.from_json("config.json")
    config.build_env()
    net = filternet.FilterNetwork.from_config(config)
    sim = filternet.FilterSimulator.from_config(config, net)
    sim.run()

The movie comes from the config's ``inputs`` block and the outputs from its ``output`` block
(docs/engines/filternet.md). Names BMTK has and this module does not support raise an error
that says what to use instead.
"""

from __future__ import annotations

from typing import Any, ClassVar

from cantata.compat._config import Config as _BaseConfig
from cantata.compat._names import IOLog, missing_attribute, unsupported
from cantata.compat._runner import ShimNetwork, ShimSimulator
from cantata.errors import ConfigError

__all__ = ["Config", "FilterNetwork", "FilterSimulator", "io"]

_SUPPORTED = "Config, FilterNetwork, FilterSimulator, io"


class Config(_BaseConfig):
    """BMTK's ``filternet.Config``: the shared :class:`cantata.compat._config.Config` plus ``jitter``."""

    @property
    def jitter(self) -> tuple[float, float] | None:
        """``(conditions.jitter_lower, conditions.jitter_upper)``, or None when neither is set.
        As in BMTK 1.2 these are checked but do not jitter anything (per-node ``jitter_lower``/
        ``jitter_upper`` attributes do)."""
        from cantata.sim.engines.filter.jitter import jitter_range

        try:
            found = jitter_range(self.conditions, "conditions")
        except ValueError as exc:
            raise ConfigError(str(exc).split(": ", 1)[1], file=self.path, key="conditions.jitter_lower",
                              expected="0 <= jitter_lower <= jitter_upper") from None
        return None if found is None else (found.lower, found.upper)


class FilterNetwork(ShimNetwork):
    """BMTK's ``filternet.FilterNetwork``: ``FilterNetwork.from_config(conf)``."""

    bmtk_name: ClassVar[str] = "filternet.FilterNetwork"

    def add_weight_function(self, fnc: Any, name: str | None = None, **kwargs: Any) -> Any:
        raise NotImplementedError("FilterNet networks have no synapses: there are no weight functions to add")

    def set_default_processing(self, processing_fnc: Any) -> None:
        raise NotImplementedError("custom cell processing is not supported: the filternet engine builds its units "
                                  "from model_template 'lgnmodel:<type>' (docs/engines/filternet.md)")


class FilterSimulator(ShimSimulator):
    """BMTK's ``filternet.FilterSimulator``: ``FilterSimulator.from_config(config, network)``, then ``run()``."""

    bmtk_name: ClassVar[str] = "filternet.FilterSimulator"
    engine: ClassVar[str] = "filternet"

    @classmethod
    def from_config(cls, config: Any, network: FilterNetwork | None = None) -> FilterSimulator:
        """Build the config's LGN units and movie on the filternet engine (``target_simulator``
        is not consulted: FilterNet always means the filternet engine). Cantata evaluates the
        rates and draws the spikes here (BMTK does in ``run``); :meth:`run` writes the files."""
        return cls._create(config, network, None)

    def add_movie(self, movie_type: Any, params: Any) -> None:
        raise NotImplementedError("add_movie is not supported: describe the movie in the config's inputs block "
                                  "(input_type 'movie', module movie/full_field_flash/graiting/looming)")

    def add_audio(self, audio_type: Any, params: Any) -> None:
        raise NotImplementedError("audio inputs are not supported by the filternet engine")


io = IOLog()

cell_processor = unsupported("filternet.cell_processor",
                             "units are built from model_template 'lgnmodel:<type>' (docs/engines/filternet.md)")


def __getattr__(name: str) -> Any:
    raise missing_attribute(__name__, name, _SUPPORTED)
