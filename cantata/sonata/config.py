"""Load SONATA configs: JSON files, split circuit/simulation configs, manifest variables, paths.

One call, :func:`load_config`, turns a config file (Allen/BMTK or BBP form, single or split)
into a :class:`SonataConfig`: a read-only mapping with every manifest variable substituted,
every path absolute and the circuit and simulation parts merged. The rules are described in
``docs/config.md``.
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from cantata.errors import CantataError, ConfigError
from cantata.sonata._io import atomic_path

__all__ = [
    "OUTPUT_OFF",
    "SonataConfig",
    "VARIABLE_NAME",
    "VARIABLE_REFERENCE",
    "is_path_key",
    "load_config",
    "merge_configs",
    "read_json",
]

StrPath = str | PathLike[str]

#: Keys whose string values are file or folder paths, by suffix or by exact name.
PATH_SUFFIXES = ("_file", "_files", "_dir", "_path")
PATH_KEYS = frozenset(
    {"file", "network", "simulation", "electrode_positions", "vasculature_mesh", "h5v1", "neurolucida-asc"}
)
#: Blocks whose contents are not config values (no path resolution inside them).
_OPAQUE_BLOCKS = frozenset({"manifest", "node_sets"})
#: Report keys naming output folders: joined onto ``output_dir`` like ``file_name`` (BMTK's rule).
_REPORT_OUTPUT_DIRS = frozenset({"contributions_dir"})
#: networks lists and the key naming each entry's file (entries naming the same file merge).
_NETWORK_LISTS = {"nodes": "nodes_file", "edges": "edges_file"}

VARIABLE_REFERENCE = re.compile(r"\$\{([A-Za-z0-9_]+)\}|\$([A-Za-z0-9_]+)")
VARIABLE_NAME = re.compile(r"[A-Za-z0-9_]+")
_DEFAULT_CIRCUIT = "circuit_config.json"
#: Output values meaning "no such file" (``"log_file": "none"``); compared stripped, lower case.
OUTPUT_OFF = frozenset({"", "none", "null", "false", "off"})


def is_path_key(key: str) -> bool:
    """True if a config value stored under ``key`` is a path (see docs/config.md)."""
    return key in PATH_KEYS or key.endswith(PATH_SUFFIXES)


def read_json(
    path: StrPath,
    *,
    error: type[CantataError] = ConfigError,
    referrer: StrPath | None = None,
    key: str | None = None,
) -> Any:
    """Parse a JSON file; a missing file or bad syntax raises ``error`` naming file, line, column.

    ``referrer``/``key`` name the config file and key that pointed at ``path``, for the
    message when ``path`` does not exist.
    """
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError:
        if referrer is not None:
            raise error("file not found", file=referrer, key=key, found=str(target)) from None
        raise error("file not found", file=target) from None
    except UnicodeDecodeError as exc:
        raise error(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=target) from None
    except OSError as exc:
        raise error(f"cannot read file: {exc.strerror}", file=target) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", file=target) from None


# ----------------------------------------------------------------------------------------------
# manifest variables


def _builtin_variables(config_dir: Path, file_name: str, now: _dt.datetime) -> dict[str, Any]:
    return {
        "configdir": str(config_dir),
        "configfname": file_name,
        "workingdir": os.getcwd(),
        "date": now.strftime("%Y-%m-%d"),
        "time": now.strftime("%H-%M-%S"),
        "datetime": now.strftime("%Y-%m-%d_%H-%M-%S"),
    }


def _as_text(value: Any) -> str:
    """Text spliced into a longer string: strings as they are, other JSON values as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def _expand(text: str, lookup: Any) -> Any:
    """Substitute ``$VAR``/``${VAR}`` in ``text``; a lone reference keeps the variable's type."""
    whole = VARIABLE_REFERENCE.fullmatch(text)
    if whole:
        return lookup(whole.group(1) or whole.group(2))
    if "$" not in text:
        return text
    return VARIABLE_REFERENCE.sub(lambda m: _as_text(lookup(m.group(1) or m.group(2))), text)


