"""``cantata validate``: every problem of a SONATA config and the files it names.

:func:`validate_config` runs four stages and collects all problems instead of stopping at the
first one; a failure stops only the checks that depend on what failed:

1. the config files as written (:mod:`validate_files`): JSON syntax with line and column,
   unknown or misspelled sections, undefined manifest variables, included files;
2. the resolved settings (:mod:`validate_settings`): run times, components folders, input,
   report and output files;
3. the network (:mod:`validate_circuit`, :mod:`validate_h5`, :mod:`validate_models`): files,
   HDF5 layout and dtypes, types tables, edge node ids, model files, morphologies;
4. node sets (:mod:`validate_nodesets`): names used by inputs and reports, compound sets.

The rules and messages are described in ``docs/validation.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from typing import Any

from cantata.sonata.validate_circuit import check_circuit
from cantata.sonata.validate_files import load_resolved, read_config_tree
from cantata.sonata.validate_nodesets import check_node_sets
from cantata.sonata.validate_problems import ERROR, WARNING, Problem, ProblemList
from cantata.sonata.validate_settings import check_settings

__all__ = ["ERROR", "WARNING", "Problem", "Validation", "validate", "validate_config"]


@dataclass
class Validation:
    """The outcome of :func:`validate`: the problems and a short summary of what was checked."""

    path: Path
    problems: list[Problem]
    files: list[Path] = field(default_factory=list)  # config files read
    nodes: dict[str, int] = field(default_factory=dict)  # population -> node count
    edges: dict[str, int] = field(default_factory=dict)  # population -> edge count

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def config_name(self) -> str:
        return str(self.path)

    @property
    def ok(self) -> bool:
        """True when there is no error (warnings allowed)."""
        return not self.errors

    def summary(self) -> str:
        """One line: config files, populations, nodes, edges, warnings."""
        parts = [
            _count(len(self.files), "config file"),
            f"{_count(len(self.nodes), 'node population')} ({_count(sum(self.nodes.values()), 'node')})",
            f"{_count(len(self.edges), 'edge population')} ({_count(sum(self.edges.values()), 'edge')})",
        ]
        if self.warnings:
            parts.append(_count(len(self.warnings), "warning"))
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "config": str(self.path), "ok": self.ok, "errors": len(self.errors), "warnings": len(self.warnings),
            "files": [str(f) for f in self.files], "nodes": dict(self.nodes), "edges": dict(self.edges),
            "problems": [p.to_dict() for p in self.problems],
        }


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def validate(path: str | PathLike[str]) -> Validation:
    """Check the config at ``path`` and everything it names; see the module doc."""
    problems = ProblemList()
    tree = read_config_tree(path, problems)
    result = Validation(tree.top, [], files=[f.path for f in tree.files if f.data is not None])
    config = load_resolved(tree, problems)
    if config is not None:
        check_settings(config, tree, problems)
        scan = check_circuit(config, tree, problems)
        try:
            check_node_sets(config, tree, scan, problems)
            result.nodes = {name: pop.size for name, pop in scan.nodes.items()}
            result.edges = {name: pop.size for name, pop in scan.edges.items()}
        finally:
            scan.close()
    result.problems = list(problems)
    return result


def validate_config(path: str | PathLike[str]) -> list[Problem]:
    """Every problem found in the config at ``path`` (errors and warnings, in the order found)."""
    return validate(path).problems
