"""`cantata new`: a simulation folder with components, a SONATA config and a run script.

::

    from cantata.environment import new_environment

    env = new_environment("sim", "neuron", tstop=2000.0, dt=0.1, report_vars=["v", "cai"],
                          iclamp=[(0.15, 500.0, 1000.0)], include_examples=True)
    env.config        # Path("sim/config.json")

Every option is checked before anything is written; an existing config or run script is
replaced only with ``overwrite=True``. Errors name the option by its command-line flag.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from os import PathLike
from pathlib import Path
from string import Template
from typing import Any, NoReturn

import h5py

from cantata.errors import ConfigError
from cantata.sonata._io import atomic_path

__all__ = [
    "COMPONENT_DIRS",
    "ENGINES",
    "ENGINE_ALIASES",
    "ENGINE_COMPONENT_DIRS",
    "CurrentClamp",
    "NewEnvironment",
    "RatesInput",
    "SpikesInput",
    "build_env_bionet",
    "build_env_filternet",
    "build_env_pointnet",
    "build_env_popnet",
    "create_environment",
    "find_network_files",
    "new_environment",
    "parse_iclamp",
    "parse_rates_inputs",
    "parse_report_vars",
    "parse_spikes_inputs",
]

PathType = str | PathLike[str]

#: Sub-folders of ``components/`` for the NEURON and NEST engines, each named in the config as
#: ``components.<name>_dir`` (FilterNet and PopNet folders: :data:`ENGINE_COMPONENT_DIRS`).
COMPONENT_DIRS = ("biophysical_neuron_models", "point_neuron_models", "synaptic_models",
                  "morphologies", "mechanisms", "templates")
#: Engine name -> ``target_simulator``; BMTK's module names are accepted as aliases.
ENGINES = {"neuron": "NEURON", "nest": "NEST", "filternet": "LGNModel", "popnet": "DiPDE"}
#: Engine name -> the ``components/`` sub-folders written for it.
ENGINE_COMPONENT_DIRS = {"neuron": COMPONENT_DIRS, "nest": COMPONENT_DIRS, "filternet": ("filter_models",),
                         "popnet": ("population_models", "synaptic_models")}
ENGINE_ALIASES = {"bionet": "neuron", "pointnet": "nest", "lgnmodel": "filternet", "dipde": "popnet"}
# options (by command-line flag) each engine can use; the others are an error when given
_ENGINE_OPTIONS = {
    "neuron": {"--iclamp", "--report-vars", "--spikes-inputs", "--compile-mechanisms"},
    "nest": {"--iclamp", "--report-vars", "--spikes-inputs"},
    "filternet": set(),
    "popnet": {"--spikes-inputs", "--rates-inputs"},
}
# output files per engine (joined onto output_dir by the config loader)
_OUTPUTS = {
    "neuron": {"spikes_file": "spikes.h5", "spikes_file_csv": "spikes.csv", "spikes_sort_order": "time"},
    "nest": {"spikes_file": "spikes.h5", "spikes_file_csv": "spikes.csv", "spikes_sort_order": "time"},
    "filternet": {"rates_csv": "rates.csv", "spikes_h5": "spikes.h5", "spikes_csv": "spikes.csv"},
    "popnet": {"rates_file": "firing_rates.csv"},
}
_SPIKE_MODULES = {".h5": "sonata", ".hdf5": "sonata", ".sonata": "sonata", ".csv": "csv",
                  ".txt": "csv", ".nwb": "nwb"}
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_POPULATION = re.compile(r"^[^\s/:,;]+$")
# node sets the generated inputs and reports target, per engine
_NODE_SETS = {
    "biophysical_nodes": {"model_type": "biophysical"},
    "point_nodes": {"model_type": ["point_process", "point_neuron"]},
}
_TARGET_SET = {"neuron": "biophysical_nodes", "nest": "point_nodes"}


@dataclass(frozen=True)
class CurrentClamp:
    """A square current pulse: ``amp`` (nA for NEURON, pA for NEST) from ``delay`` for ``duration`` ms."""

    amp: float
    delay: float
    duration: float


@dataclass(frozen=True)
class SpikesInput:
    """Spikes from ``file`` driving the (virtual) node population ``population``."""

    population: str
    file: Path


@dataclass(frozen=True)
class RatesInput:
    """Firing rates from the csv ``file`` for the external PopNet populations of ``population``."""

    population: str
    file: Path


@dataclass
class NewEnvironment:
    """What :func:`new_environment` wrote and found."""

    base_dir: Path
    engine: str
    config: Path
    run_script: Path
    component_dirs: dict[str, Path]
    nodes: list[tuple[Path, Path | None]] = field(default_factory=list)
    edges: list[tuple[Path, Path | None]] = field(default_factory=list)
    copied: list[Path] = field(default_factory=list)
    mechanisms_build: Path | None = None
    notes: list[str] = field(default_factory=list)


# -- option parsing -----------------------------------------------------------------------------

def _number(text: str, flag: str, what: str, whole: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{what} is not a number", key=flag, expected="amp,delay,duration (numbers)",
                          found=whole) from None
    if not math.isfinite(value):
        raise ConfigError(f"{what} must be finite", key=flag, expected="finite numbers", found=whole)
    return value


def parse_iclamp(value: Any, flag: str = "--iclamp") -> list[CurrentClamp]:
    """Current clamps from ``"amp,delay,duration"`` text (several joined by ``;``), a list of
    such texts, tuples ``(amp, delay, duration)`` or :class:`CurrentClamp` objects."""
    if value is None:
        return []
    if isinstance(value, (str, CurrentClamp)):
        items: list[Any] = [value]
    else:
        items = list(value)
        if len(items) == 3 and all(_is_number(v) for v in items):
            items = [tuple(items)]  # one bare (amp, delay, duration)
    clamps: list[CurrentClamp] = []
    for item in items:
        if isinstance(item, str):
            chunks = [c.strip() for c in item.split(";") if c.strip()]
            if not chunks:
                _bad_clamp(flag, item)
            groups: list[tuple[Sequence[Any], str]] = [(c.split(","), c) for c in chunks]
        elif isinstance(item, CurrentClamp):
            groups = [((item.amp, item.delay, item.duration), repr(item))]
        elif isinstance(item, (list, tuple)):
            groups = [(item, ",".join(str(p) for p in item))]
        else:
            _bad_clamp(flag, repr(item))
        for parts, whole in groups:
            clamps.append(_clamp(parts, whole, flag))
    return clamps


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _clamp(parts: Sequence[Any], whole: str, flag: str) -> CurrentClamp:
    if len(parts) != 3:
        _bad_clamp(flag, whole)
    amp, delay, duration = (_number(str(p).strip(), flag, name, whole)
                            for p, name in zip(parts, ("amp", "delay", "duration")))
    if delay < 0:
        raise ConfigError("delay must not be negative", key=flag, expected="delay >= 0 ms", found=whole)
    if duration <= 0:
        raise ConfigError("duration must be positive", key=flag, expected="duration > 0 ms", found=whole)
    return CurrentClamp(amp, delay, duration)


def _bad_clamp(flag: str, found: str) -> NoReturn:
    raise ConfigError("malformed current clamp", key=flag,
                      expected="amp,delay,duration (three numbers; several separated by ';')",
                      found=found)


def _file_pairs(value: Any, flag: str, kind: type[SpikesInput] | type[RatesInput],
                suffixes: Mapping[str, str]) -> list[Any]:
    """``kind`` objects from ``"pop:file[,pop:file]"`` text, a list of such texts, ``(pop, file)``
    pairs, a ``{pop: file}`` mapping or ``kind`` objects; file names must end in ``suffixes``."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        value = list(value.items())
    items: list[Any] = [value] if isinstance(value, (str, kind)) else list(value)
    what = "spikes" if kind is SpikesInput else "rates"
    out: list[Any] = []
    for item in items:
        if isinstance(item, kind):
            pairs = [(item.population, str(item.file))]
        elif isinstance(item, str):
            pairs = []
            for chunk in item.split(","):
                pop, sep, file = chunk.strip().partition(":")
                if not sep:
                    raise ConfigError(f"malformed {what} input", key=flag,
                                      expected="population:file[,population:file]", found=chunk)
                pairs.append((pop, file))
        elif isinstance(item, (tuple, list)) and len(item) == 2 and item[0] is not None:
            pairs = [(str(item[0]), str(item[1]))]
        else:
            raise ConfigError(f"malformed {what} input", key=flag,
                              expected="population:file text or (population, file) pairs", found=repr(item))
        for pop, file in pairs:
            pop, file = pop.strip(), file.strip()
            if not _POPULATION.match(pop):
                raise ConfigError(f"bad population name in {what} input", key=flag,
                                  expected="population:file with a non-empty population name without "
                                           "spaces, '/', ':', ',' or ';'", found=f"{pop}:{file}")
            if not file:
                raise ConfigError(f"{what} input has no file", key=flag, expected="population:file",
                                  found=f"{pop}:")
            if Path(file).suffix.lower() not in suffixes:
                raise ConfigError(f"unknown {what.rstrip('s')} file type", key=flag,
                                  expected="a file ending in " + ", ".join(dict.fromkeys(suffixes)),
                                  found=f"{pop}:{file}")
            out.append(kind(pop, Path(file)))
    return out