def _resolve_variables(
    manifest: Any, builtins: dict[str, Any], user_vars: Mapping[str, Any], source: Path | None
) -> dict[str, Any]:
    """Built-ins < manifest < user variables; nested references resolved, cycles rejected."""
    if not isinstance(manifest, dict):
        raise ConfigError("manifest must be a JSON object", file=source, key="manifest",
                          expected="an object of variables", found=type(manifest).__name__)
    raw: dict[str, Any] = dict(builtins)
    origin: dict[str, str] = {}
    for key, value in manifest.items():
        name = key[1:] if key.startswith("$") else key
        if not VARIABLE_NAME.fullmatch(name):
            raise ConfigError("bad manifest variable name", file=source, key=f"manifest.{key}",
                              expected="$ followed by letters, digits or _", found=key)
        raw[name] = value
        origin[name] = f"manifest.{key}"
    for name, value in user_vars.items():
        raw[name] = value
        origin[name] = f"user variable {name}"

    resolved: dict[str, Any] = {}

    def visit(name: str, chain: tuple[str, ...]) -> Any:
        if name in resolved:
            return resolved[name]
        if name in chain:
            cycle = " -> ".join(f"${n}" for n in (*chain[chain.index(name):], name))
            raise ConfigError(f"manifest variables form a cycle: {cycle}", file=source,
                              key=origin.get(chain[0], chain[0]))
        value = raw[name]
        if isinstance(value, str):
            def lookup(ref: str) -> Any:
                if ref not in raw:
                    raise ConfigError(f"unknown manifest variable ${ref}", file=source,
                                      key=origin.get(name, name), expected=_known(raw))
                return visit(ref, (*chain, name))

            value = _expand(value, lookup)
        resolved[name] = value
        return value

    for name in raw:
        visit(name, ())
    return resolved


def _known(variables: Mapping[str, Any]) -> str:
    names = ", ".join(f"${n}" for n in sorted(variables))
    return f"one of {names}"


def _substitute(node: Any, variables: dict[str, Any], source: Path | None, where: str) -> Any:
    """Substitute variables in every string value (keys untouched; ``$``-operator operands kept)."""
    if isinstance(node, str):
        def lookup(ref: str) -> Any:
            if ref not in variables:
                raise ConfigError(f"unknown manifest variable ${ref}", file=source, key=where or None,
                                  expected=_known(variables))
            return variables[ref]

        return _expand(node, lookup)
    if isinstance(node, dict):
        return {
            k: v if k.startswith("$") else _substitute(v, variables, source, _join_key(where, k))
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_substitute(v, variables, source, f"{where}[{i}]") for i, v in enumerate(node)]
    return node


