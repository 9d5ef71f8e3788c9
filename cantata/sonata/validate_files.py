"""Validation stage 1: the config files as written (JSON, sections, manifests, includes).

Every config file of the tree (the top file, the ``network``/``simulation`` files it
includes, and theirs) is read on its own, so a syntax error in one file does not hide the
problems of the others. The resolved config is then loaded with :func:`load_config`; when a
file is broken, the readable files are loaded one by one and merged with the loader's own
rules, so the later stages still see everything that does not depend on the broken file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cantata.errors import CantataError
from cantata.sonata.config import (
    VARIABLE_NAME,
    VARIABLE_REFERENCE,
    SonataConfig,
    load_config,
    merge_configs,
    read_json,
)
from cantata.sonata.validate_problems import (
    UNRESOLVED,
    ProblemList,
    closest,
    is_placeholder,
    suggestion,
)

#: Top-level keys of Allen (BMTK) and BBP (libsonata) circuit and simulation configs.
KNOWN_SECTIONS = frozenset({
    "manifest", "network", "simulation", "networks", "components", "node_sets_file", "node_sets",
    "node_set", "target_simulator", "target_simulator_version", "run", "conditions", "inputs",
    "reports", "output", "version", "metadata", "beta_features", "connection_overrides",
    "mechanisms_dir", "compartment_sets_file",
})
BUILTIN_VARIABLES = frozenset({"configdir", "configfname", "workingdir", "date", "time", "datetime"})
INCLUDE_KEYS = ("network", "simulation")
DEFAULT_CIRCUIT = "circuit_config.json"


@dataclass
class ConfigFile:
    """One config file as written."""

    path: Path
    data: dict[str, Any] | None = None  # None: unreadable or not a JSON object
    defined: set[str] = field(default_factory=set)  # manifest variable names (without $)
    unresolved: set[str] = field(default_factory=set)  # referenced but not defined here
    usable: bool = True  # readable, with a manifest the loader accepts


@dataclass
class ConfigTree:
    """The files of one config, in the loader's merge order (included files first)."""

    top: Path
    order: list[ConfigFile] = field(default_factory=list)
    broken: bool = False  # some file could not be read or loaded as written

    @property
    def files(self) -> list[ConfigFile]:
        """Each file once, in merge order."""
        return list({f.path: f for f in self.order}.values())

    def undefined_names(self) -> set[str]:
        """Variables some file uses that no file's manifest (nor the built-ins) defines."""
        used = set().union(*(f.unresolved for f in self.files)) if self.order else set()
        defined = set().union(*(f.defined for f in self.files)) if self.order else set()
        return used - defined - BUILTIN_VARIABLES

    def origin(self, section: str, name: str | None = None) -> Path:
        """The file whose ``section`` (or ``section[name]``) wins the merge; the top file if none."""
        for cfg in reversed(self.order):
            block = (cfg.data or {}).get(section)
            if block is not None and (name is None or (isinstance(block, dict) and name in block)):
                return cfg.path
        return self.top

    def network_origin(self, kind: str, index: int) -> tuple[Path, int]:
        """File and position of entry ``index`` of the merged ``networks[kind]`` list."""
        spans: list[tuple[Path, int]] = []
        for cfg in self.order:
            networks = (cfg.data or {}).get("networks")
            entries = networks.get(kind) if isinstance(networks, dict) else None
            if isinstance(entries, list):
                spans.extend((cfg.path, i) for i in range(len(entries)))
        if 0 <= index < len(spans):
            return spans[index]
        return self.origin("networks"), index


# ----------------------------------------------------------------------------------------------
# reading the tree


def read_config_tree(path: str | os.PathLike[str], problems: ProblemList) -> ConfigTree:
    """Read every file of the config at ``path``; record syntax, section and manifest problems."""
    top = Path(os.path.normpath(Path(path).expanduser().absolute()))
    tree = ConfigTree(top)
    before = len(problems.errors)
    _Walker(tree, problems).visit(top, None, None, ())
    tree.broken = len(problems.errors) > before or any(not f.usable for f in tree.order)
    return tree


