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


MOD_DIR = __import__("pathlib").Path(__file__).resolve().parent / "mod"


def string_network(duration: float = 200.0) -> dict[str, Any]:
    """String functions of positions on deterministic cells (a grid, a cellsList), a cell rule
    chosen by ``conds``, section lists (spread synapses, first-of-list), SEClamp / VClamp /
    AlphaSynapse / IClamp stimulation with string parameters, a NetStim source with a string
    weight, and traces away from the soma. Random rules (a string probability, a string
    convergence, random weights) target sink populations (``D``, ``C``) that project nowhere."""
    pyr = copy.deepcopy(PYR)
    pyr["secs"]["dend"]["geom"]["nseg"] = 3
    pyr["secs"]["dend2"] = {"geom": {"diam": 3.0, "L": 90.0, "Ra": 150.0, "cm": 1, "nseg": 3},
                            "topol": {"parentSec": "soma", "parentX": 0.0, "childX": 0},
                            "mechs": {"pas": {"g": 0.0000357, "e": -70}}}
    pyr["secLists"] = {"dends": ["dend", "dend2"]}
    pyr["conds"] = {"cellType": "PYR", "cellModel": "HH"}
    net: dict[str, Any] = {
        "sizeX": 100, "sizeY": 100, "sizeZ": 20, "propVelocity": 100.0, "lengthConst": 60.0,
        "cellParams": {"PYRrule": pyr, "INT": copy.deepcopy(INT)},
        "popParams": {
            "G": {"cellType": "PYR", "cellModel": "HH", "gridSpacing": [50, 50, 40]},
            "L": {"cellType": "INT", "cellsList": [{"x": 12.5, "y": 33.25, "z": 3.0}, {"x": 77.0, "ynorm": 0.62},
                                                   {"x": 40.0, "y": 90.5, "z": 10.0}]},
            "drive": {"cellModel": "VecStim", "numCells": 2, "spkTimes": [[5, 25, 80, 82], [15, 50, 51, 120]]},
            "D": {"cellType": "INT", "gridSpacing": 25, "zRange": [0, 0]},
            "C": {"cellType": "INT", "cellsList": [{"ynorm": 0.0}, {"ynorm": 0.5}, {"ynorm": 1.0}, {"ynorm": 0.8}]},
            "N": {"cellType": "INT", "density": 60000},
        },
        "synMechParams": {"exc": {"mod": "Exp2Syn", "tau1": 0.1, "tau2": 5.0, "e": 0},
                          "inh": {"mod": "Exp2Syn", "tau1": 0.5, "tau2": 8.0, "e": -80}},
        "connParams": {
            "drive->G": {"preConds": {"pop": "drive"}, "postConds": {"pop": "G"},
                         "connList": [[0, i] for i in range(9)] + [[1, 2], [1, 7]],
                         "weight": "0.02 + 0.0001*post_x + 0.00005*post_ynorm*100", "delay": "1 + post_y/100",
                         "synMech": "exc", "sec": "soma"},
            "G->G": {"preConds": {"pop": "G"}, "postConds": {"pop": "G"},
                     "weight": "0.004*exp(-dist_3D/lengthConst)", "delay": "defaultDelay + dist_3D/propVelocity",
                     "synMech": "exc", "sec": "dends", "synsPerConn": 3},
            "G->L": {"preConds": {"pop": "G"}, "postConds": {"pop": "L"}, "connList": [[0, 0], [4, 1], [8, 2], [3, 2]],
                     "weight": "max(0.002, 0.03 - 0.0002*dist_2D)", "delay": "0.5 + dist_x/propVelocity + dist_z/50",
                     "synMech": "exc"},
            "L->G": {"preConds": {"pop": "L"}, "postConds": {"pop": "G"}, "weight": "0.001 + 0.01*dist_xnorm",
                     "delay": 2, "synMech": "inh", "sec": ["dend2", "dend"], "loc": 0.4,
                     "connRandomSecFromList": False},
            "G->D": {"preConds": {"pop": "G"}, "postConds": {"pop": "D"}, "probability": "0.9*exp(-dist_3D/40)",
                     "weight": "uniform(0.001, 0.002)", "delay": "normal(3, 0.25)", "synMech": "exc"},
            "G->C": {"preConds": {"pop": "G"}, "postConds": {"pop": "C"}, "convergence": "2 + 5*post_ynorm",
                     "weight": 0.001, "synMech": "exc", "sec": "soma"},
        },
        "stimSourceParams": {
            "hold": {"type": "SEClamp", "dur1": 40, "amp1": -62, "dur2": 30, "amp2": -50, "rs": 0.5},
            "steps": {"type": "VClamp", "dur": [20, 30, 40], "amp": [-65, -45, -60]},
            "alpha": {"type": "AlphaSynapse", "onset": 30, "tau": 2, "gmax": 0.004, "e": 0},
            "ramp": {"type": "IClamp", "del": 60, "dur": 50, "amp": "0.05 + 0.001*post_x"},
            "bkg": {"type": "NetStim", "rate": 20, "start": 35, "noise": 0, "number": 4},
        },
        "stimTargetParams": {
            "hold->G": {"source": "hold", "conds": {"pop": "G", "cellList": [1]}, "sec": "soma", "loc": 0.5},
            "steps->L": {"source": "steps", "conds": {"pop": "L", "cellList": [2]}, "sec": "soma", "loc": 0.5},
            "alpha->G": {"source": "alpha", "conds": {"pop": "G", "cellList": [0, 4]}, "sec": "dend", "loc": 0.3},
            "ramp->L": {"source": "ramp", "conds": {"pop": "L"}, "sec": "soma", "loc": 0.5},
            "bkg->G": {"source": "bkg", "conds": {"pop": "G", "x": [40, 110]}, "weight": "0.01 + 0.0001*post_y",
                       "delay": "1 + post_xnorm", "synMech": "exc", "sec": "dend2", "loc": 0.5},
        },
    }
    cfg = {"duration": duration, "dt": 0.025, "hParams": {"celsius": 6.3, "v_init": -65.0},
           "recordCells": [["G", [0, 4, 8]], ["L", [0, 1, 2]]],
           "recordTraces": {"V_soma": {"sec": "soma", "loc": 0.5, "var": "v"},
                            "V_dend": {"sec": "dend", "loc": 0.7, "var": "v"},
                            "V_side": {"sec": "soma", "loc": 0.3, "var": "v", "conds": {"pop": "L"}}},
           "recordStep": 0.1, "seeds": {"conn": 3, "stim": 2, "loc": 1}}
    return {"netParams": net, "simConfig": cfg}


