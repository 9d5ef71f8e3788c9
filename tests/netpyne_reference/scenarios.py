"""NetPyNE models written as plain dicts, run both by NetPyNE (run_netpyne.py) and by Cantata.

Connectivity and inputs are deterministic (connList, full connectivity, one-to-one lists,
IClamp, VecStim spike times, NetStim with noise 0), so both simulators must build the same
NEURON model and give the same spikes. ``hh_network`` also has one probability rule onto a
population that projects nowhere (``D``): its connection count is compared statistically
while every other spike must match.
"""

from __future__ import annotations

import copy
from typing import Any

HH_SOMA = {"geom": {"diam": 18.8, "L": 18.8, "Ra": 123.0},
           "mechs": {"hh": {"gnabar": 0.12, "gkbar": 0.036, "gl": 0.003, "el": -70}}}
PYR = {"secs": {
    "soma": HH_SOMA,
    "dend": {"geom": {"diam": 5.0, "L": 150.0, "Ra": 150.0, "cm": 1, "nseg": 5},
             "topol": {"parentSec": "soma", "parentX": 1.0, "childX": 0},
             "mechs": {"pas": {"g": 0.0000357, "e": -70}}},
}}
INT = {"secs": {"soma": {"geom": {"diam": 10.0, "L": 10.0, "Ra": 100.0, "cm": 1.2},
                         "mechs": {"hh": {"gnabar": 0.12, "gkbar": 0.036, "gl": 0.003, "el": -65}},
                         "vinit": -70.0}}}


def hh_network(duration: float = 300.0) -> dict[str, Any]:
    """HH cells with Exp2Syn/ExpSyn synapses, VecStim and NetStim drives, an IClamp, one NetStim
    stimulation source, connList / full / multi-synapse rules."""
    net: dict[str, Any] = {
        "cellParams": {"PYR": copy.deepcopy(PYR), "INT": copy.deepcopy(INT)},
        "popParams": {
            "S": {"cellType": "PYR", "numCells": 5},
            "M": {"cellType": "PYR", "numCells": 4},
            "I": {"cellType": "INT", "numCells": 3},
            "drive": {"cellModel": "VecStim", "numCells": 3, "spkTimes": [[12, 60, 61.5, 140], [30, 90], [45.25]]},
            "bkg": {"cellModel": "NetStim", "numCells": 2, "rate": 40, "noise": 0, "start": 5, "number": 6},
            "D": {"cellType": "INT", "numCells": 20},
        },
        "synMechParams": {
            "exc": {"mod": "Exp2Syn", "tau1": 0.1, "tau2": 5.0, "e": 0},
            "inh": {"mod": "Exp2Syn", "tau1": 0.5, "tau2": 8.0, "e": -80},
            "fast": {"mod": "ExpSyn", "tau": 2.0},
        },
        "connParams": {
            "drive->S": {"preConds": {"pop": "drive"}, "postConds": {"pop": "S"},
                         "connList": [[0, 0], [1, 1], [2, 2], [0, 3]], "weight": 0.05, "delay": 2,
                         "synMech": "exc", "sec": "soma"},
            "bkg->M": {"preConds": {"pop": "bkg"}, "postConds": {"pop": "M"}, "weight": 0.012, "delay": 3,
                       "synMech": "exc", "sec": "dend", "loc": 0.3},
            "S->M": {"preConds": {"pop": "S"}, "postConds": {"pop": "M"},
                     "connList": [[0, 0], [1, 0], [2, 1], [3, 2], [4, 3]],
                     "weight": [0.02, 0.015, 0.03, 0.025, 0.02], "delay": [4, 5, 6, 7, 8.5],
                     "loc": [0.5, 0.7, 0.9, 0.1, 0.5], "synMech": "exc", "sec": "dend"},
            "M->I": {"preConds": {"pop": "M"}, "postConds": {"pop": "I"}, "synMech": ["exc", "fast"],
                     "weight": [0.004, 0.002], "delay": 1.5},
            "I->S": {"preConds": {"pop": "I"}, "postConds": {"cellType": "PYR", "pop": ["S"]}, "weight": 0.01,
                     "delay": 2, "synMech": "inh"},
            "S->S": {"preConds": {"pop": "S"}, "postConds": {"pop": "S"}, "connList": [[0, 1], [1, 2], [2, 2]],
                     "weight": 0.01, "delay": 3, "synMech": "exc", "sec": "dend", "synsPerConn": 2},
            "M->M": {"preConds": {"pop": "M"}, "postConds": {"pop": "M"}, "weight": [0.002, 0.003], "delay": 2.5,
                     "synMech": "exc", "sec": "dend", "synsPerConn": 2, "loc": [0.25, 0.75]},
            "S->D": {"preConds": {"pop": "S"}, "postConds": {"pop": "D"}, "probability": 0.4, "weight": 0.001,
                     "delay": 1, "synMech": "exc"},
        },
        "stimSourceParams": {
            "pulse": {"type": "IClamp", "del": 20, "dur": 100, "amp": 0.15},
            "regular": {"type": "NetStim", "rate": 25, "start": 10, "noise": 0, "number": 5},
        },
        "stimTargetParams": {
            "pulse->I": {"source": "pulse", "conds": {"pop": "I", "cellList": [0, 2]}, "sec": "soma", "loc": 0.5},
            "regular->M": {"source": "regular", "conds": {"pop": "M"}, "weight": 0.015, "delay": 1,
                           "synMech": "exc", "sec": "soma"},
        },
    }
    cfg = {"duration": duration, "dt": 0.025, "hParams": {"celsius": 6.3, "v_init": -65.0},
           "recordCells": ["M", ["I", [0, 1]]], "recordTraces": {"V_soma": {"sec": "soma", "loc": 0.5, "var": "v"},
                                                                  "m_hh": {"sec": "soma", "loc": 0.5, "mech": "hh", "var": "m"}},
           "recordStep": 0.1, "seeds": {"conn": 3, "stim": 2, "loc": 1}}
    return {"netParams": net, "simConfig": cfg}