class _Walker:
    def __init__(self, tree: ConfigTree, problems: ProblemList) -> None:
        self.tree = tree
        self.problems = problems
        self.seen: dict[Path, ConfigFile] = {}

    def visit(self, path: Path, referrer: Path | None, key: str | None, stack: tuple[Path, ...]) -> None:
        if path in stack:
            chain = " -> ".join(str(p) for p in (*stack, path))
            self.problems.error(f"configs include each other in a cycle: {chain}", file=referrer, key=key,
                                expected="no cycle", found=str(path))
            self.tree.broken = True
            return
        cfg = self.seen.get(path)
        first = cfg is None
        if cfg is None:
            cfg = self.seen[path] = self.read(path, referrer, key)
        if cfg.data is not None and cfg.usable:
            for include_key, target in self.includes(cfg):
                self.visit(target, path, include_key, (*stack, path))
        if cfg.data is not None or first:
            self.tree.order.append(cfg)

    def read(self, path: Path, referrer: Path | None, key: str | None) -> ConfigFile:
        cfg = ConfigFile(path)
        try:
            raw = read_json(path, referrer=referrer, key=key)
        except CantataError as exc:
            self.problems.add_exception(exc)
            cfg.usable = False
            return cfg
        if not isinstance(raw, dict):
            self.problems.error("a config must be a JSON object", file=path, expected="{...}",
                                found=type(raw).__name__)
            cfg.usable = False
            return cfg
        cfg.data = raw
        check_sections(cfg, self.problems)
        check_manifest(cfg, self.problems)
        return cfg

    def includes(self, cfg: ConfigFile) -> Iterator[tuple[str, Path]]:
        assert cfg.data is not None
        keys = []
        for key in INCLUDE_KEYS:
            value = cfg.data.get(key)
            if value is None or value == "":
                continue
            if not isinstance(value, str):
                self.problems.error("must be the path of a config file", file=cfg.path, key=key,
                                    expected="a string", found=type(value).__name__)
                cfg.usable = False
                continue
            keys.append(key)
            target = resolve_value(cfg, value)
            if target is not None:
                yield key, Path(target)
        if not keys and "run" in cfg.data and "networks" not in cfg.data:
            default = cfg.path.parent / DEFAULT_CIRCUIT  # BBP: circuit_config.json beside it
            if default.is_file() and cfg.path.name != DEFAULT_CIRCUIT:
                yield "network", default


def resolve_value(cfg: ConfigFile, value: str) -> str | None:
    """``value`` with ``cfg``'s manifest applied, as an absolute path (None if unresolvable)."""
    placeholders = {n: UNRESOLVED.format(n) for n in cfg.unresolved}
    document = {"manifest": (cfg.data or {}).get("manifest", {}), "include_file": value}
    try:
        resolved = SonataConfig.from_dict(document, base_dir=cfg.path.parent, **placeholders)["include_file"]
    except CantataError:
        return None  # the manifest problem is reported by check_manifest
    return None if is_placeholder(resolved) else resolved


# ----------------------------------------------------------------------------------------------
# sections and manifests


def check_sections(cfg: ConfigFile, problems: ProblemList) -> None:
    """Unknown top-level keys: an error when close to a known section (a misspelling), else a warning."""
    assert cfg.data is not None
    for key in cfg.data:
        if key in KNOWN_SECTIONS:
            continue
        hint = suggestion(key, KNOWN_SECTIONS, cutoff=0.8)
        if hint:
            problems.error(f"unknown section{hint}", file=cfg.path, key=key,
                           expected="a SONATA section name", found=key)
        else:
            problems.warning("unknown section (ignored)", file=cfg.path, key=key,
                             expected="a SONATA section name", found=key)


