"""FilterNet's own ``output`` keys for spike files, on top of the generic ones.

BMTK FilterNet writes spikes to ``spikes_h5`` (else ``spikes_file``), ``spikes_csv`` (else
``spikes_file_csv``) and ``spikes_nwb`` (else ``spikes_file_nwb``), always sorted by node id.
:func:`filternet_outputs` makes a filternet simulation do the same: the FilterNet
names win when both are given, and the spikes are sorted by node id unless the config sets
``spikes_sort_order`` (or ``sort_by``).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from cantata.errors import ConfigError
from cantata.sim.settings import rebase
from cantata.sonata.config import OUTPUT_OFF

if TYPE_CHECKING:
    from cantata.sim.settings import OutputSettings
    from cantata.sonata.config import SonataConfig

__all__ = ["FILTERNET_SPIKE_KEYS", "filternet_outputs"]

#: FilterNet's key -> the generic key (and OutputSettings field) it stands for
FILTERNET_SPIKE_KEYS = {"spikes_h5": "spikes_file", "spikes_csv": "spikes_file_csv", "spikes_nwb": "spikes_file_nwb"}


def filternet_outputs(config: SonataConfig, settings: OutputSettings) -> OutputSettings:
    """``settings`` with the spike files at FilterNet's keys and sorted by node id (the
    engine spec's ``outputs`` hook, applied before the output files are checked)."""
    out = config.output
    changes: dict[str, object] = {}
    for key, name in FILTERNET_SPIKE_KEYS.items():
        value = out.get(key)
        if value is None or value is False or (isinstance(value, str) and value.strip().lower() in OUTPUT_OFF):
            continue
        if not isinstance(value, str):
            raise ConfigError("must be a file name", file=config.path, key=f"output.{key}", expected="a string",
                              found=value)
        changes[name] = rebase(config.output_path(value), config.output_dir, settings.output_dir)
    if not any(k in out for k in ("sort_by", "spikes_sort_order")):
        changes["sort_by"] = "id"
    return dataclasses.replace(settings, **changes) if changes else settings
