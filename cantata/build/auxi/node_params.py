"""BMTK's position helpers (``bmtk.builder.auxi.node_params``), see :mod:`cantata.build.positions`."""

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

__all__ = [
    "positions_box",
    "positions_columinar",
    "positions_columnar",
    "positions_cuboid",
    "positions_cylinder",
    "positions_layers",
    "positions_rect_prism",
    "xiter_random",
]