def point_network(duration: float = 200.0) -> dict[str, Any]:
    """IntFire1/2/4 cells driven by VecStim/NetStim populations and by an HH cell; IntFire
    cells connect to each other and to the HH cell's dendrite."""
    net: dict[str, Any] = {
        "cellParams": {"PYR": copy.deepcopy(PYR), "IF": {"cellModel": "IntFire1", "params": {"tau": 5, "refrac": 2}}},
        "popParams": {
            "src": {"cellModel": "VecStim", "numCells": 2, "spkTimes": [5, 7, 9, 40, 41, 42, 43, 100]},
            "tick": {"cellModel": "NetStim", "numCells": 1, "interval": 12.5, "start": 3, "noise": 0},
            "F1": {"cellModel": "IntFire1", "numCells": 3, "tau": 8, "refrac": 3},
            "F2": {"cellModel": "IntFire2", "numCells": 2, "taum": 12, "taus": 25, "ib": 0.2},
            "F4": {"cellModel": "IntFire4", "numCells": 2, "taue": 4, "taui1": 6, "taui2": 12, "taum": 30},
            "P": {"cellType": "PYR", "numCells": 2},
            "F1b": {"cellType": "IF", "numCells": 2},
        },
        "synMechParams": {"exc": {"mod": "Exp2Syn", "tau1": 0.2, "tau2": 4.0, "e": 0}},
        "connParams": {
            "src->F1": {"preConds": {"pop": "src"}, "postConds": {"pop": "F1"}, "weight": 0.45, "delay": 1},
            "tick->F2": {"preConds": {"pop": "tick"}, "postConds": {"pop": "F2"}, "weight": 0.3, "delay": 2},
            "F1->F4": {"preConds": {"pop": "F1"}, "postConds": {"pop": "F4"}, "weight": 0.6, "delay": 1.2,
                       "synsPerConn": 2},
            "src->P": {"preConds": {"pop": "src"}, "postConds": {"pop": "P"}, "connList": [[0, 0], [1, 1]],
                       "weight": 0.05, "delay": 1, "synMech": "exc"},
            "P->F2": {"preConds": {"pop": "P"}, "postConds": {"pop": "F2"}, "weight": 0.8, "delay": 1},
            "src->F1b": {"preConds": {"pop": "src"}, "postConds": {"pop": "F1b"}, "connList": [[0, 0], [1, 1]],
                         "weight": [0.7, 0.4], "delay": [1, 3]},
            "F2->P": {"preConds": {"pop": "F2"}, "postConds": {"pop": "P"}, "weight": 0.01, "delay": 2,
                      "synMech": "exc", "sec": "dend", "loc": 0.8},
        },
    }
    cfg = {"duration": duration, "dt": 0.025, "hParams": {"celsius": 16.0, "v_init": -70.0},
           "recordStep": 0.1}
    return {"netParams": net, "simConfig": cfg}


SCENARIOS = {"hh_network": hh_network, "point_network": point_network}