def mech_network(duration: float = 200.0) -> dict[str, Any]:
    """Mechanisms of our own (tests/netpyne_reference/mod): an NMDA-like synapse
    (``CantataNMDA``) next to Exp2Syn on HH cells, Izhikevich cells whose voltage is a point
    process's own (``CantataIzh`` with ``vref`` and a ``synList`` of two receptors), and a point
    process (an IClamp) inside a section as part of a cell rule."""
    izh = {"secs": {"soma": {"geom": {"diam": 10.0, "L": 10.0, "cm": 31.831},
                             "pointps": {"izh": {"mod": "CantataIzh", "vref": "V", "synList": ["AMPA", "GABA"],
                                                 "a": 0.02, "b": 0.2, "c": -65, "d": 6, "bias": 4}}}}}
    pyr = copy.deepcopy(PYR)
    pyr["secs"]["dend"]["pointps"] = {"bias": {"mod": "IClamp", "loc": 0.9, "del": 20, "dur": 1e9, "amp": 0.03}}
    net: dict[str, Any] = {
        "cellParams": {"PYR": pyr, "IZH": izh},
        "popParams": {
            "drive": {"cellModel": "VecStim", "numCells": 2, "spkTimes": [[10, 12, 40, 90, 91, 92], [30, 60, 61, 150]]},
            "P": {"cellType": "PYR", "numCells": 3},
            "Z": {"cellType": "IZH", "numCells": 3},
        },
        "synMechParams": {"AMPA": {"mod": "Exp2Syn", "tau1": 0.1, "tau2": 3.0, "e": 0},
                          "NMDA": {"mod": "CantataNMDA", "tau1": 2.0, "tau2": 50.0, "e": 0, "mg": 1.2},
                          "GABA": {"mod": "Exp2Syn", "tau1": 0.5, "tau2": 8.0, "e": -80}},
        "connParams": {
            "drive->P": {"preConds": {"pop": "drive"}, "postConds": {"pop": "P"}, "synMech": ["AMPA", "NMDA"],
                         "weight": [0.02, 0.004], "delay": 1, "sec": "dend", "loc": 0.5},
            "drive->Z": {"preConds": {"pop": "drive"}, "postConds": {"pop": "Z"}, "connList": [[0, 0], [0, 1], [1, 2]],
                         "synMech": "AMPA", "weight": 0.6, "delay": 1},
            "P->Z": {"preConds": {"pop": "P"}, "postConds": {"pop": "Z"}, "synMech": "GABA", "weight": 0.2,
                     "delay": 2},
            "Z->P": {"preConds": {"pop": "Z"}, "postConds": {"pop": "P"}, "synMech": "NMDA", "weight": 0.003,
                     "delay": 1.5, "sec": "soma"},
        },
    }
    cfg = {"duration": duration, "dt": 0.025, "hParams": {"celsius": 6.3, "v_init": -65.0},
           "recordCells": ["P"], "recordTraces": {"V_soma": {"sec": "soma", "loc": 0.5, "var": "v"}},
           "recordStep": 0.1}
    return {"netParams": net, "simConfig": cfg, "mechanisms": str(MOD_DIR)}


