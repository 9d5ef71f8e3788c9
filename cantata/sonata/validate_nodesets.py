"""Validation stage 4: node sets and the places that name them.

References are the top-level ``node_set``, ``inputs.<name>.node_set`` and
``reports.<name>.cells`` (or ``node_set``). A name must be a defined set or, as in BMTK, a node
population (the evaluator treats every population name as the set of its nodes). Compound sets
must name defined sets. When the whole network could be read, each reference is also evaluated
(unknown attributes, bad operators, sets that select nothing), and so is every other defined
set (failures there are warnings, since an unused set harms no run). A referenced set
that selects no node is a warning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cantata.errors import CantataError
from cantata.sonata.config import SonataConfig
from cantata.sonata.nodesets import ALL, NodeSets
from cantata.sonata.validate_circuit import CircuitScan
from cantata.sonata.validate_files import ConfigTree
from cantata.sonata.validate_problems import WARNING, ProblemList, one_of, suggestion


def check_node_sets(config: SonataConfig, tree: ConfigTree, scan: CircuitScan, problems: ProblemList) -> None:
    """Check every node-set reference and definition; see the module doc."""
    try:
        sets = NodeSets.from_config(config)
    except CantataError as exc:
        if exc.file in (None, "<dict>"):
            exc.file = str(tree.origin("node_sets_file"))
        problems.add_exception(exc)
        return
    sources = config.node_set_sources
    referenced: set[str] = set()
    for file, key, expression in _references(config, tree, problems):
        names = _names(expression)
        referenced.update(names)
        if all(_check_name(name, sets, scan, file, key, problems) for name in names) and scan.complete:
            _evaluate(sets, expression, scan, file, key, problems, severity="error")
    for name in sets.names:
        definition = sets[name]
        file = sources.get(name) or str(tree.origin("node_sets_file"))
        members_ok = True
        if isinstance(definition, list) and all(isinstance(m, str) for m in definition):
            members_ok = all(_check_name(m, sets, scan, file, f"{name}[{i}]", problems)
                              for i, m in enumerate(definition))
        if name not in referenced and members_ok and scan.complete:
            _evaluate(sets, name, scan, file, name, problems, severity=WARNING)


def _references(config: SonataConfig, tree: ConfigTree, problems: ProblemList) -> list[tuple[Path, str, Any]]:
    refs: list[tuple[Path, str, Any]] = []
    if config.get("node_set") is not None:
        refs.append((tree.origin("node_set"), "node_set", config["node_set"]))
    with problems.guard(file=tree.origin("inputs"), own_file=True):
        for name, block in config.inputs.items():
            if block.get("node_set") is not None:
                refs.append((tree.origin("inputs", name), f"inputs.{name}.node_set", block["node_set"]))
    with problems.guard(file=tree.origin("reports"), own_file=True):
        for name, block in config.reports.items():
            for key in ("cells", "node_set"):
                if block.get(key) is not None:
                    refs.append((tree.origin("reports", name), f"reports.{name}.{key}", block[key]))
    return refs


def _names(expression: Any) -> list[str]:
    if isinstance(expression, str):
        return [expression]
    if isinstance(expression, list) and all(isinstance(e, str) for e in expression):
        return list(expression)
    return []


def _check_name(name: str, sets: NodeSets, scan: CircuitScan, file: Path | str, key: str,
                problems: ProblemList) -> bool:
    """True if ``name`` is a set or a population (or cannot be judged: part of the network is unreadable)."""
    if name in sets or name in scan.node_names or name == ALL:
        return True
    if not scan.complete:
        return False  # it may be a population of a file that could not be read
    hint = suggestion(name, [*sets.names, *scan.node_names])
    problems.error(f"unknown node set {name!r}{hint}", file=file, key=key,
                   expected=f"a defined node set ({one_of(sets.names)}) or a node population "
                            f"({one_of(scan.node_names)})", found=name)
    return False


def _evaluate(sets: NodeSets, expression: Any, scan: CircuitScan, file: Path | str, key: str,
              problems: ProblemList, *, severity: str) -> None:
    strict = severity == "error"
    try:
        selected = sets.resolve(expression, scan.nodes, strict=strict, where=key)
    except CantataError as exc:
        if exc.key is None or exc.key == key or exc.key.startswith((f"{key}.", f"{key}[")):
            exc.file = str(file)  # about the expression as written where it is used
        problems.add_exception(exc, severity=severity, file=file, key=key)
        return
    if not selected and strict:
        problems.warning("node set selects no nodes", file=file, key=key, expected="at least one node",
                         found=expression if isinstance(expression, str) else "an empty selection")
