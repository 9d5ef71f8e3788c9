"""Cell selection by NetPyNE conditions (``preConds``, ``postConds``, stimulation ``conds``).

A condition on ``pop``/``cellType``/``cellModel`` (or a tag named in
``netParams.popTagsCopiedToCells``) matches a value or any value of a list; one on ``x``,
``y``, ``z``, ``xnorm``, ``ynorm``, ``znorm`` is a half-open range ``[min, max)``. All
conditions must hold. Selections are sorted NetPyNE gids.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from cantata.specs.checks import fail, is_number
from cantata.specs.dicts import undotify
from cantata.specs.model import Population

RANGE_KEYS = ("x", "y", "z", "xnorm", "ynorm", "znorm")


class CellTable:
    """Columns over every NetPyNE cell, in gid order."""

    def __init__(self, pops: Mapping[str, Population], sizes: tuple[float, float, float]) -> None:
        self.pops = [p for p in pops.values() if p.first_gid >= 0]
        self.pop_index = np.repeat(np.arange(len(self.pops)), [p.size for p in self.pops])
        positions = [p.positions for p in self.pops if p.positions is not None]
        xyz = np.concatenate(positions) if positions else np.zeros((0, 3))
        self.columns = {"x": xyz[:, 0], "y": xyz[:, 1], "z": xyz[:, 2]}
        scale = np.asarray(sizes, dtype=float)
        norms = [p.norms if p.norms is not None else p.positions / scale for p in self.pops
                 if p.positions is not None]
        norm = np.concatenate(norms) if norms else np.zeros((0, 3))
        for axis, name in enumerate("xyz"):  # NetPyNE's own normalised values where it drew them
            self.columns[f"{name}norm"] = norm[:, axis]
        self.size = int(self.pop_index.size)
        self.tag_names = {name for p in self.pops for name in p.tags}

    def select(self, conds: Any, key: str) -> np.ndarray:
        """Sorted gids of the cells meeting every condition."""
        if conds is None:
            conds = {}
        if not isinstance(conds, Mapping):
            fail("conditions are a dict", key, expected="{'pop': 'E'} or similar", found=conds)
        mask = np.ones(self.size, dtype=bool)
        for name, value in conds.items():
            name = "pop" if name == "popLabel" else name
            value = undotify(value)
            if name in RANGE_KEYS:
                if not (isinstance(value, (list, tuple)) and len(value) == 2 and all(map(is_number, value))):
                    fail("a location condition is a range [min, max)", f"{key}.{name}", expected="two numbers",
                         found=value)
                column = self.columns[name]
                mask &= (column >= value[0]) & (column < value[1])
            elif name in self.tag_names:
                wanted = value if isinstance(value, list) else [value]
                ok = np.array([p.tags.get(name) in wanted for p in self.pops], dtype=bool)
                mask &= ok[self.pop_index] if self.pops else mask
            else:
                fail("unsupported condition", f"{key}.{name}",
                     expected=f"one of {sorted({*self.tag_names, *RANGE_KEYS})}", found=name)
        return np.flatnonzero(mask).astype(np.int64)

    def population(self, gid: int) -> Population:
        return self.pops[int(self.pop_index[gid])]