def _join_key(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


# ----------------------------------------------------------------------------------------------
# paths


def _absolute(value: str, base_dir: Path) -> str:
    path = os.path.expanduser(value)
    if not os.path.isabs(path):
        path = os.path.join(base_dir, path)
    return os.path.normpath(path)


def _resolve_paths(node: Any, base_dir: Path, *, top: bool = False) -> Any:
    """Make path-keyed string values absolute against ``base_dir`` (see :func:`is_path_key`)."""
    if isinstance(node, list):
        return [_resolve_paths(v, base_dir) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if top and key in _OPAQUE_BLOCKS:
            out[key] = value
        elif top and key == "output" and isinstance(value, dict):
            # output file names are joined onto output_dir later; only folders resolve here
            out[key] = {
                k: _absolute(v, base_dir) if k.endswith("_dir") and isinstance(v, str) and v else v
                for k, v in value.items()
            }
        elif top and key == "reports" and isinstance(value, dict):
            # a report's contributions_dir is joined onto output_dir later (as BMTK does)
            out[key] = {name: _resolve_report(block, base_dir) for name, block in value.items()}
        elif is_path_key(key) and isinstance(value, str) and value:
            out[key] = _absolute(value, base_dir)
        elif is_path_key(key) and isinstance(value, list) and all(isinstance(v, str) for v in value):
            out[key] = [_absolute(v, base_dir) if v else v for v in value]
        else:
            out[key] = _resolve_paths(value, base_dir)
    return out


def _resolve_report(block: Any, base_dir: Path) -> Any:
    """A report block with its paths resolved, except the output folders (left for later)."""
    if not isinstance(block, dict):
        return block
    resolved = _resolve_paths({k: v for k, v in block.items() if k not in _REPORT_OUTPUT_DIRS}, base_dir)
    return {k: block[k] if k in _REPORT_OUTPUT_DIRS else resolved[k] for k in block}


def _join_output(name: str, output_dir: str) -> str:
    path = os.path.expanduser(name)
    return os.path.normpath(path if os.path.isabs(path) else os.path.join(output_dir, path))


def _finish_outputs(data: dict[str, Any], base_dir: Path) -> None:
    """Join ``output`` file names and reports' ``file_name`` onto the output folder (in place)."""
    output = data.get("output")
    if isinstance(output, dict):
        output = dict(output)
        if not isinstance(output.get("output_dir"), str) or not output.get("output_dir"):
            output["output_dir"] = str(base_dir / "output")
        output_dir = output["output_dir"]
        for key, value in output.items():
            if "_file" in key and isinstance(value, str) and value.strip().lower() not in OUTPUT_OFF:
                output[key] = _join_output(value, output_dir)
        data["output"] = output
    else:
        output_dir = str(base_dir / "output")
    reports = data.get("reports")
    if isinstance(reports, dict):
        finished = {}
        for name, report in reports.items():
            if isinstance(report, dict):
                report = dict(report)
                file_name = report.get("file_name") or f"{name}.h5"
                if isinstance(file_name, str):
                    if not file_name.endswith(".h5"):
                        file_name += ".h5"
                    report["file_name"] = _join_output(file_name, output_dir)
                for key in _REPORT_OUTPUT_DIRS:
                    if isinstance(report.get(key), str) and report[key]:
                        report[key] = _join_output(report[key], output_dir)
            finished[name] = report
        data["reports"] = finished


# ----------------------------------------------------------------------------------------------
# merging


def _entry_file(entry: Any, list_name: str) -> str | None:
    if isinstance(entry, dict):
        value = entry.get(_NETWORK_LISTS.get(list_name, ""))
        return value if isinstance(value, str) else None
    return None


def _merge_lists(base: list[Any], over: list[Any], list_name: str) -> list[Any]:
    """Concatenate network entries; a later entry naming the same file replaces the earlier one."""
    merged = list(base)
    for entry in over:
        file = _entry_file(entry, list_name)
        same = [i for i, old in enumerate(merged) if file is not None and _entry_file(old, list_name) == file]
        if same:
            merged[same[0]] = entry
        else:
            merged.append(entry)
    return merged


def merge_configs(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Merge ``over`` onto ``base``: object blocks merge one level deep, networks lists concatenate."""
    out = dict(base)
    for key, value in over.items():
        old = out.get(key)
        if key == "networks" and isinstance(old, dict) and isinstance(value, dict):
            nets = dict(old)
            for name, item in value.items():
                if isinstance(nets.get(name), list) and isinstance(item, list):
                    nets[name] = _merge_lists(nets[name], item, name)
                else:
                    nets[name] = item
            out[key] = nets
        elif isinstance(old, dict) and isinstance(value, dict):
            out[key] = {**old, **value}
        else:
            out[key] = value
    return out


# ----------------------------------------------------------------------------------------------
# loading


@dataclass
class _NodeSetLayer:
    """One source of node sets, in override order: a file or an inline block."""

    origin: str  # the config file (or "<dict>") that declared it
    file: str | None = None  # node_sets_file path
    inline: dict[str, Any] | None = None


@dataclass
class _Loaded:
    data: dict[str, Any]
    layers: list[_NodeSetLayer] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


class _Loader:
    """Loads one config tree; shares user variables and the clock across all its files."""

    def __init__(self, user_vars: Mapping[str, Any]) -> None:
        self.user_vars = dict(user_vars)
        self.now = _dt.datetime.now()
        self.stack: list[Path] = []

    def load_file(self, path: Path, *, referrer: Path | None = None, key: str | None = None) -> _Loaded:
        path = Path(os.path.normpath(Path(path).expanduser().absolute()))
        if path in self.stack:
            chain = " -> ".join(str(p) for p in (*self.stack, path))
            raise ConfigError(f"configs include each other in a cycle: {chain}", file=referrer, key=key)
        raw = read_json(path, referrer=referrer, key=key)
        self.stack.append(path)
        try:
            loaded = self.load_document(raw, path.parent, path)
        finally:
            self.stack.pop()
        loaded.files.insert(0, path)
        return loaded

    def load_document(self, raw: Any, base_dir: Path, source: Path | None) -> _Loaded:
        if not isinstance(raw, dict):
            raise ConfigError("a config must be a JSON object", file=source,
                              expected="{...}", found=type(raw).__name__)
        name = source.name if source is not None else ""
        variables = _resolve_variables(raw.get("manifest", {}), _builtin_variables(base_dir, name, self.now),
                                       self.user_vars, source)
        body = {k: v for k, v in raw.items() if k != "manifest"}
        body = _substitute(body, variables, source, "")
        body = _resolve_paths(body, base_dir, top=True)

        result = _Loaded({})
        for key in self._includes(body, base_dir, source):
            part = self.load_file(Path(body[key]), referrer=source, key=key)
            result.data = merge_configs(result.data, part.data)
            result.layers += part.layers
            result.files += part.files
        result.data = merge_configs(result.data, body)
        result.layers += self._own_layers(body, source)
        return result

    @staticmethod
    def _includes(body: dict[str, Any], base_dir: Path, source: Path | None) -> list[str]:
        """Keys naming other configs to merge under this one, circuit first."""
        for key in ("network", "simulation"):
            value = body.get(key)
            if value is not None and not isinstance(value, str):
                raise ConfigError("must be the path of a config file", file=source, key=key,
                                  expected="a string", found=type(value).__name__)
        keys = [k for k in ("network", "simulation") if body.get(k)]
        if not keys and "run" in body and "networks" not in body:
            # BBP rule: a simulation config without "network" uses circuit_config.json beside it
            default = base_dir / _DEFAULT_CIRCUIT
            if default.is_file() and (source is None or source.name != _DEFAULT_CIRCUIT):
                body["network"] = str(default)
                keys = ["network"]
        return keys

    @staticmethod
    def _own_layers(body: dict[str, Any], source: Path | None) -> list[_NodeSetLayer]:
        origin = str(source) if source is not None else "<dict>"
        layers = []
        file = body.get("node_sets_file")
        if file is not None:
            if not isinstance(file, str):
                raise ConfigError("must be a file path", file=source, key="node_sets_file",
                                  expected="a string", found=type(file).__name__)
            layers.append(_NodeSetLayer(origin, file=file))
        inline = body.get("node_sets")
        if inline is not None:
            if not isinstance(inline, dict):
                raise ConfigError("must be an object of node sets", file=source, key="node_sets",
                                  expected="{name: expression}", found=type(inline).__name__)
            layers.append(_NodeSetLayer(origin, inline=inline))
        return layers


# ----------------------------------------------------------------------------------------------
# the config object


class SonataConfig(Mapping[str, Any]):
    """A fully resolved, merged SONATA config (read-only mapping of its top-level keys)."""

    def __init__(
        self,
        data: dict[str, Any],
        *,
        path: Path | None,
        base_dir: Path,
        node_set_layers: list[_NodeSetLayer] | None = None,
        sources: list[Path] | None = None,
    ) -> None:
        self._data = data
        self.path = path
        self.base_dir = base_dir
        self.sources: list[Path] = list(sources or ([] if path is None else [path]))
        self._layers = list(node_set_layers or [])
        self._node_sets: dict[str, Any] | None = None
        self._node_set_sources: dict[str, str] = {}

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def from_json(cls, path: StrPath, **manifest_vars: Any) -> SonataConfig:
        """Load ``path`` and everything it includes; keyword args are extra manifest variables."""
        loader = _Loader(manifest_vars)
        loaded = loader.load_file(Path(path))
        top = loaded.files[0]
        _finish_outputs(loaded.data, top.parent)
        return cls(loaded.data, path=top, base_dir=top.parent, node_set_layers=loaded.layers,
                   sources=list(dict.fromkeys(loaded.files)))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base_dir: StrPath = ".", **manifest_vars: Any) -> SonataConfig:
        """Resolve an in-memory config as if it were a file in ``base_dir``."""
        folder = Path(os.path.normpath(Path(base_dir).expanduser().absolute()))
        loader = _Loader(manifest_vars)
        loaded = loader.load_document(copy.deepcopy(dict(data)), folder, None)
        _finish_outputs(loaded.data, folder)
        return cls(loaded.data, path=None, base_dir=folder, node_set_layers=loaded.layers,
                   sources=list(dict.fromkeys(loaded.files)))

    # -- mapping --------------------------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        where = self.path if self.path is not None else self.base_dir
        return f"SonataConfig({str(where)!r}, keys={sorted(self._data)})"

    # -- blocks ---------------------------------------------------------------------------------

    def _error(self, message: str, key: str, **kw: Any) -> ConfigError:
        return ConfigError(message, file=self.path, key=key, **kw)

    def _block(self, name: str) -> dict[str, Any]:
        value = self._data.get(name)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self._error("must be a JSON object", name, expected="{...}", found=type(value).__name__)
        return copy.deepcopy(value)

    def _enabled(self, block: str) -> dict[str, dict[str, Any]]:
        out = {}
        for name, entry in self._block(block).items():
            if not isinstance(entry, dict):
                raise self._error("must be a JSON object", f"{block}.{name}", expected="{...}",
                                  found=type(entry).__name__)
            if _is_enabled(entry, f"{block}.{name}", self.path):
                out[name] = entry
        return out

    @property
    def run(self) -> dict[str, Any]:
        """The ``run`` block (tstop, dt, ...); empty when absent."""
        return self._block("run")

    @property
    def conditions(self) -> dict[str, Any]:
        """The ``conditions`` block (celsius, v_init, ...); empty when absent."""
        return self._block("conditions")

    @property
    def output(self) -> dict[str, Any]:
        """The ``output`` block with absolute paths; empty when absent."""
        return self._block("output")

    @property
    def components(self) -> dict[str, Any]:
        """The ``components`` block (model and morphology folders); empty when absent."""
        return self._block("components")

    @property
    def target_simulator(self) -> str | None:
        """``target_simulator`` as written (e.g. ``"NEURON"``, ``"NEST"``), or None."""
        value = self._data.get("target_simulator")
        if value is not None and not isinstance(value, str):
            raise self._error("must be a string", "target_simulator", found=value)
        return value

    @property
    def inputs(self) -> dict[str, dict[str, Any]]:
        """Input blocks by name, without those marked ``"enabled": false``."""
        return self._enabled("inputs")

    @property
    def reports(self) -> dict[str, dict[str, Any]]:
        """Report blocks by name (``file_name`` absolute), without disabled ones."""
        return self._enabled("reports")

    @property
    def nodes(self) -> list[dict[str, Any]]:
        """Enabled ``networks.nodes`` entries: nodes_file, node_types_file, populations, ..."""
        return self._network_entries("nodes")

    @property
    def edges(self) -> list[dict[str, Any]]:
        """Enabled ``networks.edges`` entries: edges_file, edge_types_file, populations, ..."""
        return self._network_entries("edges")

    def _network_entries(self, kind: str) -> list[dict[str, Any]]:
        file_key, types_key = f"{kind}_file", f"{kind[:-1]}_types_file"
        entries = self._block("networks").get(kind, [])
        if not isinstance(entries, list):
            raise self._error("must be a list", f"networks.{kind}", expected="[{...}, ...]",
                              found=type(entries).__name__)
        out = []
        for i, entry in enumerate(entries):
            where = f"networks.{kind}[{i}]"
            if not isinstance(entry, dict):
                raise self._error("must be a JSON object", where, found=type(entry).__name__)
            if not _is_enabled(entry, where, self.path):
                continue
            if not isinstance(entry.get(file_key), str) or not entry[file_key]:
                raise self._error(f"missing the {file_key} path", f"{where}.{file_key}",
                                  expected="a file path", found=entry.get(file_key))
            types = entry.get(types_key)
            if types is not None and not isinstance(types, str):
                raise self._error("must be a file path or null", f"{where}.{types_key}", found=types)
            populations = entry.get("populations") or {}
            if not isinstance(populations, dict) or not all(isinstance(v, dict) for v in populations.values()):
                raise self._error("must map population names to objects", f"{where}.populations",
                                  expected="{name: {...}}", found=populations)
            item = {k: v for k, v in entry.items() if k != "enabled"}
            item[types_key] = types
            item["populations"] = populations
            out.append(item)
        return out

    def population_properties(self, name: str, kind: str = "nodes") -> dict[str, Any]:
        """Components merged with the ``populations[name]`` entry of ``kind`` (BBP form).

        ``kind`` is ``"nodes"`` or ``"edges"``. Returns just the components when no entry
        names the population.
        """
        if kind not in _NETWORK_LISTS:
            raise ValueError(f"kind must be 'nodes' or 'edges', not {kind!r}")
        props = self.components
        for entry in self._network_entries(kind):
            if name in entry["populations"]:
                props.update(entry["populations"][name])
                break
        return props

    # -- node sets ------------------------------------------------------------------------------

    @property
    def node_sets(self) -> dict[str, Any]:
        """All node sets: each config's node_sets_file then inline sets, circuit before simulation.

        A later definition of a name replaces an earlier one. Files are read on first access.
        """
        if self._node_sets is None:
            merged: dict[str, Any] = {}
            sources: dict[str, str] = {}
            for layer in self._layers:
                if layer.file is not None:
                    definitions = read_json(layer.file, referrer=layer.origin, key="node_sets_file")
                    if not isinstance(definitions, dict):
                        raise ConfigError("a node sets file must be a JSON object", file=layer.file,
                                          expected="{name: expression}", found=type(definitions).__name__)
                    origin = layer.file
                else:
                    definitions, origin = layer.inline or {}, layer.origin
                merged.update(definitions)
                sources.update(dict.fromkeys(definitions, origin))
            self._node_sets, self._node_set_sources = merged, sources
        return copy.deepcopy(self._node_sets)

    @property
    def node_set_sources(self) -> dict[str, str]:
        """For each node-set name, the file that defined it (for error messages)."""
        self.node_sets  # noqa: B018 - loads the files
        return dict(self._node_set_sources)

    # -- output ---------------------------------------------------------------------------------

    @property
    def output_dir(self) -> Path:
        """``output.output_dir``, or ``<base_dir>/output`` when not set."""
        value = self._block("output").get("output_dir")
        return Path(value) if isinstance(value, str) and value else self.base_dir / "output"

    def output_path(self, key_or_name: str) -> Path:
        """Absolute path of an ``output`` key (``"spikes_file"``), a report name, or a file name."""
        output = self._block("output")
        if isinstance(output.get(key_or_name), str) and "_file" in key_or_name:
            return Path(output[key_or_name])
        reports = self._block("reports")
        report = reports.get(key_or_name)
        if isinstance(report, dict) and isinstance(report.get("file_name"), str):
            return Path(report["file_name"])
        return Path(_join_output(key_or_name, str(self.output_dir)))

    # -- saving ---------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A self-contained resolved copy: no includes, no manifest, node sets merged inline."""
        data = copy.deepcopy(self._data)
        for key in ("network", "simulation"):
            data.pop(key, None)
        if self._layers:
            try:
                data["node_sets"] = self.node_sets
                data.pop("node_sets_file", None)
            except ConfigError:
                pass  # an unreadable node_sets_file stays a reference, as written
        return data

    def as_json(self, indent: int = 2) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent)

    def write_json(self, path: StrPath, *, overwrite: bool = False) -> Path:
        """Write :meth:`as_json` to ``path`` atomically; returns the path."""
        with atomic_path(path, overwrite=overwrite) as tmp:
            tmp.write_text(self.as_json() + "\n", encoding="utf-8")
        return Path(path)


def _is_enabled(entry: dict[str, Any], where: str, file: Path | None) -> bool:
    value = entry.get("enabled", True)
    if not isinstance(value, bool):
        raise ConfigError("must be true or false", file=file, key=f"{where}.enabled",
                          expected="a boolean", found=value)
    return value


def load_config(path: StrPath, **manifest_vars: Any) -> SonataConfig:
    """Load a SONATA config file; see :meth:`SonataConfig.from_json`."""
    return SonataConfig.from_json(path, **manifest_vars)
