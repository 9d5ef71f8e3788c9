"""BMTK PointNet side of the S2 point-network benchmark: the SONATA files and config of
:mod:`benchmarks.nest_network` run with BMTK 1.2 (``.venv-peers``), 1 thread, 1 s simulated.

    python -m benchmarks.nest_10k_bmtk [--work DIR]

BMTK runs BMTK's standard script (``Config.from_json`` -> ``build_env`` ->
``PointNetwork.from_config`` -> ``PointSimulator.from_config`` -> ``run``) on a copy of the
config whose only change is ``output.output_dir``. PointNet deletes an existing output folder, so
every run gets a fresh folder inside ``bmtk_runs/`` (a folder this script creates and marks; it
refuses to use one it did not create), and the run stops before ``build_env`` unless BMTK
resolved exactly that folder.

Phases: load (imports, config, ``PointNetwork.from_config``), instantiate
(``PointSimulator.from_config`` plus the part of ``run`` before BMTK logs "Simulation Started":
cells, connections, spike generators, recorder), simulate (up to "Simulation finished"), write
(the rest of ``run``: the spike file). The split inside ``run`` comes from the time stamps of
BMTK's own log records. ``total_s`` is the wall time from the start of the script, imports
included, to the spike file on disk.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import json
import logging
import os
import shutil
from pathlib import Path

from benchmarks.nest_network import DEFAULT_OUT
from benchmarks.script_io import emit, rounded, work_parser

#: Marks ``bmtk_runs/`` as this script's, so that only folders it made are ever removed.
MARK = ".made-by-benchmarks.nest_10k_bmtk"


def fresh_output(work: Path) -> Path:
    """A not-yet-existing output folder for this run, inside this script's ``bmtk_runs/``
    (earlier runs' folders there are removed first)."""
    runs = work / "bmtk_runs"
    if runs.exists() and not (runs / MARK).is_file():
        raise SystemExit(f"refusing to use {runs}: it exists but was not made by this script")
    runs.mkdir(exist_ok=True)
    (runs / MARK).touch()
    for old in runs.iterdir():
        if old.is_dir():
            shutil.rmtree(old)
    out = runs / f"run-{os.getpid()}-{time.time_ns()}"
    if out.exists():
        raise SystemExit(f"refusing to run BMTK: {out} already exists")
    return out


def config_copy(work: Path, out: Path) -> Path:
    """``config.json`` with ``output.output_dir`` set to ``out``, written beside it (so that
    ``${configdir}`` resolves to the same network files)."""
    config = json.loads((work / "config.json").read_text())
    config["output"]["output_dir"] = str(out)
    copy = work / "config.bmtk.json"
    copy.write_text(json.dumps(config, indent=2) + "\n")
    return copy


class Stamps(logging.Handler):
    """Keeps the wall-clock time of BMTK's log messages."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.at: dict[str, float] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.at.setdefault(record.getMessage(), record.created)


def count_edges(network: Path) -> int:
    """Rows of every edge population in the network folder (after the timed part)."""
    import h5py

    total = 0
    for path in sorted(network.glob("*_edges.h5")):
        with h5py.File(path) as f:
            total += sum(g["source_node_id"].shape[0] for g in f["edges"].values())
    return total


def main() -> None:
    args = work_parser(__doc__, DEFAULT_OUT, threads=False).parse_args()
    t = time.perf_counter()
    stamp = args.work / "network.json"
    if not stamp.is_file():
        raise SystemExit(f"{stamp} not found: write the network first (python -m benchmarks.nest_network "
                         f"--out {args.work})")
    info = json.loads(stamp.read_text())
    out = fresh_output(args.work)
    config = config_copy(args.work, out)
    preparing = time.perf_counter() - t

    seconds = {}
    t = time.perf_counter()
    from bmtk.simulator import pointnet
    from bmtk.simulator.pointnet.io_tools import io

    conf = pointnet.Config.from_json(str(config))
    if Path(conf.output_dir).resolve() != out.resolve():
        raise SystemExit(f"refusing to run BMTK: it resolved output_dir to {conf.output_dir}, not {out}")
    conf.build_env()
    stamps = Stamps()
    io.logger.addHandler(stamps)
    net = pointnet.PointNetwork.from_config(conf)
    seconds["load"] = time.perf_counter() - t
    t = time.perf_counter()
    sim = pointnet.PointSimulator.from_config(conf, net)
    t_run, wall_run = time.perf_counter(), time.time()
    sim.run()
    t_end = time.perf_counter()
    try:
        started = stamps.at["Simulation Started"] - wall_run
        finished = stamps.at["Simulation finished, finalizing results."] - wall_run
    except KeyError as missing:
        raise SystemExit(f"BMTK logged no {missing} message (is output.log_level above INFO?): "
                         "cannot split run() into phases") from None
    seconds["instantiate"] = t_run - t + started
    seconds["simulate"] = finished - started
    seconds["write"] = t_end - t_run - finished
    total = time.perf_counter() - START - preparing

    import h5py
    import nest

    with h5py.File(out / "spikes.h5") as f:
        n_spikes = sum(group["timestamps"].shape[0] for group in f["spikes"].values())
    emit({"benchmark": "point_10k", "tool": "bmtk", "n_nodes": info["n_nodes"],
          "n_edges": count_edges(args.work / "network"), "n_spikes": int(n_spikes),
          "nest_connections": nest.GetKernelStatus("num_connections"),
          "seconds": rounded(seconds), "total_s": round(total, 4)})


if __name__ == "__main__":
    main()
