"""``NetParams`` and ``SimConfig``: NetPyNE's two specification objects, same names and defaults.

Both take attribute and item assignment (``netParams.sizeX = 200``,
``netParams['delayMin'] = 0.2``, ``netParams.popParams['E'] = {...}``) and an optional dict
to start from. Any extra attribute a script adds (``cfg.weightEE``) is kept and never checked;
the NetPyNE options Cantata does not implement are checked when the model is compiled
(:mod:`cantata.specs.compile`), not here.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

from cantata.specs.dicts import Dict, ODict, undotify

#: The rule containers of ``NetParams``, in NetPyNE's build order.
RULE_DICTS = ("cellParams", "popParams", "synMechParams", "connParams", "subConnParams",
              "stimSourceParams", "stimTargetParams", "rxdParams")

NET_DEFAULTS: dict[str, Any] = {
    "scale": 1, "sizeX": 100, "sizeY": 100, "sizeZ": 100, "shape": "cuboid",
    "rotateCellsRandomly": False, "defineCellShapes": False, "correctBorder": False,
    "cellsVisualizationSpacingMultiplier": [1, 1, 1],
    "scaleConnWeight": 1, "scaleConnWeightNetStims": 1, "scaleConnWeightModels": {},
    "defaultWeight": 1, "defaultDelay": 1, "defaultThreshold": 10, "propVelocity": 500.0,
    "mapping": {}, "popTagsCopiedToCells": ["cellModel", "cellType"],
}  # fmt: skip

SIM_DEFAULTS: dict[str, Any] = {
    "duration": 1000.0, "tstop": 1000.0, "dt": 0.025,
    "hParams": {"celsius": 6.3, "v_init": -65.0, "clamp_resist": 0.001},
    "coreneuron": False, "dump_coreneuron_model": False, "random123": False, "cache_efficient": False,
    "gpu": False, "cvode_active": False, "use_fast_imem": False, "cvode_atol": 0.001,
    "seeds": {"conn": 1, "stim": 1, "loc": 1, "cell": 1}, "rand123GlobalIndex": None,
    "createNEURONObj": True, "createPyStruct": True, "addSynMechs": True, "includeParamsLabel": True,
    "gatherOnlySimData": False, "compactConnFormat": False, "connRandomSecFromList": True,
    "distributeSynsUniformly": True, "pt3dRelativeToCellLocation": True, "invertedYCoord": True,
    "allowSelfConns": False, "allowConnsWithWeight0": True, "oneSynPerNetcon": True,
    "saveCellSecs": True, "saveCellConns": True, "timing": True, "saveTiming": False,
    "printRunTime": False, "printPopAvgRates": False, "printSynsAfterRule": False, "verbose": False,
    "progressBar": 2, "recordCells": [], "recordTraces": {}, "recordCellsSpikes": -1,
    "recordStim": False, "recordLFP": [], "recordDipole": False, "recordDipolesHNN": False,
    "saveIMembrane": False, "saveLFPCells": False, "saveLFPPops": False, "saveDipoleCells": False,
    "saveDipolePops": False, "recordStep": 0.1, "recordTime": True, "simLabel": "", "saveFolder": "",
    "filename": "model_output", "saveDataInclude": ["netParams", "netCells", "netPops", "simConfig", "simData"],
    "timestampFilename": False, "savePickle": False, "saveJson": False, "saveMat": False,
    "saveCSV": False, "saveDpk": False, "saveHDF5": False, "saveDat": False, "backupCfgFile": [],
    "validateNetParams": False, "analysis": {},
}  # fmt: skip


class _Spec:
    """Attribute/item access over ``__dict__``, as NetPyNE's spec objects behave."""

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def __setitem__(self, key: str, value: Any) -> None:
        setattr(self, key, value)

    def __setattr__(self, key: str, value: Any) -> None:
        if isinstance(value, Mapping) and not isinstance(value, Dict):
            value = Dict(value)
        object.__setattr__(self, key, value)

    def __contains__(self, key: object) -> bool:
        return key in self.__dict__

    def __iter__(self) -> Iterator[str]:
        return iter(self.__dict__)

    def get(self, key: str, default: Any = None) -> Any:
        return self.__dict__.get(key, default)

    def setParam(self, key: str, value: Any) -> None:  # noqa: N802 - NetPyNE's name
        setattr(self, key, value)

    def todict(self) -> dict[str, Any]:
        """Every attribute as plain dicts and lists."""
        return {k: undotify(v) for k, v in self.__dict__.items() if not k.startswith("_")}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.todict()!r})"


class NetParams(_Spec):
    """Network parameters: populations, cell rules, synapses, connections and stimulation."""

    def __init__(self, netParamsDict: Mapping[str, Any] | None = None) -> None:  # noqa: N803
        object.__setattr__(self, "_labelid", 0)
        for key, value in NET_DEFAULTS.items():
            setattr(self, key, copy.deepcopy(value))
        for name in RULE_DICTS:
            setattr(self, name, ODict())
        for key, value in (netParamsDict or {}).items():
            setattr(self, key, value)

    def _add(self, container: str, label: Any, params: Mapping[str, Any] | None) -> Any:
        if label is None:
            label = self._labelid
            object.__setattr__(self, "_labelid", self._labelid + 1)
        getattr(self, container)[label] = Dict(params or {})
        return getattr(self, container)[label]

    def addCellParams(self, label: Any = None, params: Mapping[str, Any] | None = None) -> Any:  # noqa: N802
        return self._add("cellParams", label, params)

    def addPopParams(self, label: Any = None, params: Mapping[str, Any] | None = None) -> Any:  # noqa: N802
        return self._add("popParams", label, params)

    def addSynMechParams(self, label: Any = None, params: Mapping[str, Any] | None = None) -> Any:  # noqa: N802
        return self._add("synMechParams", label, params)

    def addConnParams(self, label: Any = None, params: Mapping[str, Any] | None = None) -> Any:  # noqa: N802
        return self._add("connParams", label, params)

    def addSubConnParams(self, label: Any = None, params: Mapping[str, Any] | None = None) -> Any:  # noqa: N802
        return self._add("subConnParams", label, params)

    def addStimSourceParams(self, label: Any = None, params: Mapping[str, Any] | None = None) -> Any:  # noqa: N802
        return self._add("stimSourceParams", label, params)

    def addStimTargetParams(self, label: Any = None, params: Mapping[str, Any] | None = None) -> Any:  # noqa: N802
        return self._add("stimTargetParams", label, params)


class SimConfig(_Spec):
    """Simulation options: duration, step, recording, saving (NetPyNE's ``specs.SimConfig``)."""

    def __init__(self, simConfigDict: Mapping[str, Any] | None = None) -> None:  # noqa: N803
        for key, value in SIM_DEFAULTS.items():
            setattr(self, key, copy.deepcopy(value))
        for key, value in (simConfigDict or {}).items():
            setattr(self, key, value)

    def addAnalysis(self, func: str, params: Any) -> None:  # noqa: N802 - NetPyNE's name
        self.analysis[func] = params
