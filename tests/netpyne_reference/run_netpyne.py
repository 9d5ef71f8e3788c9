"""Run a NetPyNE model (netParams + simConfig given as JSON) with NetPyNE and dump what it built.

Run by the peers' interpreter (``.venv-peers/bin/python``), not by Cantata's:
``python run_netpyne.py SPEC_JSON OUTPUT_JSON MECH_CACHE``. SPEC_JSON holds ``{"netParams": {...},
"simConfig": {...}}`` (plain dicts; tuples in ``recordCells`` may be lists) and optionally
``"mechanisms"``: a folder of ``.mod`` files the model needs, and ``"save": true`` to let NetPyNE
write its own data file (``saveJson``/``savePickle`` as the simConfig says, into the working
folder). OUTPUT_JSON gets
the spikes (``spkt``, ``spkid``), the cells' positions, every connection as NetPyNE made it (post gid, pre gid or
``"NetStim"``, weight, delay, sec, loc, synMech, label), the population gids and the recorded
traces. Without ``"save"`` nothing else is written: NetPyNE's own saving is switched off.

NetPyNE 1.1.1's LFP set-up calls ``PtrVector.ptr_update_callback``, which NEURON 9 no longer has
(its pointers follow the data themselves): the call is made a no-op for such runs.

NEURON has no built-in ``VecStim``; NetPyNE users compile ``vecevent.mod``. The one shipped with
BMTK (in the peers' environment) is compiled, with the model's own ``.mod`` files, by the peers'
``nrnivmodl`` into MECH_CACHE (reused while the files and NEURON's version are unchanged).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path


def vecstim_library(cache: Path, extra: Path | None = None) -> Path:
    """A folder with ``vecevent.mod`` (and the ``.mod`` files of ``extra``) compiled by this
    environment's nrnivmodl."""
    import neuron

    spec = importlib.util.find_spec("bmtk")
    assert spec is not None and spec.submodule_search_locations, "bmtk is needed for vecevent.mod"
    mods = [Path(spec.submodule_search_locations[0]) / "utils/scripts/bionet/mechanisms/modfiles/vecevent.mod"]
    if extra is not None:
        mods += sorted(extra.glob("*.mod"))
    digest = hashlib.sha256(neuron.__version__.encode())
    for mod in mods:
        digest.update(mod.name.encode() + mod.read_bytes())
    key = digest.hexdigest()[:16]
    folder = cache / f"vecstim-{key}"
    if not (folder / "x86_64").is_dir():
        work = cache / f".build-{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        for mod in mods:
            shutil.copy(mod, work)
        nrnivmodl = Path(sys.executable).parent / "nrnivmodl"
        proc = subprocess.run([str(nrnivmodl), "."], cwd=work, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"nrnivmodl failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
        try:
            os.replace(work, folder)
        except OSError:  # built meanwhile by another run
            shutil.rmtree(work, ignore_errors=True)
    return folder


def _patch_ptrvector() -> None:
    """Give NetPyNE's setup module an ``h`` whose ``PtrVector`` takes ``ptr_update_callback``."""
    import netpyne.sim.setup as setup
    from neuron import h

    class Pointers:
        def __init__(self, n: int) -> None:
            object.__setattr__(self, "_vector", h.PtrVector(n))

        def ptr_update_callback(self, *args: object) -> None:
            return None

        def __getattr__(self, name: str) -> object:
            return getattr(self._vector, name)

    class Hoc:
        def __getattr__(self, name: str) -> object:
            return Pointers if name == "PtrVector" else getattr(h, name)

        def __setattr__(self, name: str, value: object) -> None:
            setattr(h, name, value)

        def __call__(self, *args: object) -> object:
            return h(*args)

    setup.h = Hoc()


def main(spec_path: str, output_path: str, cache: str) -> int:
    with open(spec_path) as f:
        spec = json.load(f)
    import neuron
    from neuron import h

    extra = spec.get("mechanisms")
    if not hasattr(h, "VecStim") or extra:
        neuron.load_mechanisms(str(vecstim_library(Path(cache), None if not extra else Path(extra))))
    from netpyne import sim, specs

    net = specs.NetParams(spec["netParams"])
    cfg = specs.SimConfig(spec["simConfig"])
    cfg.recordCells = [tuple(c) if isinstance(c, list) else c for c in cfg.recordCells]
    cfg.progressBar = 0
    if not spec.get("save"):
        cfg.saveJson = cfg.savePickle = False
    cfg.analysis = {}
    if cfg.recordLFP:
        _patch_ptrvector()
    sim.create(netParams=net, simConfig=cfg)
    sim.simulate()
    if spec.get("save"):
        sim.saveData()
    conns = []
    for cell in sim.net.cells:
        for c in cell.conns:
            conns.append({"post": cell.gid, "pre": c["preGid"], "weight": float(c["weight"]),
                          "delay": float(c["delay"]), "sec": c.get("sec"), "loc": c.get("loc"),
                          "synMech": c.get("synMech"), "label": c.get("label"),
                          "source": c.get("preLabel")})
    traces = {}
    for name in cfg.recordTraces:
        data = sim.allSimData.get(name, {})
        traces[name] = {k: list(map(float, v)) for k, v in data.items()}
    out = {
        "spkt": [float(t) for t in sim.allSimData["spkt"]],
        "spkid": [int(g) for g in sim.allSimData["spkid"]],
        "pops": {label: list(map(int, pop.cellGids)) for label, pop in sim.net.pops.items()},
        "positions": {int(c.gid): [float(c.tags.get(k, 0.0)) for k in ("x", "y", "z")] for c in sim.net.cells},
        "conns": conns,
        "traces": traces,
        "celsius": float(sim.h.celsius),
    }
    with open(output_path, "w") as f:
        json.dump(out, f)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2], sys.argv[3]))
