"""Network building: BMTK's ``NetworkBuilder`` API with vectorised rules and positions.

``from cantata.build import NetworkBuilder`` is all a BMTK build script needs to change.
See docs/building.md.
"""

from cantata.build.connection_map import ConnectionMap
from cantata.build.network import NetworkBuilder
from cantata.build.nodes import Node, NodePool
from cantata.build.positions import (
    positions_box,
    positions_columinar,
    positions_columnar,
    positions_cuboid,
    positions_cylinder,
    positions_layers,
    positions_rect_prism,
    xiter_random,
)
from cantata.build.properties import (
    Constant,
    EdgeView,
    LogNormal,
    Normal,
    PropertyRule,
    Uniform,
    Vectorized,
    vectorized,
)
from cantata.build.rules import (
    AllToAll,
    ConnectionRule,
    DistanceProbability,
    ExponentialDistance,
    Fixed,
    FixedInDegree,
    FixedOutDegree,
    FixedTotalNumber,
    GaussianDistance,
    OneToOne,
    Poisson,
    Probability,
    SynapseCount,
    UniformInt,
)

__all__ = [
    "AllToAll",
    "ConnectionMap",
    "ConnectionRule",
    "Constant",
    "DistanceProbability",
    "EdgeView",
    "ExponentialDistance",
    "Fixed",
    "FixedInDegree",
    "FixedOutDegree",
    "FixedTotalNumber",
    "GaussianDistance",
    "LogNormal",
    "NetworkBuilder",
    "Node",
    "NodePool",
    "Normal",
    "OneToOne",
    "Poisson",
    "Probability",
    "PropertyRule",
    "SynapseCount",
    "Uniform",
    "UniformInt",
    "Vectorized",
    "positions_box",
    "positions_columinar",
    "positions_columnar",
    "positions_cuboid",
    "positions_cylinder",
    "positions_layers",
    "positions_rect_prism",
    "vectorized",
    "xiter_random",
]
