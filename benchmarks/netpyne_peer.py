"""NetPyNE side of the S7 benchmark: the model of :mod:`benchmarks.netpyne_model` (``spec.json``)
run by NetPyNE 1.1.1 (``.venv-peers``), as a NetPyNE script does.

    python -m benchmarks.netpyne_peer [--work DIR]

NEURON has no built-in ``VecStim``; as NetPyNE users do, the script loads a compiled
``vecevent.mod`` (the one shipped with BMTK in the peers' environment, compiled once with that
environment's ``nrnivmodl`` into ``peer_mechanisms/`` of the work folder, outside the timing).
NetPyNE's own saving and plotting are switched off.

Phases: import (``netpyne``), create (``specs.NetParams``/``SimConfig`` from the dicts and
``sim.create``: cells, connections, stimulation, recording), simulate (``sim.simulate``: the run
and gathering the data). ``total_s`` is the wall time from the start of the script, imports
included, without the one-off compiling.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from benchmarks.netpyne_model import DEFAULT_OUT
from benchmarks.phase_clock import PhaseClock
from benchmarks.script_io import emit, work_parser


def vecstim_folder(work: Path) -> Path:
    """A folder holding BMTK's ``vecevent.mod`` compiled by this environment's ``nrnivmodl``."""
    import bmtk

    folder = work / "peer_mechanisms"
    if (folder / "x86_64").is_dir():
        return folder
    mod = Path(bmtk.__file__).parent / "utils/scripts/bionet/mechanisms/modfiles/vecevent.mod"
    building = work / f"peer_mechanisms.build-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    shutil.copy(mod, building)
    done = subprocess.run([str(Path(sys.executable).parent / "nrnivmodl"), "."], cwd=building,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"nrnivmodl failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    os.replace(building, folder)
    return folder


def main() -> None:
    args = work_parser(__doc__, DEFAULT_OUT, threads=False).parse_args()
    clock = PhaseClock(START)
    clock.mark("import")  # the script's own imports
    work = args.work.resolve()
    model = json.loads((work / "spec.json").read_text())
    mechanisms = vecstim_folder(work)
    clock.skip()
    import neuron

    neuron.load_mechanisms(str(mechanisms))
    from netpyne import sim, specs

    clock.mark("import")
    net_params, cfg = specs.NetParams(model["netParams"]), specs.SimConfig(model["simConfig"])
    cfg.saveJson = cfg.savePickle = False
    cfg.analysis = {}
    cfg.verbose = False
    cfg.progressBar = 0
    sim.create(netParams=net_params, simConfig=cfg)
    clock.mark("create")
    sim.simulate()
    clock.mark("simulate")

    from benchmarks.netpyne_counts import spike_check

    pops = {label: pop.cellGids for label, pop in sim.net.pops.items()}
    n_conns = sum(len(cell.conns) for cell in sim.net.cells)
    emit({"benchmark": "netpyne", "tool": "netpyne",
          **spike_check(sim.allSimData["spkid"], sim.allSimData["spkt"], pops),
          "n_conns": int(n_conns), **clock.record()})


if __name__ == "__main__":
    main()
