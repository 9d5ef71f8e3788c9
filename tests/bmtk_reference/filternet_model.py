"""Small LGN networks and FilterNet configs, built with ``cantata.build``, for the BMTK
FilterNet reference checks (tests/test_filternet_reference.py). Imported by Cantata's interpreter.

Population ``lgn``. :data:`TYPES` (the default network): tON_TF8, sOFF_TF4 and tOFF_TF15
single-subfield units with ``spont_fr`` and sONsOFF_001 / sONtOFF_001 two-subfield units.
:data:`EXTENDED_TYPES`: single-subfield units without ``spont_fr`` (BMTK's data-derived
rates; one type has ``spont_fr`` only in its JSON, which BMTK does not read), two-subfield
units with fractional delays and ``LGNOnOFFCell`` units (``sigma_on``/``sigma_off`` in the
node types). Temporal filters come from JSON files in ``filter_models_dir``
(``opt_wts``/``opt_kpeaks``/``opt_delays``); ``x``, ``y``, ``spatial_size`` (and
``tuning_angle``, ``sf_sep``) are per node; ``jitter=(lower, upper)`` adds the jitter columns.
:func:`build_nodes` builds any other ``lgn`` network from ``add_nodes`` keyword sets.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from cantata.build import NetworkBuilder

FILTERS = {
    "tON_TF8.json": {"opt_wts": [3.44, -2.12], "opt_kpeaks": [8.27, 20.0], "opt_delays": [0.0, 0.0]},
    "sOFF_TF4.json": {"opt_wts": [4.08, -2.25], "opt_kpeaks": [25.3, 60.1], "opt_delays": [0.0, 0.0]},
    "tOFF_TF15.json": {"opt_wts": [1.21, -0.91], "opt_kpeaks": [12.5, 40.9], "opt_delays": [2.0, 7.0]},
    "sOFF_dom.json": {"opt_wts": [4.57, -2.63], "opt_kpeaks": [15.6, 48.3], "opt_delays": [0.0, 0.0]},
    "sON_nondom.json": {"opt_wts": [3.21, -1.71], "opt_kpeaks": [17.2, 50.6], "opt_delays": [0.0, 0.0]},
    # extended network
    "sON_TF1.json": {"opt_wts": [2.9, -1.2], "opt_kpeaks": [30.1, 80.2], "opt_delays": [1.0, 3.0]},
    "tOFF_spont_in_json.json": {"opt_wts": [1.21, -0.91], "opt_kpeaks": [12.5, 40.9], "opt_delays": [2.0, 7.0],
                                "spont_fr": 9.0},
    "sOFF_dom_frac.json": {"opt_wts": [4.57, -2.63], "opt_kpeaks": [15.6, 48.3], "opt_delays": [2.6, 4.7]},
    "sON_nondom_frac.json": {"opt_wts": [3.21, -1.71], "opt_kpeaks": [17.2, 50.6], "opt_delays": [1.5, 1.9]},
    "onoff.json": {"opt_wts": [3.0, -2.0], "opt_kpeaks": [10.0, 30.0], "opt_delays": [0.0, 0.0]},
}
#: (model_template, dynamics_params, non_dom_params or None, count, give spont_fr, extra node-type props)
TYPES = [
    ("lgnmodel:tON_TF8", "tON_TF8.json", None, 4, True, {}),
    ("lgnmodel:sOFF_TF4", "sOFF_TF4.json", None, 4, True, {}),
    ("lgnmodel:tOFF_TF15", "tOFF_TF15.json", None, 4, True, {}),
    ("lgnmodel:sONsOFF_001", "sOFF_dom.json", "sON_nondom.json", 2, False, {}),
    ("lgnmodel:sONtOFF_001", "sOFF_dom.json", "sON_nondom.json", 2, False, {}),
]
EXTENDED_TYPES = [
    ("lgnmodel:tON_TF8", "tON_TF8.json", None, 2, False, {}),
    ("lgnmodel:sOFF_TF4", "sOFF_TF4.json", None, 2, False, {}),
    ("lgnmodel:sON_TF1", "sON_TF1.json", None, 2, False, {}),
    ("lgnmodel:tOFF_TF15", "tOFF_spont_in_json.json", None, 2, False, {}),
    ("lgnmodel:sONsOFF_001", "sOFF_dom_frac.json", "sON_nondom_frac.json", 2, False, {}),
    ("lgnmodel:sONtOFF_001", "sOFF_dom_frac.json", "sON_nondom_frac.json", 2, False, {}),
    ("lgnmodel:LGNOnOFFCell", "onoff.json", None, 2, False, {"sigma_on": "(1.5, 1.5)", "sigma_off": "(3.0, 2.5)"}),
]


def build_network(folder: Path, *, width: float, height: float, seed: int = 3, types: list | None = None,
                  jitter: tuple[float, float] | None = None) -> Path:
    """Write the ``lgn`` network and its filter JSONs under ``folder``; returns the network dir."""
    rng = np.random.default_rng(seed)
    net_dir, comp_dir = folder / "network", folder / "filters"
    comp_dir.mkdir(parents=True, exist_ok=True)
    for name, params in FILTERS.items():
        (comp_dir / name).write_text(json.dumps(params))
    net = NetworkBuilder("lgn")
    for template, dyn, non_dom, n, spont, extra in (TYPES if types is None else types):
        props: dict[str, Any] = {
            "N": n, "model_type": "virtual", "model_template": template, "dynamics_params": dyn,
            "x": rng.uniform(0.2 * width, 0.8 * width, n).tolist(),
            "y": rng.uniform(0.2 * height, 0.8 * height, n).tolist(),
            "spatial_size": rng.uniform(2.0, 6.0, n).tolist(), **extra,
        }
        if non_dom:
            props.update(non_dom_params=non_dom, tuning_angle=rng.uniform(0, 360, n).tolist(),
                         sf_sep=rng.uniform(1.0, 3.0, n).tolist())
        if spont:
            props["spont_fr"] = rng.uniform(1.0, 6.0, n).tolist()
        if jitter is not None:
            props.update(jitter_lower=jitter[0], jitter_upper=jitter[1])
        net.add_nodes(**props)
    net.build()
    net.save(net_dir)
    return net_dir


def build_nodes(folder: Path, groups: list[dict[str, Any]]) -> Path:
    """The ``lgn`` network from ``add_nodes`` keyword sets (the filter JSONs of :data:`FILTERS`
    are written too); returns the network dir."""
    net_dir, comp_dir = folder / "network", folder / "filters"
    comp_dir.mkdir(parents=True, exist_ok=True)
    for name, params in FILTERS.items():
        (comp_dir / name).write_text(json.dumps(params))
    net = NetworkBuilder("lgn")
    for group in groups:
        net.add_nodes(model_type="virtual", **group)
    net.build()
    net.save(net_dir)
    return net_dir


def write_config(folder: Path, net_dir: Path, movie_block: dict[str, Any], *, tstop: float,
                 name: str = "config.json", seed: int = 11, output: dict[str, Any] | None = None,
                 conditions: dict[str, Any] | None = None) -> Path:
    """A flat FilterNet config writing rates (csv, h5) and spikes (h5, csv) into ``folder/output``;
    ``output`` replaces or adds output keys (a None value removes the key)."""
    out = {"output_dir": str(folder / "output"), "log_file": "log.txt", "rates_csv": "rates.csv",
           "rates_h5": "rates.h5", "spikes_file": "spikes.h5", "spikes_file_csv": "spikes.csv",
           "overwrite_output_dir": True}
    for key, value in (output or {}).items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    config = {
        "target_simulator": "LGNModel",
        "run": {"tstart": 0.0, "tstop": tstop, "dt": 1.0, "random_seed": seed},
        "components": {"filter_models_dir": str(folder / "filters")},
        "networks": {"nodes": [{"nodes_file": str(net_dir / "lgn_nodes.h5"),
                                "node_types_file": str(net_dir / "lgn_node_types.csv")}]},
        "inputs": {"stimulus": {"input_type": "movie", **movie_block}},
        "output": out,
    }
    if conditions:
        config["conditions"] = conditions
    path = folder / name
    path.write_text(json.dumps(config, indent=2))
    return path
