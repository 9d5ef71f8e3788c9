"""The compiled model: what ``netParams``/``simConfig`` expand to, ready to be written as SONATA.

NetPyNE numbers cells with global ids (gids) in ``popParams`` order; here each NetPyNE
population is a SONATA node population whose node ids are the relative indices, so
``gid = first_gid + node_id``. Stimulation sources become extra (virtual) populations after
them, without NetPyNE gids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

COMPARTMENT, POINT, VIRTUAL = "compartment", "point", "virtual"


@dataclass
class Population:
    """One node population."""

    label: str  # NetPyNE label (also the SONATA population name)
    kind: str  # COMPARTMENT, POINT or VIRTUAL
    size: int
    first_gid: int  # NetPyNE gid of node 0 (-1 for stimulation sources)
    cell_type: str | None = None
    cell_model: str | None = None
    rule: dict[str, Any] | None = None  # compartment: the cell rule ({"secs": ...})
    params: dict[str, float] = field(default_factory=dict)  # point: mechanism parameters (ms)
    spikes: list[np.ndarray] | None = None  # virtual: spike times (ms) per node
    positions: np.ndarray | None = None  # [size, 3] um
    norms: np.ndarray | None = None  # [size, 3] normalised positions, when NetPyNE draws them
    threshold: float = 10.0
    tags: dict[str, Any] = field(default_factory=dict)  # pop-level tags used by conds
    rule_label: str | None = None  # compartment: the cellParams label of its rule
    vref: dict[str, Any] | None = None  # compartment: the point process with its own voltage

    @property
    def gids(self) -> np.ndarray:
        return self.first_gid + np.arange(self.size, dtype=np.int64)


@dataclass
class SynMech:
    """A synapse model: a NEURON point process and its parameters (NEURON names)."""

    label: str
    mod: str
    params: dict[str, float]


@dataclass
class EdgeBlock:
    """NetCons made by one rule with one synapse model between two populations, one row each."""

    rule: str
    synmech: str | None
    source: str
    target: str
    source_ids: np.ndarray
    target_ids: np.ndarray
    weight: np.ndarray
    delay: np.ndarray
    section_id: np.ndarray | None = None  # compartment targets: index in the rule's secs
    section_pos: np.ndarray | None = None
    weight_index: np.ndarray | None = None  # targets with a vref point process: NetCon weight slot


@dataclass
class Clamp:
    """A current clamp (IClamp) on some cells of one population."""

    label: str
    population: str
    node_ids: np.ndarray
    amp: float
    delay: float
    duration: float
    section_kind: str
    section_index: int
    x: float


@dataclass
class PointStim:
    """A point-process electrode (SEClamp, VClamp, AlphaSynapse) on some cells of one population."""

    label: str
    population: str
    node_ids: np.ndarray
    mechanism: str
    params: dict[str, float | list[float]]
    section_kind: str
    section_index: int
    x: float


@dataclass
class Trace:
    """A recorded variable on some cells (a membrane report)."""

    label: str
    variable: str
    nodes: dict[str, np.ndarray]
    sites: dict[str, tuple[int, float]] = field(default_factory=dict)  # population -> (section id, x)
    sections: str = "soma"  # what the membrane report records ("all": every segment)


@dataclass
class Lfp:
    """``simConfig.recordLFP``: electrode positions and the cells whose own LFP is kept."""

    electrodes: np.ndarray  # [C, 3] um, as the user gave them (NetPyNE's y, not inverted)
    cells: np.ndarray | None = None  # saveLFPCells: NetPyNE gids (None: none kept)
    pops: list[str] | None = None  # saveLFPPops: population labels (None: none kept)


@dataclass
class Model:
    """Everything ``to_sonata`` writes."""

    populations: dict[str, Population]
    synmechs: dict[str, SynMech]
    edges: list[EdgeBlock]
    clamps: list[Clamp]
    traces: list[Trace]
    run: dict[str, Any]
    conditions: dict[str, float]
    record_step: float
    seeds: dict[str, int]
    stims: list[PointStim] = field(default_factory=list)
    lfp: Lfp | None = None
