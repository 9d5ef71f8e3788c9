"""The LGN network and movie of scenario S6 (FilterNet), written once with Cantata's builder.

One node population ``lgn`` of FilterNet units of ten types, in about the proportions of a mouse
LGN model: eight single-subfield types (sON/sOFF/tON/tOFF at several temporal frequencies, each
unit with its own ``spont_fr``) and the two
two-subfield types ``sONsOFF_001`` and ``sONtOFF_001`` (dominant OFF and non-dominant ON
temporal filters, ``sf_sep`` 2-5 degrees and ``tuning_angle`` per node). Receptive fields are
spread over the visual field (``x`` in [10, 230), ``y`` in [10, 110) degrees), ``spatial_size``
3-7 degrees. Temporal filters (``opt_wts``, ``opt_kpeaks``, ``opt_delays``) are JSON files in
``filters/``.

The stimulus is a drifting grating, 120 x 240 degrees at 1 degree per pixel (a 120 x 240 pixel
movie), 1000 frames per second, 0.04 cycles per degree, 4 Hz, 45 degrees, contrast 0.8, after
100 ms of gray screen; it lasts ``tstop``. ``config.json`` writes ``rates.h5``, ``rates.csv``
and the spikes (``spikes.h5``, ``spikes.csv``) into ``output/``, the outputs of BMTK's FilterNet
examples.

    python -m benchmarks.filter_network [--out DIR] [--size full|small|tiny] [--force]
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from benchmarks.script_io import ensure_network, network_main

DEFAULT_OUT = Path(__file__).resolve().parent / "work" / "filternet"
#: units per type (ten types), the movie's duration and size (degrees, 1 degree per pixel)
SIZES = {
    "full": {"per_type": 200, "tstop": 500.0, "rows": 120, "cols": 240},
    "small": {"per_type": 10, "tstop": 300.0, "rows": 120, "cols": 240},
    "tiny": {"per_type": 2, "tstop": 200.0, "rows": 30, "cols": 60},
}
#: temporal filters: opt_wts, opt_kpeaks (ms), opt_delays (ms)
FILTERS = {
    "sON_TF1.json": ([2.9, -1.2], [30.1, 80.2], [0.0, 3.0]),
    "sON_TF4.json": ([3.3, -1.9], [18.4, 52.0], [0.0, 0.0]),
    "sON_TF8.json": ([3.1, -2.0], [10.5, 31.7], [0.0, 0.0]),
    "sOFF_TF1.json": ([4.2, -1.7], [29.5, 77.4], [1.0, 5.0]),
    "sOFF_TF4.json": ([4.08, -2.25], [25.3, 60.1], [0.0, 0.0]),
    "tON_TF8.json": ([3.44, -2.12], [8.27, 20.0], [0.0, 0.0]),
    "tOFF_TF8.json": ([1.6, -1.3], [9.1, 27.5], [0.0, 2.0]),
    "tOFF_TF15.json": ([1.21, -0.91], [12.5, 40.9], [2.0, 7.0]),
    "sOFF_dom.json": ([4.57, -2.63], [15.6, 48.3], [0.0, 0.0]),
    "sON_nondom.json": ([3.21, -1.71], [17.2, 50.6], [0.0, 0.0]),
}
#: (model_template, dynamics_params, non_dom_params, share of the units, spont_fr range or None).
#: Every single-subfield type has a ``spont_fr``: the builder writes one h5 group and fills the
#: column with NaN for types without it, and BMTK 1.2 takes that NaN as the rate (its rates are
#: NaN), where Cantata falls back to the data-derived rate.
TYPES = [
    ("lgnmodel:sON_TF1", "sON_TF1.json", None, 1, (2.0, 6.0)),
    ("lgnmodel:sON_TF4", "sON_TF4.json", None, 1, (3.0, 8.0)),
    ("lgnmodel:sON_TF8", "sON_TF8.json", None, 1, (1.0, 4.0)),
    ("lgnmodel:sOFF_TF1", "sOFF_TF1.json", None, 1, (2.0, 5.0)),
    ("lgnmodel:sOFF_TF4", "sOFF_TF4.json", None, 1, (2.0, 5.0)),
    ("lgnmodel:tON_TF8", "tON_TF8.json", None, 1, (1.5, 4.0)),
    ("lgnmodel:tOFF_TF8", "tOFF_TF8.json", None, 1, (1.0, 5.0)),
    ("lgnmodel:tOFF_TF15", "tOFF_TF15.json", None, 1, (0.5, 3.0)),
    ("lgnmodel:sONsOFF_001", "sOFF_dom.json", "sON_nondom.json", 1, None),
    ("lgnmodel:sONtOFF_001", "sOFF_dom.json", "sON_nondom.json", 1, None),
]
GRATING = {"module": "graiting", "frame_rate": 1000.0, "gray_screen_dur": 100.0, "cpd": 0.04,
           "temporal_f": 4.0, "theta": 45.0, "contrast": 0.8, "degrees_per_pixel": 1.0}
SEED = 20241124
#: Receptive-field centres keep this far (degrees) from the edges, so that both subfields of a
#: two-subfield unit lie inside the frame (BMTK's rates are NaN for a subfield outside it).
MARGIN = 10.0


def write(out: Path, size: str = "full") -> dict:
    """Build and save the network, the filter files and the config into ``out``."""
    import numpy as np

    from cantata.build import NetworkBuilder

    dims = SIZES[size]
    started = time.perf_counter()
    rng = np.random.default_rng(SEED)
    net_dir, filters = out / "network", out / "filters"
    filters.mkdir(parents=True, exist_ok=True)
    for name, (wts, kpeaks, delays) in FILTERS.items():
        (filters / name).write_text(json.dumps({"opt_wts": wts, "opt_kpeaks": kpeaks, "opt_delays": delays}) + "\n")
    net = NetworkBuilder("lgn")
    rows, cols = dims["rows"], dims["cols"]
    for template, dyn, non_dom, share, spont in TYPES:
        n = dims["per_type"] * share
        props: dict = {"N": n, "model_type": "virtual", "model_template": template, "dynamics_params": dyn,
                       "pop_name": template.split(":")[1], "x": rng.uniform(MARGIN, cols - MARGIN, n).tolist(),
                       "y": rng.uniform(MARGIN, rows - MARGIN, n).tolist(),
                       "spatial_size": rng.uniform(3.0, 7.0, n).tolist()}
        if non_dom:
            props.update(non_dom_params=non_dom, tuning_angle=rng.uniform(0.0, 360.0, n).tolist(),
                         sf_sep=rng.uniform(2.0, 5.0, n).tolist())
        if spont:
            props["spont_fr"] = rng.uniform(*spont, n).tolist()
        net.add_nodes(**props)
    net.build()
    net.save(net_dir, overwrite=True)
    config = {
        "manifest": {"$BASE_DIR": "${configdir}"},
        "target_simulator": "LGNModel",
        "run": {"tstart": 0.0, "tstop": dims["tstop"], "dt": 1.0, "random_seed": SEED},
        "components": {"filter_models_dir": "$BASE_DIR/filters"},
        "networks": {"nodes": [{"nodes_file": "$BASE_DIR/network/lgn_nodes.h5",
                                "node_types_file": "$BASE_DIR/network/lgn_node_types.csv"}]},
        "inputs": {"grating": {"input_type": "movie", "row_size": rows, "col_size": cols, **GRATING}},
        "output": {"output_dir": "$BASE_DIR/output", "log_file": "log.txt", "rates_csv": "rates.csv",
                   "rates_h5": "rates.h5", "spikes_file": "spikes.h5", "spikes_file_csv": "spikes.csv",
                   "overwrite_output_dir": True, "log_to_console": False},
    }
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    info = {"out": str(out), "size": size, **dims, "n_nodes": int(net.nnodes), "n_types": len(TYPES),
            "build_save_s": round(time.perf_counter() - started, 2)}
    (out / "network.json").write_text(json.dumps(info) + "\n")
    return info


def ensure(out: Path = DEFAULT_OUT, size: str | None = None) -> dict:
    """The network's summary, writing the files first if they are not there or are of another size."""
    return ensure_network(out, "benchmarks.filter_network", size=size)


def main() -> None:
    network_main(__doc__, DEFAULT_OUT, write, sizes=SIZES)


if __name__ == "__main__":
    main()
