"""The NetPyNE model of scenario S7, written once as ``spec.json`` and read by both sides.

A deterministic E-I network of Hodgkin-Huxley cells in NetPyNE's dict form (netParams and
simConfig), so NetPyNE 1.1.1 and ``cantata.specs`` build the same NEURON model and must give
the same spikes:

* ``E``: pyramidal cells (``hh`` soma, passive 5-segment dendrite), ``I``: one-section ``hh``
  interneurons, 4 E per I;
* ``bkg``: VecStim cells, each with its own Poisson train (drawn here with a fixed seed and
  written into the spec as ``spkTimes``); every E and I cell gets ``K_BKG`` of them (``connList``);
* recurrent connections as ``connList`` rules (pairs drawn here: E->E p = 0.05 onto the
  dendrite, E->I p = 0.2, I->E p = 0.2 onto the soma) and one full rule (I->I: every I cell onto
  every other I cell), ``Exp2Syn`` synapses (AMPA-like, GABA-like; NetPyNE makes one synapse
  per connection);
* a noise-free NetStim stimulation source on the I cells (25 Hz from 100 ms, 10 spikes).

No random rule and no noisy input, so connections and spikes do not depend on either tool's
random generator. simConfig: ``dt`` 0.025 ms, 6.3 degC, ``v_init`` -65 mV, spikes only (no
traces).

    python -m benchmarks.netpyne_model [--out DIR] [--size full|small|tiny] [--force]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from benchmarks.script_io import ensure_network, network_main

DEFAULT_OUT = Path(__file__).resolve().parent / "work" / "netpyne"
SIZES = {
    "full": {"n_e": 240, "n_i": 60, "n_bkg": 300, "duration": 1000.0},
    "small": {"n_e": 80, "n_i": 20, "n_bkg": 100, "duration": 300.0},
    "tiny": {"n_e": 16, "n_i": 4, "n_bkg": 20, "duration": 100.0},
}
K_BKG, BKG_RATE = 10, 20.0  # background inputs per cell, their rate (Hz)
P_EE, P_EI, P_IE = 0.05, 0.2, 0.2
SEED = 20241124
PYR = {"secs": {
    "soma": {"geom": {"diam": 18.8, "L": 18.8, "Ra": 123.0},
             "mechs": {"hh": {"gnabar": 0.12, "gkbar": 0.036, "gl": 0.003, "el": -70}}},
    "dend": {"geom": {"diam": 5.0, "L": 150.0, "Ra": 150.0, "cm": 1, "nseg": 5},
             "topol": {"parentSec": "soma", "parentX": 1.0, "childX": 0},
             "mechs": {"pas": {"g": 0.0000357, "e": -70}}},
}}
INT = {"secs": {"soma": {"geom": {"diam": 10.0, "L": 10.0, "Ra": 100.0, "cm": 1.2},
                         "mechs": {"hh": {"gnabar": 0.12, "gkbar": 0.036, "gl": 0.003, "el": -65}}}}}
#: connection rule -> (weight uS, delay ms, synMech, sec)
WEIGHTS = {"bkg->E": (0.004, 1.0, "AMPA", "soma"), "bkg->I": (0.003, 1.0, "AMPA", "soma"),
           "E->E": (0.002, 2.0, "AMPA", "dend"), "E->I": (0.002, 1.5, "AMPA", "soma"),
           "I->E": (0.004, 1.5, "GABA", "soma"), "I->I": (0.002, 1.5, "GABA", "soma")}


def _pairs(rng: Any, n_pre: int, n_post: int, p: float, no_self: bool) -> list[list[int]]:
    """Each (pre, post) pair independently with probability ``p``, as a connList."""
    import numpy as np

    chosen = rng.random((n_pre, n_post)) < p
    if no_self:
        np.fill_diagonal(chosen, False)
    return np.argwhere(chosen).tolist()


def spec(size: str = "full") -> dict[str, Any]:
    """``{"netParams": ..., "simConfig": ...}`` of the model at ``size``."""
    import numpy as np

    dims = SIZES[size]
    n_e, n_i, n_bkg, duration = dims["n_e"], dims["n_i"], dims["n_bkg"], dims["duration"]
    rng = np.random.default_rng(SEED)
    trains = []
    for _ in range(n_bkg):
        n = rng.poisson(BKG_RATE * duration / 1000.0)
        # on the 0.025 ms grid, after 1 ms, distinct: what a VecStim plays exactly in both tools
        steps = rng.choice(np.arange(40, int(duration / 0.025)), size=n, replace=False)
        trains.append(np.round(np.sort(steps) * 0.025, 3).tolist())
    bkg_e = [[int(s), int(t)] for t in range(n_e) for s in rng.choice(n_bkg, K_BKG, replace=False)]
    bkg_i = [[int(s), int(t)] for t in range(n_i) for s in rng.choice(n_bkg, K_BKG, replace=False)]
    lists = {"bkg->E": ("bkg", "E", bkg_e), "bkg->I": ("bkg", "I", bkg_i),
             "E->E": ("E", "E", _pairs(rng, n_e, n_e, P_EE, True)),
             "E->I": ("E", "I", _pairs(rng, n_e, n_i, P_EI, False)),
             "I->E": ("I", "E", _pairs(rng, n_i, n_e, P_IE, False))}
    conns: dict[str, Any] = {}
    for label, (pre, post, pairs) in lists.items():
        weight, delay, mech, sec = WEIGHTS[label]
        conns[label] = {"preConds": {"pop": pre}, "postConds": {"pop": post}, "connList": pairs,
                        "weight": weight, "delay": delay, "synMech": mech, "sec": sec, "loc": 0.5}
    weight, delay, mech, sec = WEIGHTS["I->I"]
    conns["I->I"] = {"preConds": {"pop": "I"}, "postConds": {"pop": "I"}, "weight": weight, "delay": delay,
                     "synMech": mech, "sec": sec}  # full: no self-connections (NetPyNE's default)
    net = {
        "cellParams": {"PYR": PYR, "INT": INT},
        "popParams": {"E": {"cellType": "PYR", "numCells": n_e}, "I": {"cellType": "INT", "numCells": n_i},
                      "bkg": {"cellModel": "VecStim", "numCells": n_bkg, "spkTimes": trains}},
        "synMechParams": {"AMPA": {"mod": "Exp2Syn", "tau1": 0.1, "tau2": 5.0, "e": 0},
                          "GABA": {"mod": "Exp2Syn", "tau1": 0.5, "tau2": 8.0, "e": -80}},
        "connParams": conns,
        "stimSourceParams": {"regular": {"type": "NetStim", "rate": 25, "start": 100, "noise": 0, "number": 10}},
        "stimTargetParams": {"regular->I": {"source": "regular", "conds": {"pop": "I"}, "weight": 0.003,
                                            "delay": 1, "synMech": "AMPA", "sec": "soma"}},
    }
    cfg = {"duration": duration, "dt": 0.025, "hParams": {"celsius": 6.3, "v_init": -65.0},
           "recordStep": 0.1, "seeds": {"conn": 1, "stim": 2, "loc": 3}}
    return {"netParams": net, "simConfig": cfg}


def write(out: Path, size: str = "full") -> dict[str, Any]:
    """Write ``spec.json`` and the summary ``network.json`` into ``out``."""
    model = spec(size)
    out.mkdir(parents=True, exist_ok=True)
    (out / "spec.json").write_text(json.dumps(model) + "\n")
    net = model["netParams"]
    n_i = net["popParams"]["I"]["numCells"]
    n_conns = sum(len(c["connList"]) for c in net["connParams"].values() if "connList" in c) + n_i * (n_i - 1) + n_i
    info = {"out": str(out), "size": size, **SIZES[size], "n_cells": sum(p["numCells"] for p in net["popParams"].values()),
            "n_conns": n_conns, "n_bkg_spikes": sum(map(len, net["popParams"]["bkg"]["spkTimes"]))}
    (out / "network.json").write_text(json.dumps(info) + "\n")
    return info


def ensure(out: Path = DEFAULT_OUT, size: str | None = None) -> dict[str, Any]:
    """The model's summary, writing ``spec.json`` first if it is not there or is of another size."""
    return ensure_network(out, "benchmarks.netpyne_model", size=size)


def main() -> None:
    network_main(__doc__, DEFAULT_OUT, write, sizes=SIZES)


if __name__ == "__main__":
    main()