def parse_spikes_inputs(value: Any, flag: str = "--spikes-inputs") -> list[SpikesInput]:
    """Spike inputs from ``"pop:file[,pop:file]"`` text, a list of such texts, ``(pop, file)``
    pairs, a ``{pop: file}`` mapping or :class:`SpikesInput` objects. File paths are kept as
    given (relative ones are relative to the current folder)."""
    return _file_pairs(value, flag, SpikesInput, _SPIKE_MODULES)


def parse_rates_inputs(value: Any, flag: str = "--rates-inputs") -> list[RatesInput]:
    """PopNet rate inputs (``pop_rates`` csv files), in the forms :func:`parse_spikes_inputs` takes."""
    return _file_pairs(value, flag, RatesInput, {".csv": "csv", ".txt": "csv"})


def parse_report_vars(value: Any, flag: str = "--report-vars") -> list[str]:
    """Variable names from ``"v,cai"`` text or a list of names (duplicates dropped)."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else [str(v) for v in value]
    names = [v.strip() for v in items]
    for name in names:
        if not _VARIABLE.match(name):
            raise ConfigError("bad variable name", key=flag,
                              expected="comma-separated names such as v,cai",
                              found=value if isinstance(value, str) else name)
    return list(dict.fromkeys(names))


def _engine(value: str | None) -> str:
    name = str(value if value is not None else "neuron").strip().lower()
    name = ENGINE_ALIASES.get(name, name)
    if name not in ENGINES:
        raise ConfigError("unknown engine", key="engine", expected="one of " + ", ".join(ENGINES),
                          found=value)
    return name


def _times(tstop: Any, dt: Any) -> tuple[float, float]:
    values = {}
    for flag, value in (("--tstop", tstop), ("--dt", dt)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError("must be a number of ms", key=flag, expected="a positive number",
                              found=value)
        if value <= 0:
            raise ConfigError("must be positive", key=flag, expected="a number > 0 (ms)", found=value)
        values[flag] = float(value)
    steps = values["--tstop"] / values["--dt"]
    if abs(steps - round(steps)) > 1e-6 * max(1.0, steps):
        raise ConfigError("tstop must be a whole number of dt steps", key="--tstop",
                          expected=f"a multiple of --dt {values['--dt']}", found=values["--tstop"])
    return values["--tstop"], values["--dt"]


@dataclass(frozen=True)
class _RunOptions:
    tstart: float
    dL: float
    spike_threshold: float
    nsteps_block: int
    v_init: float
    celsius: float


def _run_options(tstop: float, *, tstart: Any, dL: Any, spike_threshold: Any, nsteps_block: Any,
                 v_init: Any, celsius: Any) -> _RunOptions:
    """The remaining ``run``/``conditions`` values, checked (errors name the Python keyword)."""
    def number(key: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ConfigError("must be a number", key=key, expected="a finite number", found=value)
        return float(value)

    start = number("tstart", tstart)
    if not 0.0 <= start < tstop:
        raise ConfigError("must lie in [0, tstop)", key="tstart", expected=f"0 <= tstart < {tstop:g} ms",
                          found=start)
    length = number("dL", dL)
    if length <= 0:
        raise ConfigError("must be positive", key="dL", expected="a segment length > 0 (um)", found=length)
    if isinstance(nsteps_block, bool) or not isinstance(nsteps_block, int) or nsteps_block < 1:
        raise ConfigError("must be a positive whole number", key="nsteps_block", expected="an int >= 1",
                          found=nsteps_block)
    return _RunOptions(start, length, number("spike_threshold", spike_threshold), nsteps_block,
                       number("v_init", v_init), number("celsius", celsius))


def _file_name(value: str, flag: str, suffix: str) -> str:
    if not isinstance(value, str) or not value or Path(value).name != value or value in (".", ".."):
        raise ConfigError("must be a file name without a folder", key=flag,
                          expected=f"a name such as config{suffix}", found=value)
    if not value.endswith(suffix):
        raise ConfigError(f"must end in {suffix}", key=flag, expected=f"a name ending in {suffix}",
                          found=value)
    return value


# -- network discovery ----------------------------------------------------------------------------

def _sonata_kind(path: Path) -> str | None:
    """``"nodes"``/``"edges"`` for a SONATA network HDF5 file, else None (spikes, reports, ...)."""
    try:
        with h5py.File(path, "r") as h5:
            return next((k for k in ("nodes", "edges") if isinstance(h5.get(k), h5py.Group)), None)
    except OSError:
        return None


def _types_csv(h5_path: Path, kind: str) -> Path | None:
    stem = h5_path.stem
    word, types = ("nodes", "node_types") if kind == "nodes" else ("edges", "edge_types")
    if word in stem:
        cut = stem.rfind(word)
        candidate = h5_path.with_name(stem[:cut] + types + stem[cut + len(word):] + ".csv")
        if candidate.is_file():
            return candidate
    return None


def find_network_files(network_dir: PathType) -> tuple[list[tuple[Path, Path | None]],
                                                        list[tuple[Path, Path | None]]]:
    """SONATA node and edge files directly in ``network_dir``, each with its types CSV.

    HDF5 files are classified by content (``/nodes`` or ``/edges``); ``X_nodes.h5`` pairs with
    ``X_node_types.csv`` and ``X_edges.h5`` with ``X_edge_types.csv`` (None when absent).
    """
    folder = Path(network_dir)
    nodes: list[tuple[Path, Path | None]] = []
    edges: list[tuple[Path, Path | None]] = []
    if not folder.is_dir():
        return nodes, edges
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in (".h5", ".hdf5") or not path.is_file():
            continue
        kind = _sonata_kind(path)
        if kind is not None:
            (nodes if kind == "nodes" else edges).append((path, _types_csv(path, kind)))
    return nodes, edges


# -- config -------------------------------------------------------------------------------------

def _in_config(path: Path, base_dir: Path, variables: Sequence[tuple[str, Path]]) -> str:
    """``path`` written with the first manifest variable whose folder holds it, else relative
    to ``$BASE_DIR`` (or absolute when no relative path exists)."""
    for name, folder in variables:
        try:
            rel = path.relative_to(folder)
        except ValueError:
            continue
        return f"${name}" if rel == Path(".") else f"${name}/{rel.as_posix()}"
    try:
        return f"$BASE_DIR/{Path(os.path.relpath(path, base_dir)).as_posix()}"
    except ValueError:  # another drive on Windows
        return path.as_posix()


def _build_config(*, engine: str, base_dir: Path, network_dir: Path, output_dir: Path,
                  components_dir: Path, tstop: float, dt: float, run_options: _RunOptions,
                  report_vars: list[str],
                  clamps: list[CurrentClamp], spikes: list[SpikesInput], rates: list[RatesInput],
                  nodes: list[tuple[Path, Path | None]], edges: list[tuple[Path, Path | None]]
                  ) -> dict[str, Any]:
    places = [("NETWORK_DIR", network_dir), ("COMPONENTS_DIR", components_dir),
              ("OUTPUT_DIR", output_dir), ("BASE_DIR", base_dir)]

    def where(path: Path) -> str:
        return _in_config(path, base_dir, places)

    def folder_var(path: Path) -> str:
        return _in_config(path, base_dir, [("BASE_DIR", base_dir)])

    def entry(h5: Path, csv: Path | None, kind: str) -> dict[str, Any]:
        types = "node_types_file" if kind == "nodes" else "edge_types_file"
        return {f"{kind}_file": where(h5), types: where(csv) if csv is not None else None}

    target = _TARGET_SET.get(engine)
    # PopNet reads run.dt in seconds (as BMTK PopNet hands it to DiPDE); everything else in ms
    run: dict[str, Any] = {"tstart": run_options.tstart, "tstop": tstop,
                           "dt": dt / 1000.0 if engine == "popnet" else dt, "nsteps_block": run_options.nsteps_block}
    if engine == "popnet":
        del run["tstart"]  # PopNet rates always start at 0
    if engine == "neuron":
        run.update({"dL": run_options.dL, "spike_threshold": run_options.spike_threshold})
    inputs: dict[str, Any] = {}
    for i, clamp in enumerate(clamps):
        inputs[f"current_clamp_{i + 1}" if len(clamps) > 1 else "current_clamp"] = {
            "input_type": "current_clamp", "module": "IClamp", "node_set": target,
            "amp": clamp.amp, "delay": clamp.delay, "duration": clamp.duration,
        }
    for spike in spikes:
        name = f"{spike.population}_spikes"
        k = 2
        while name in inputs:
            name, k = f"{spike.population}_spikes_{k}", k + 1
        inputs[name] = {"input_type": "spikes", "module": _SPIKE_MODULES[spike.file.suffix.lower()],
                        "input_file": where(spike.file), "node_set": spike.population}
    for rate in rates:
        name = f"{rate.population}_rates"
        k = 2
        while name in inputs:
            name, k = f"{rate.population}_rates_{k}", k + 1
        inputs[name] = {"input_type": "csv", "module": "pop_rates", "rates": where(rate.file),
                        "node_set": rate.population}
    reports = {
        f"{var}_report": {"module": "membrane_report", "cells": target, "variable_name": var,
                          "sections": "soma", "file_name": f"{var}_report.h5"}
        for var in report_vars
    }
    config: dict[str, Any] = {
        "manifest": {
            "$BASE_DIR": "${configdir}",
            "$NETWORK_DIR": folder_var(network_dir),
            "$COMPONENTS_DIR": folder_var(components_dir),
            "$OUTPUT_DIR": folder_var(output_dir),
        },
        "target_simulator": ENGINES[engine],
        "run": run,
    }
    if engine == "neuron":
        config["conditions"] = {"celsius": run_options.celsius, "v_init": run_options.v_init}
    node_sets = {"neuron": ("biophysical_nodes", "point_nodes"), "nest": ("point_nodes",)}.get(engine, ())
    config.update({
        "inputs": inputs,
        "components": {f"{d}_dir": f"$COMPONENTS_DIR/{d}" for d in ENGINE_COMPONENT_DIRS[engine]},
        "node_sets": {name: _NODE_SETS[name] for name in node_sets},
        "reports": reports,
        "output": {"output_dir": "$OUTPUT_DIR", "log_file": "log.txt", **_OUTPUTS[engine],
                   "overwrite_output_dir": True},
        "networks": {"nodes": [entry(h5, csv, "nodes") for h5, csv in nodes],
                     "edges": [entry(h5, csv, "edges") for h5, csv in edges]},
    })
    return config


# -- examples and mechanisms ---------------------------------------------------------------------

def _example_files(engine: str) -> list[tuple[Any, str]]:
    """(source, path under components/) of the example components for ``engine``."""
    root = resources.files("cantata.templates").joinpath("components", engine)
    files: list[tuple[Any, str]] = []
    for folder in sorted(root.iterdir(), key=lambda p: p.name):
        if folder.is_dir():
            files += [(f, f"{folder.name}/{f.name}") for f in sorted(folder.iterdir(), key=lambda p: p.name)
                      if f.is_file() and f.name.endswith(".json")]
    if engine == "neuron":
        mods = _mechanisms_library("--include-examples")
        files += [(p, f"mechanisms/{p.name}") for p in mods]
    return files


def _mechanisms_library(flag: str) -> list[Path]:
    try:
        from cantata.mechanisms import allen_mechanisms_dir
    except ImportError as exc:
        raise ConfigError(f"Cantata's mechanism library is not available ({exc})", key=flag,
                          expected="cantata.mechanisms.allen_mechanisms_dir", found="missing") from None
    folder = allen_mechanisms_dir()
    mods = sorted(folder.glob("*.mod")) if folder.is_dir() else []
    if not mods:
        raise ConfigError("Cantata's Allen channel library has no .mod files", file=folder, key=flag,
                          expected="*.mod files", found="none")
    return mods


def _compiler(flag: str) -> Any:
    try:
        from cantata.mechanisms import compile_mechanisms
    except ImportError as exc:
        raise ConfigError(f"mechanism compilation is not available ({exc})", key=flag,
                          expected="cantata.mechanisms.compile_mechanisms", found="missing") from None
    return compile_mechanisms


def _has_mod_files(folder: Path) -> bool:
    return any(p.is_dir() and any(p.glob("*.mod")) for p in (folder, folder / "modfiles"))


# -- the entry point -------------------------------------------------------------------------------

def new_environment(
    base_dir: PathType,
    engine: str | None = "neuron",
    *,
    config_file: str = "config.json",
    run_script: str = "run.py",
    overwrite: bool = False,
    network_dir: PathType | None = None,
    output_dir: PathType | None = None,
    tstop: float = 1000.0,
    dt: float = 0.1,
    report_vars: str | Iterable[str] | None = None,
    iclamp: Any = None,
    spikes_inputs: Any = None,
    rates_inputs: Any = None,
    compile_mechanisms: bool = False,
    include_examples: bool = False,
    tstart: float = 0.0,
    dL: float = 20.0,
    spike_threshold: float = -15.0,
    nsteps_block: int = 5000,
    v_init: float = -80.0,
    celsius: float = 34.0,
) -> NewEnvironment:
    """Create (or complete) a simulation folder ``base_dir`` and return what was written.

    Writes ``components/<kind>/`` folders, ``config_file`` (a SONATA simulation config whose
    ``networks`` lists the node/edge files found in ``network_dir``) and ``run_script``.
    ``network_dir`` defaults to ``base_dir/network`` and ``output_dir`` to ``base_dir/output``;
    relative paths (also spike files) are relative to the current folder, as for any path.
    ``report_vars``, ``iclamp``, ``spikes_inputs`` and (PopNet) ``rates_inputs`` take the
    command-line text forms or lists (see :func:`parse_iclamp`, :func:`parse_spikes_inputs`,
    :func:`parse_rates_inputs`, :func:`parse_report_vars`); each engine takes the options that
    mean something to it (FilterNet: none of these; PopNet: spikes and rates inputs).
    ``engine`` is ``neuron``, ``nest``, ``filternet`` or ``popnet`` (or BMTK's ``bionet``,
    ``pointnet``); times are in ms for every engine (a PopNet config gets ``run.dt`` in seconds).
    ``include_examples`` copies example point-neuron and synapse JSON files (and, for NEURON,
    Cantata's Allen channel ``.mod`` files) into ``components``; ``compile_mechanisms`` (NEURON)
    compiles ``components/mechanisms`` with :func:`cantata.mechanisms.compile_mechanisms`.
    ``tstart``, ``nsteps_block`` and (NEURON only) ``dL``, ``spike_threshold``, ``v_init`` and
    ``celsius`` set the ``run`` and ``conditions`` values of the config.

    Raises :class:`ConfigError` naming the option (by its command-line flag) for bad values,
    and when the config or run script exists and ``overwrite`` is false; nothing is written then.
    """
    # 1. every option, before touching the disk
    engine_name = _engine(engine)
    tstop_ms, dt_ms = _times(tstop, dt)
    run_options = _run_options(tstop_ms, tstart=tstart, dL=dL, spike_threshold=spike_threshold,
                               nsteps_block=nsteps_block, v_init=v_init, celsius=celsius)
    config_name = _file_name(config_file, "--config-file", ".json")
    script_name = _file_name(run_script, "--run-script", ".py")
    if config_name == script_name:
        raise ConfigError("config and run script need different names", key="--run-script", found=script_name)
    variables = parse_report_vars(report_vars)
    clamps = parse_iclamp(iclamp)
    spikes = parse_spikes_inputs(spikes_inputs)
    rates = parse_rates_inputs(rates_inputs)
    given = {"--report-vars": variables, "--iclamp": clamps, "--spikes-inputs": spikes, "--rates-inputs": rates,
             "--compile-mechanisms": compile_mechanisms}
    for flag, value in given.items():
        if value and flag not in _ENGINE_OPTIONS[engine_name]:
            usable = sorted(_ENGINE_OPTIONS[engine_name])
            raise ConfigError(f"not used by the {engine_name} engine", key=flag,
                              expected="one of " + ", ".join(usable) if usable else "none of these options",
                              found=flag)
    base = Path(base_dir).expanduser().absolute()
    if base.exists() and not base.is_dir():
        raise ConfigError("is not a folder", file=base, key="DIR", expected="a folder (new or existing)",
                          found="a file")
    network = Path(network_dir).expanduser().absolute() if network_dir is not None else base / "network"
    output = Path(output_dir).expanduser().absolute() if output_dir is not None else base / "output"
    for flag, folder in (("--network-dir", network), ("--output-dir", output)):
        if folder.exists() and not folder.is_dir():
            raise ConfigError("is not a folder", file=folder, key=flag, expected="a folder", found="a file")
    components = base / "components"
    examples = _example_files(engine_name) if include_examples else []
    compiler = None
    if compile_mechanisms:
        compiler = _compiler("--compile-mechanisms")
        if not include_examples and not _has_mod_files(components / "mechanisms"):
            raise ConfigError("no .mod files to compile", file=components / "mechanisms",
                              key="--compile-mechanisms",
                              expected="*.mod files there, or --include-examples to copy Cantata's",
                              found="none")

    # 2. what would be replaced
    config_path, script_path = base / config_name, base / script_name
    copies = [(src, components / rel) for src, rel in examples]
    conflicts = [p for p in (config_path, script_path) if p.exists()]
    conflicts += [dst for src, dst in copies if dst.exists() and dst.read_bytes() != src.read_bytes()]
    if conflicts and not overwrite:
        raise ConfigError(
            "would replace existing files; pass --overwrite (overwrite=True) to replace them",
            file=base, key="--overwrite", expected="no existing config, run script or changed example",
            found=", ".join(str(p.relative_to(base)) for p in conflicts),
        )

    # 3. network files and the config text
    nodes, edges = find_network_files(network)
    notes: list[str] = []
    if not nodes and not edges:
        state = "does not exist" if not network.exists() else "holds no SONATA node or edge files"
        notes.append(f"network folder {network} {state}: the config lists no network files; "
                     "build the network there and run `cantata new` again with --overwrite, "
                     "or add the files to `networks` in the config")
    if engine_name == "filternet":
        notes.append("the config has no movie input yet: add an `inputs` block with `input_type: movie` "
                     "(docs/engines/filternet.md)")
    for h5, csv in nodes + edges:
        if csv is None:
            notes.append(f"no types CSV found for {h5.name} (listed with a null types file)")
    for item in [*spikes, *rates]:
        if not item.file.expanduser().absolute().is_file():
            kind = "spikes" if isinstance(item, SpikesInput) else "rates"
            notes.append(f"{kind} input file {item.file} does not exist yet")
    spikes = [SpikesInput(s.population, s.file.expanduser().absolute()) for s in spikes]
    rates = [RatesInput(r.population, r.file.expanduser().absolute()) for r in rates]
    config = _build_config(engine=engine_name, base_dir=base, network_dir=network, output_dir=output,
                           components_dir=components, tstop=tstop_ms, dt=dt_ms, run_options=run_options,
                           report_vars=variables,
                           clamps=clamps, spikes=spikes, rates=rates, nodes=nodes, edges=edges)
    template = resources.files("cantata.templates").joinpath("run.py.tmpl").read_text()
    script = Template(template).substitute(config_name=config_name, run_script=script_name)

    # 4. write
    dirs = {name: components / name for name in ENGINE_COMPONENT_DIRS[engine_name]}
    for folder in dirs.values():
        folder.mkdir(parents=True, exist_ok=True)
    copied = []
    for src, dst in copies:
        if dst.exists() and dst.read_bytes() == src.read_bytes():
            continue
        with atomic_path(dst, overwrite=True) as tmp:
            tmp.write_bytes(src.read_bytes())
        copied.append(dst)
    with atomic_path(config_path, overwrite=overwrite) as tmp:
        tmp.write_text(json.dumps(config, indent=2) + "\n")
    with atomic_path(script_path, overwrite=overwrite) as tmp:
        tmp.write_text(script)
        tmp.chmod(0o755)
    env = NewEnvironment(base_dir=base, engine=engine_name, config=config_path, run_script=script_path,
                         component_dirs=dirs, nodes=nodes, edges=edges, copied=copied, notes=notes)
    if compiler is not None:
        env.mechanisms_build = compiler(dirs["mechanisms"])
    return env



# -- BMTK's names -----------------------------------------------------------------------------------

#: BMTK ``create_environment`` keywords Cantata has no counterpart for.
_BMTK_UNSUPPORTED = ("components_dir", "node_sets_file", "config_name", "split_configs", "network_filter",
                     "report_nodes", "clamp_reports", "file_current_clamp", "se_voltage_clamp")


def create_environment(simulator: str, base_dir: PathType = ".", **options: Any) -> NewEnvironment:
    """BMTK's ``create_environment(simulator, base_dir, ...)`` on top of :func:`new_environment`.

    BMTK's keywords are translated: ``overwrite_config`` -> ``overwrite``, ``current_clamp``
    (``{"amp", "delay", "duration"}``, numbers or equal-length lists) -> ``iclamp``,
    ``spikes_threshold`` -> ``spike_threshold``, ``config_file=None`` -> ``config.json``,
    ``run_script=True``/``False``/``None`` -> ``run.py`` (the run script is always written),
    ``use_relative_paths`` is accepted (paths are always written relative to the folder).
    A relative ``network_dir`` or ``output_dir`` follows BMTK's rule: an existing folder seen
    from the current folder, else a folder inside ``base_dir``.
    Keywords without a Cantata counterpart (``split_configs``, ``node_sets_file``, ...) raise
    :class:`ConfigError`. Note that Cantata's ``dt`` default is 0.1 ms (BMTK's 0.001).
    """
    unsupported = sorted(k for k in options if k in _BMTK_UNSUPPORTED and options[k] not in (None, False, [], ""))
    if unsupported:
        raise ConfigError("BMTK option not supported by cantata new", key=unsupported[0],
                          expected="one of the options of cantata.environment.new_environment",
                          found=", ".join(unsupported))
    for key in _BMTK_UNSUPPORTED:
        options.pop(key, None)
    options.pop("use_relative_paths", None)
    if "overwrite_config" in options:
        options["overwrite"] = bool(options.pop("overwrite_config")) or bool(options.get("overwrite", False))
    if "spikes_threshold" in options:
        options["spike_threshold"] = options.pop("spikes_threshold")
    if options.get("config_file", "") is None:
        options.pop("config_file")
    if "run_script" in options and not isinstance(options["run_script"], str):
        options.pop("run_script")
    for key in ("network_dir", "output_dir"):
        folder = options.get(key)
        if folder is not None and not Path(folder).expanduser().is_absolute() and not Path(folder).is_dir():
            options[key] = Path(base_dir) / folder
    clamp = options.pop("current_clamp", None)
    if clamp is not None:
        options["iclamp"] = [*parse_iclamp(options.get("iclamp")), *_bmtk_clamps(clamp)]
    return new_environment(base_dir, simulator, **options)


def _bmtk_clamps(value: Any) -> list[CurrentClamp]:
    """BMTK's ``current_clamp={"amp": .., "delay": .., "duration": ..}`` (values or lists)."""
    if not isinstance(value, Mapping):
        return parse_iclamp(value, flag="current_clamp")
    missing = [k for k in ("amp", "delay", "duration") if k not in value]
    if missing:
        raise ConfigError("current clamp lacks keys", key="current_clamp",
                          expected="a dict with amp, delay and duration", found=sorted(value))
    columns = [value[k] if isinstance(value[k], (list, tuple)) else [value[k]] for k in ("amp", "delay", "duration")]
    if len({len(c) for c in columns}) != 1:
        raise ConfigError("amp, delay and duration lists differ in length", key="current_clamp",
                          expected="lists of equal length", found=[len(c) for c in columns])
    return parse_iclamp([tuple(row) for row in zip(*columns)], flag="current_clamp")


def build_env_bionet(base_dir: PathType = ".", **options: Any) -> NewEnvironment:
    """BMTK's ``build_env_bionet``: :func:`create_environment` for the NEURON engine."""
    return create_environment("bionet", base_dir, **options)


def build_env_pointnet(base_dir: PathType = ".", **options: Any) -> NewEnvironment:
    """BMTK's ``build_env_pointnet``: :func:`create_environment` for the NEST engine."""
    return create_environment("pointnet", base_dir, **options)


def build_env_filternet(base_dir: PathType = ".", **options: Any) -> NewEnvironment:
    """BMTK's ``build_env_filternet``: :func:`create_environment` for the filternet engine."""
    return create_environment("filternet", base_dir, **options)


def build_env_popnet(base_dir: PathType = ".", **options: Any) -> NewEnvironment:
    """BMTK's ``build_env_popnet``: :func:`create_environment` for the popnet engine."""
    return create_environment("popnet", base_dir, **options)