SCENARIOS.update(string_network=string_network, mech_network=mech_network)


def lfp_network(duration: float = 40.0) -> dict[str, Any]:
    """Two cell types without pt3d (NetPyNE draws them with define_shape), placed by
    ``cellsList``, driven by a VecStim population, a NetStim source and an IClamp; LFP on three
    electrodes (``recordLFP``, ``saveLFPCells``) and NetPyNE's data files (``saveJson``,
    ``savePickle`` into ``saveFolder``/``simLabel``)."""
    net: dict[str, Any] = {
        "cellParams": {"PYR": copy.deepcopy(PYR), "INT": copy.deepcopy(INT)},
        "popParams": {
            "E": {"cellType": "PYR", "cellsList": [{"x": 10, "y": 20, "z": 30}, {"x": 80, "y": 120, "z": -40}]},
            "I": {"cellType": "INT", "cellsList": [{"x": 40, "y": 60, "z": 0}]},
            "drive": {"cellModel": "VecStim", "numCells": 1, "spkTimes": [5, 12, 30]},
        },
        "synMechParams": {"exc": {"mod": "Exp2Syn", "tau1": 0.1, "tau2": 5.0, "e": 0}},
        "connParams": {
            "d->E": {"preConds": {"pop": "drive"}, "postConds": {"pop": "E"}, "weight": 0.05, "delay": 2,
                     "synMech": "exc", "sec": "dend", "loc": 0.5},
            "E->I": {"preConds": {"pop": "E"}, "postConds": {"pop": "I"}, "weight": 0.02, "delay": 1.5,
                     "synMech": "exc"},
        },
        "stimSourceParams": {"ic": {"type": "IClamp", "del": 20, "dur": 5, "amp": 0.5},
                             "bkg": {"type": "NetStim", "rate": 100, "noise": 0, "start": 3, "number": 3}},
        "stimTargetParams": {"ic->E": {"source": "ic", "conds": {"pop": "E"}, "sec": "soma", "loc": 0.5},
                             "bkg->I": {"source": "bkg", "conds": {"pop": "I"}, "sec": "soma", "loc": 0.5,
                                        "weight": 0.01, "delay": 1, "synMech": "exc"}},
    }
    cfg = {"duration": duration, "dt": 0.025, "recordStep": 0.1, "recordCells": ["all"],
           "recordTraces": {"V_soma": {"sec": "soma", "loc": 0.5, "var": "v"}},
           "recordLFP": [[0, 0, 0], [50, 100, 0], [100, 200, 50]], "saveLFPCells": True,
           "saveLFPPops": ["E", "drive"],
           "saveJson": True, "savePickle": True, "saveFolder": "np_out", "simLabel": "lfp", "filename": "unused"}
    return {"netParams": net, "simConfig": cfg, "save": True}