def check_manifest(cfg: ConfigFile, problems: ProblemList) -> None:
    """Manifest shape, variable names, cycles, and every reference to an undefined variable."""
    assert cfg.data is not None
    manifest = cfg.data.get("manifest", {})
    values: dict[str, Any] = {}
    if not isinstance(manifest, dict):
        problems.error("manifest must be a JSON object", file=cfg.path, key="manifest",
                       expected="an object of variables", found=type(manifest).__name__)
        cfg.usable = False
    else:
        for key, value in manifest.items():
            name = key.removeprefix("$")
            if not VARIABLE_NAME.fullmatch(name):
                problems.error("bad manifest variable name", file=cfg.path, key=f"manifest.{key}",
                               expected="$ followed by letters, digits or _", found=key)
                cfg.usable = False
                continue
            values[name] = value
    cfg.defined = set(values)
    known = cfg.defined | BUILTIN_VARIABLES
    for name, value in values.items():
        _check_references(cfg, value, f"manifest.${name}", known, problems)
    _check_cycles(cfg, values, problems)
    body = {k: v for k, v in cfg.data.items() if k != "manifest"}
    _check_references(cfg, body, "", known, problems)


def _check_references(cfg: ConfigFile, node: Any, where: str, known: set[str], problems: ProblemList) -> None:
    if isinstance(node, str):
        for match in VARIABLE_REFERENCE.finditer(node):
            name = match.group(1) or match.group(2)
            if name not in known:
                cfg.unresolved.add(name)
                close = closest(name, known)
                hint = f" (did you mean ${close}?)" if close else ""
                problems.error(f"unknown manifest variable ${name}{hint}", file=cfg.path,
                               key=where or None, expected=_variables(known), found=node)
    elif isinstance(node, dict):
        for key, value in node.items():
            if not key.startswith("$"):  # node-set operator operands are not substituted
                _check_references(cfg, value, f"{where}.{key}" if where else key, known, problems)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _check_references(cfg, value, f"{where}[{i}]", known, problems)


def _variables(known: set[str]) -> str:
    own = sorted(known - BUILTIN_VARIABLES)
    listed = ", ".join(f"${n}" for n in own) if own else "none in this file's manifest"
    return f"a manifest variable ({listed}) or a built-in ($configdir, $workingdir, ...)"


def _check_cycles(cfg: ConfigFile, values: dict[str, Any], problems: ProblemList) -> None:
    edges = {
        name: [m.group(1) or m.group(2) for m in VARIABLE_REFERENCE.finditer(value)] if isinstance(value, str) else []
        for name, value in values.items()
    }
    state: dict[str, int] = {}  # 1 = on the path, 2 = done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for ref in edges.get(name, []):
            if ref not in edges:
                continue
            if state.get(ref) == 1:
                cycle = " -> ".join(f"${n}" for n in (*path[path.index(ref):], ref))
                problems.error(f"manifest variables form a cycle: {cycle}", file=cfg.path,
                               key=f"manifest.${ref}", expected="variables that end in a value",
                               found=cycle)
                cfg.usable = False
            elif ref not in state:
                visit(ref, [*path, ref])
        state[name] = 2

    for name in edges:
        if name not in state:
            visit(name, [name])


# ----------------------------------------------------------------------------------------------
# loading


def load_resolved(tree: ConfigTree, problems: ProblemList) -> SonataConfig | None:
    """The resolved config, from the readable files only when some file is broken."""
    if not tree.order or tree.order[-1].data is None:
        return None  # the top file itself is unreadable: nothing else can be checked
    placeholders = {n: UNRESOLVED.format(n) for n in tree.undefined_names()}
    try:
        return load_config(tree.top, **placeholders)
    except CantataError as exc:
        if not tree.broken:
            problems.add_exception(exc, file=tree.top)
    return _load_parts(tree, problems)


def _load_parts(tree: ConfigTree, problems: ProblemList) -> SonataConfig | None:
    merged: dict[str, Any] = {}
    for cfg in tree.order:
        if cfg.data is None or not cfg.usable:
            continue
        body = {k: v for k, v in cfg.data.items() if k not in INCLUDE_KEYS}
        body.setdefault("networks", {})  # keeps the loader from adding circuit_config.json again
        placeholders = {n: UNRESOLVED.format(n) for n in cfg.unresolved}
        try:
            part = SonataConfig.from_dict(body, base_dir=cfg.path.parent, **placeholders)
            merged = merge_configs(merged, part.to_dict())
        except CantataError as exc:
            problems.add_exception(exc, file=cfg.path)
    if not merged:
        return None
    try:
        return SonataConfig.from_dict(merged, base_dir=tree.top.parent)
    except CantataError as exc:
        problems.add_exception(exc, file=tree.top)
        return None
