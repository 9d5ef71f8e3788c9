"""Lazy, columnar readers for SONATA node and edge populations and whole circuits.

Opening reads only HDF5 metadata (group names, dataset shapes and dtypes) and the small types
CSV. Data is read when asked for: one contiguous h5py read per dataset (the span of the
requested rows), then numpy indexing. See docs/circuits.md for the accepted variants and the
precedence and missing-value rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import Any, Self

from cantata.errors import FormatError
from cantata.sonata.h5columns import H5Handle, PathArg, population_names
from cantata.sonata.populations import EdgePopulation, NodePopulation
from cantata.sonata.types_table import (
    read_types_csv,
)

__all__ = [
    "Circuit",
    "EdgePopulation",
    "H5Handle",
    "NodePopulation",
    "UnknownPopulationError",
    "population_names",
]


class _PopulationDict(dict):
    """A dict of populations whose missing-key error names the available populations."""

    def __init__(self, kind: str, *args: Any) -> None:
        super().__init__(*args)
        self._kind = kind

    def __missing__(self, key: str) -> Any:
        raise UnknownPopulationError(
            f"unknown {self._kind} population", key=str(key),
            expected="one of: " + (", ".join(sorted(self)) or "none"), found=str(key),
        )

    def __reduce__(self):
        return (type(self), (self._kind, dict(self)))


class UnknownPopulationError(FormatError, KeyError):
    """A population name not in the circuit (also a KeyError, so ``.get``-style code works)."""

    def __str__(self) -> str:
        return Exception.__str__(self)


class Circuit:
    """All node and edge populations of a network."""

    def __init__(
        self,
        nodes: Mapping[str, NodePopulation] | None = None,
        edges: Mapping[str, EdgePopulation] | None = None,
    ) -> None:
        self.nodes: dict[str, NodePopulation] = _PopulationDict("node", dict(nodes or {}))
        self.edges: dict[str, EdgePopulation] = _PopulationDict("edge", dict(edges or {}))

    @classmethod
    def from_config(cls, config: Any) -> Circuit:
        """Open the networks of a SonataConfig (or of a config file path).

        Uses ``config.nodes`` / ``config.edges``: lists of ``{"nodes_file", "node_types_file",
        "populations"}`` / ``{"edges_file", "edge_types_file", "populations"}`` entries.
        """
        if isinstance(config, (str, PathLike)):
            from cantata.sonata.config import load_config

            config = load_config(config)
        return cls.from_files(nodes=list(config.nodes), edges=list(config.edges))

    @classmethod
    def from_files(
        cls,
        nodes: Iterable[Any] = (),
        edges: Iterable[Any] = (),
    ) -> Circuit:
        """Open populations from files.

        Each item is ``(h5, csv)`` (csv may be None), a bare h5 path, or a config-style dict
        (``nodes_file``/``node_types_file``/``populations``; edges alike). A non-empty
        ``populations`` dict limits the populations opened to its keys and is kept as each
        population's ``config``.
        """
        handles: dict[Path, H5Handle] = {}
        circuit = cls()
        try:
            for kind, items, target in (("nodes", nodes, circuit.nodes), ("edges", edges, circuit.edges)):
                for item in items:
                    h5, csv, wanted = _entry(item, kind)
                    handle = handles.setdefault(Path(h5).resolve(), H5Handle(h5))
                    _open_entry(kind, handle, csv, wanted, target)
        except BaseException:
            for handle in handles.values():
                handle.close()
            raise
        return circuit

    def close(self) -> None:
        """Close every open HDF5 file."""
        for population in [*self.nodes.values(), *self.edges.values()]:
            population.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Circuit(nodes={sorted(self.nodes)}, edges={sorted(self.edges)})"


# ------------------------------------------------------------------ helpers
def _entry(item: Any, kind: str) -> tuple[PathArg, PathArg | None, Mapping[str, Any] | None]:
    prefix = kind[:-1]
    if isinstance(item, Mapping):
        h5 = item.get(f"{kind}_file")
        if h5 is None:
            raise FormatError(f"network entry lacks {kind}_file", key=f"networks.{kind}", found=str(dict(item)))
        return h5, item.get(f"{prefix}_types_file"), item.get("populations") or None
    if isinstance(item, (str, PathLike)):
        return item, None, None
    if isinstance(item, Sequence) and len(item) == 2:
        return item[0], item[1], None
    raise TypeError(f"{kind} entries must be (h5, csv) pairs, paths or config dicts, not {item!r}")


def _open_entry(
    kind: str, handle: H5Handle, csv: PathArg | None, wanted: Mapping[str, Any] | None, target: dict
) -> None:
    names = population_names(handle, kind)
    if wanted:
        absent = sorted(set(wanted) - set(names))
        if absent:
            raise FormatError(
                "populations named in the config are not in the file", file=handle.path,
                key=f"/{kind}", expected="one of: " + (", ".join(names) or "none"), found=absent,
            )
        names = [name for name in names if name in wanted]
    types = read_types_csv(csv, id_column=f"{kind[:-1]}_type_id") if csv is not None else None
    population_class = NodePopulation if kind == "nodes" else EdgePopulation
    for name in names:
        if name in target:
            raise FormatError(
                f"{kind[:-1]} population defined twice", file=handle.path, key=f"/{kind}/{name}",
                found=f"also in {target[name].path}",
            )
        target[name] = population_class(
            handle, name, types, config=(wanted or {}).get(name), types_file=csv
        )
