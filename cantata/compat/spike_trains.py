"""``bmtk.utils.reports.spike_trains`` names: ``from cantata.compat.spike_trains import SpikeTrains``.

``SpikeTrains`` is :class:`cantata.sonata.spikes.SpikeTrains` (with BMTK's ``load``,
``from_sonata``, ``node_ids``, ``get_times``, ``time_range``, ``to_sonata`` ...),
``PoissonSpikeGenerator`` is :class:`cantata.stimuli.PoissonSpikeGenerator` and ``sort_order``
is an enum with BMTK's members (``sort_order.by_time``, ``by_id``, ``none``, ``unknown``).
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from cantata.compat._names import missing_attribute, unsupported
from cantata.sonata.spikes import SpikeTrains
from cantata.stimuli import PoissonSpikeGenerator

__all__ = ["PoissonSpikeGenerator", "SortOrder", "SpikeTrains", "sort_order"]


class SortOrder(Enum):
    """BMTK's spike sort orders; accepted wherever a ``sort_order`` is."""

    none = "none"
    by_id = "by_id"
    by_time = "by_time"
    unknown = "unknown"


sort_order = SortOrder

GammaSpikeGenerator = unsupported("spike_trains.GammaSpikeGenerator",
                                  "draw gamma-process spike times with numpy and wrap them with "
                                  "SpikeTrains.from_arrays(node_ids, timestamps, population)")


def __getattr__(name: str) -> Any:
    raise missing_attribute(__name__, name, "SpikeTrains, PoissonSpikeGenerator, sort_order (SortOrder)")
