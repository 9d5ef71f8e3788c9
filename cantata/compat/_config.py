"""BMTK's simulation ``Config`` on Cantata's :class:`~cantata.sonata.config.SonataConfig`."""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike, fspath
from typing import Any

from cantata.compat._names import IOLog, missing_attribute
from cantata.errors import ConfigError
from cantata.sonata.config import SonataConfig

__all__ = ["Config", "as_config"]

_SUPPORTED = ("from_json, from_dict, load, build_env, validate, io, dict access, the blocks (run, conditions, "
              "output, components, inputs, reports, node_sets, nodes, edges, networks) and dt, tstop, tstart, "
              "v_init, celsius, output_dir, log_file, mechanisms_dir, templates_dir, with_networks")


class Config(SonataConfig):
    """A resolved SONATA config with BMTK's ``Config`` methods and attribute names.

    It is a :class:`SonataConfig`: every Cantata function that takes one accepts it. Read the
    blocks as ``conf["run"]`` or ``conf.run``; the config is not meant to be changed in place
    (edit the JSON, or build one with :meth:`from_dict`).
    """

    env_built: bool = False

    # -- construction (BMTK signatures) ------------------------------------------------------
    @classmethod
    def from_json(cls, config_file: str | PathLike[str], validator: Any = None, **opts: Any) -> Config:
        """Load a config file. ``validate=`` is accepted (Cantata checks the config when the
        simulation is built; :meth:`validate` runs the full check); other keywords are manifest
        variables, as in BMTK."""
        _no_validator(validator)
        opts.pop("validate", None)
        config = super().from_json(config_file, **opts)
        assert isinstance(config, cls)
        return config

    @classmethod
    def from_dict(cls, config_dict: Mapping[str, Any], validator: Any = None, *,
                  base_dir: str | PathLike[str] = ".", **opts: Any) -> Config:
        """A config given as a dict; relative paths are taken from ``base_dir`` (default: the
        current folder, as BMTK does)."""
        _no_validator(validator)
        opts.pop("validate", None)
        if not isinstance(config_dict, Mapping):
            raise ConfigError("a config dict must be a mapping", key="config_dict", expected="dict",
                              found=type(config_dict).__name__)
        config = super().from_dict(config_dict, base_dir, **opts)
        assert isinstance(config, cls)
        return config

    @classmethod
    def load(cls, config_file: str | PathLike[str] | Mapping[str, Any], validator: Any = None,
             **opts: Any) -> Config:
        """:meth:`from_dict` for a dict, :meth:`from_json` for a path (YAML is not supported)."""
        if isinstance(config_file, Mapping):
            return cls.from_dict(config_file, validator, **opts)
        if isinstance(config_file, (str, PathLike)):
            if fspath(config_file).lower().endswith((".yml", ".yaml")):
                raise NotImplementedError("YAML configs are not supported (BMTK does not read them either); "
                                          "write the config as JSON")
            return cls.from_json(config_file, validator, **opts)
        raise ConfigError("cannot load a config from this object", key="config_file",
                          expected="a JSON file path or a dict", found=type(config_file).__name__)

    @classmethod
    def from_yaml(cls, config_file: Any, validator: Any = None, **opts: Any) -> Config:
        raise NotImplementedError("YAML configs are not supported (BMTK does not read them either); "
                                  "write the config as JSON")

    # -- BMTK's environment step ---------------------------------------------------------------
    def build_env(self, force: bool = False) -> None:
        """Create the output folder. Logging starts when the simulation is built, as with
        ``cantata run``. Unlike BMTK, an existing output folder is not emptied and the config
        is not copied into it (``conf.write_json(path)`` writes the resolved config)."""
        if self.env_built and not force:
            return
        self.output_dir.mkdir(parents=True, exist_ok=True)
        self.env_built = True

    def create_output_dir(self) -> None:
        """Create the output folder (BioNet's name)."""
        self.output_dir.mkdir(parents=True, exist_ok=True)

    def validate(self) -> bool:
        """Run ``cantata validate`` on the config file; raise ConfigError listing its errors."""
        if self.path is None:
            raise ConfigError("only a config read from a file can be validated; write it with write_json first",
                              key="validate")
        from cantata.sonata.validate import validate  # the validator reads the whole network

        result = validate(self.path)
        if result.errors:
            listed = "; ".join(str(p) for p in result.errors[:5])
            more = f" and {len(result.errors) - 5} more" if len(result.errors) > 5 else ""
            raise ConfigError(f"the config has {len(result.errors)} error(s): {listed}{more}", file=self.path,
                              key="validate")
        return True

    @property
    def io(self) -> IOLog:
        """BMTK's logging object (``conf.io.log_info(...)``)."""
        return IOLog()

    # -- BMTK's attribute names --------------------------------------------------------------
    @property
    def dt(self) -> float | None:
        return self.run.get("dt")

    @property
    def tstop(self) -> float | None:
        return self.run.get("tstop", self.run.get("duration"))

    @property
    def tstart(self) -> float:
        return self.run.get("tstart", 0.0)

    @property
    def v_init(self) -> float | None:
        return self.conditions.get("v_init")

    @property
    def celsius(self) -> float | None:
        return self.conditions.get("celsius")

    @property
    def log_file(self) -> str | None:
        return self.output.get("log_file")

    @property
    def mechanisms_dir(self) -> str | None:
        return self.components.get("mechanisms_dir")

    @property
    def templates_dir(self) -> str | None:
        return self.components.get("templates_dir")

    @property
    def networks(self) -> dict[str, list[dict[str, Any]]]:
        """The enabled node and edge files, as BMTK's ``networks`` block."""
        return {"nodes": self.nodes, "edges": self.edges}

    @property
    def with_networks(self) -> bool:
        return bool(self.nodes)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        raise missing_attribute(type(self).__name__, name, _SUPPORTED)


def _no_validator(validator: Any) -> None:
    if validator is not None:
        raise NotImplementedError("custom config validators are not supported; conf.validate() runs "
                                  "Cantata's checks (as `cantata validate` does)")


def as_config(config: Any) -> SonataConfig:
    """A :class:`Config` from what BMTK accepts: a config object, a file path or a dict."""
    if isinstance(config, SonataConfig):
        return config
    if isinstance(config, (str, PathLike, Mapping)):
        return Config.load(config)
    raise ConfigError("not a config", key="config", expected="a Config, a JSON file path or a dict",
                      found=type(config).__name__)
