"""Cantata against BMTK itself: the same SONATA files run by BMTK 1.2 (PointNet on NEST 3.10,
BioNet on NEURON 9, from ``.venv-peers``) and by Cantata, outputs compared node by node.

Every BMTK run is a subprocess of the peers' interpreter running BMTK's standard run script
(tests/bmtk_reference/run_*.py). The tolerances, and why they are what they are, are in
docs/engines/reference-checks.md; each test's docstring says which one it applies.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from bmtk_reference.bionet_model import write_bionet_model, write_mechanisms
from bmtk_reference.pointnet_model import (
    GLIF_TEMPLATES,
    write_pointnet_model,
    write_relay_model,
)

from benchmarks.peers import PEERS_DIR, peer_python, status
from cantata.sonata.circuit import Circuit
from cantata.sonata.config import load_config
from cantata.sonata.reports import FrameReport
from cantata.sonata.spikes import SpikeTrains

HELPERS = Path(__file__).resolve().parent / "bmtk_reference"
REPO = HELPERS.parents[1]
_PEERS_PROBLEM = status()
pytestmark = pytest.mark.skipif(
    _PEERS_PROBLEM is not None,
    reason=f"BMTK reference runs need the peers' environment: {_PEERS_PROBLEM}")

SPIKE_TIME_TOL = 1e-6    # ms: same simulator, same time grid -> the same spikes (float noise only)
NEST_VM_TOL = 6e-4       # mV: BMTK's multimeter goes through NEST's ascii files (3 decimals)
NEURON_V_TOL = 1e-5      # mV: Cantata stores reports as float32 (about 4e-6 mV at -65 mV)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(PYNEST_QUIET="1", OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    return env


def start_bmtk(engine: str, config: Path, output: Path) -> subprocess.Popen[str]:
    """Start BMTK's ``engine`` (``pointnet`` / ``bionet``) on ``config`` in the background."""
    return subprocess.Popen([str(peer_python()), str(HELPERS / "run_bmtk.py"), engine, str(config), str(output)],
                            cwd=config.parent, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def finish_bmtk(proc: subprocess.Popen[str], output: Path, timeout: float = 300) -> Path:
    """Wait for a BMTK run; fail with its output if it failed."""
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0 and (output / "spikes.h5").is_file(), \
        f"BMTK failed ({proc.returncode}):\n{out[-2000:]}\n{err[-4000:]}"
    return output


def run_bmtk(engine: str, config: Path, output: Path) -> Path:
    return finish_bmtk(start_bmtk(engine, config, output), output)


def run_cantata_nest(config: Path, output: Path) -> Path:
    """``cantata run`` in this process (NEST: one kernel, reset at build)."""
    from cantata.sim import Simulation

    Simulation.from_config(config, output_dir=output, progress=False).run()
    return output


def run_cantata_cli(config: Path, output: Path) -> Path:
    """``cantata run`` in a child process (NEURON keeps its state per process)."""
    proc = subprocess.run([sys.executable, "-m", "cantata", "run", str(config), "--output-dir", str(output),
                           "--no-progress"], capture_output=True, text=True, cwd=config.parent, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO)}, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return output


def spikes_by_node(folder: Path, population: str) -> dict[int, np.ndarray]:
    ids, times = SpikeTrains.read(folder / "spikes.h5").population(population)
    return {int(n): np.sort(times[ids == n]) for n in np.unique(ids)}


def assert_same_spikes(bmtk: Path, ours: Path, population: str, tol: float = SPIKE_TIME_TOL) -> dict[int, np.ndarray]:
    """Same nodes, same number of spikes per node, times within ``tol``; a failure names the
    node and the spike that differ most."""
    want, got = spikes_by_node(bmtk, population), spikes_by_node(ours, population)
    assert sorted(got) == sorted(want), f"spiking nodes differ: BMTK {sorted(want)}, Cantata {sorted(got)}"
    for node, times in want.items():
        assert got[node].size == times.size, \
            f"node {node}: BMTK {times.size} spikes {times[:8]}..., Cantata {got[node].size} {got[node][:8]}..."
        worst = int(np.argmax(np.abs(got[node] - times))) if times.size else 0
        assert times.size == 0 or abs(got[node][worst] - times[worst]) <= tol, \
            f"node {node}, spike {worst}: BMTK {times[worst]} ms, Cantata {got[node][worst]} ms"
    return want


@pytest.fixture(scope="module")
def peer_vecevent() -> Path:
    """BMTK's ``vecevent.mod`` (VecStim, which BioNet's virtual cells need), from the peers' bmtk."""
    found = sorted(PEERS_DIR.glob("lib/python*/site-packages/bmtk/utils/scripts/bionet/mechanisms/modfiles/vecevent.mod"))
    assert found, f"vecevent.mod not found in the bmtk package of {PEERS_DIR}"
    return found[0]


@pytest.fixture(scope="module")
def mechanisms(tmp_path_factory: pytest.TempPathFactory, peer_vecevent: Path) -> Path:
    """Cantata's Allen channels + BMTK's vecevent.mod, compiled once (cached by content)."""
    folder = tmp_path_factory.mktemp("mechanisms")
    write_mechanisms(folder, [peer_vecevent])
    return folder


def test_bmtk_runner_refuses_folders_it_could_delete(testdata: Path, tmp_path: Path) -> None:
    """BMTK deletes an existing output_dir; the run scripts refuse before BMTK starts."""
    model = write_relay_model(tmp_path, RELAY_TIMES)
    cases = {
        "exists": (model.config, tmp_path / "network", "already exists"),
        "elsewhere": (model.config, tmp_path / "sub" / "out", "must be next to the config"),
        "split": (testdata / "sonata-examples/300_intfire/config.json",
                  testdata / "sonata-examples/300_intfire/out_bmtk", "split config"),
    }
    before = sorted(p.name for p in (testdata / "sonata-examples/300_intfire").iterdir())
    for name, (config, output, message) in cases.items():
        proc = start_bmtk("pointnet", config, output)
        _, err = proc.communicate(timeout=120)
        assert proc.returncode != 0 and message in err, f"{name}: {proc.returncode}\n{err[-1500:]}"
    assert (tmp_path / "network" / "cortex_nodes.h5").is_file() and not (tmp_path / "sub").exists()
    assert sorted(p.name for p in (testdata / "sonata-examples/300_intfire").iterdir()) == before


# -- PointNet (NEST) --------------------------------------------------------------------------

nest_mark = pytest.mark.nest
neuron_mark = pytest.mark.neuron

@nest_mark
def test_pointnet_network_matches_bmtk(tmp_path: Path) -> None:
    """iaf_psc_alpha exc/inh + the five Allen GLIF levels, spike-file inputs, STDP and Tsodyks
    edges, a three-pulse current clamp and a V_m report: every spike identical (within float
    noise); V_m within BMTK's 3-decimal ascii rounding on the samples both have."""
    model = write_pointnet_model(tmp_path, glif=True, plastic=True)
    bmtk = start_bmtk("pointnet", model.config, tmp_path / "out_bmtk")
    ours = run_cantata_nest(model.config, tmp_path / "out_cantata")
    bmtk_out = finish_bmtk(bmtk, tmp_path / "out_bmtk")
    spikes = assert_same_spikes(bmtk_out, ours, "cortex")

    # not vacuous: every node type fires (exc, inh and each GLIF level)
    pop_names = Circuit.from_config(load_config(model.config)).nodes["cortex"].get_attribute("pop_name")
    silent = set(pop_names) - set(pop_names[sorted(spikes)])
    assert not silent and len(set(pop_names)) == 2 + len(GLIF_TEMPLATES), f"node types without spikes: {silent}"
    assert sum(t.size for t in spikes.values()) > 300

    theirs = FrameReport.open(bmtk_out / "vm.h5")["cortex"]
    mine = FrameReport.open(ours / "vm.h5")["cortex"]
    assert theirs.node_ids.tolist() == mine.node_ids.tolist() == model.recorded
    # both start at dt; BMTK's multimeter file stops one step before tstop, Cantata's at tstop
    n = len(theirs.times)
    assert np.allclose(theirs.times, mine.times[:n]) and np.isclose(mine.times[-1], model.tstop)
    assert n == len(mine.times) - 1
    diff = np.abs(theirs.data() - mine.data()[:n])
    assert diff.max() <= NEST_VM_TOL, f"V_m differs by {diff.max()} mV at t={theirs.times[diff.max(axis=1).argmax()]}"


@nest_mark
def test_pointnet_offgrid_input_spikes_match_bmtk(tmp_path: Path) -> None:
    """Input spike times between grid points: BMTK's precise-time spike generators (its
    default) and Cantata with ``allow_offgrid_spikes`` deliver them at the end of their step,
    so every output spike is identical."""
    model = write_pointnet_model(tmp_path, clamp=False, report=False)
    rng = np.random.default_rng(1)
    times = np.round(rng.uniform(0.05, model.tstop - 1, 180), 3)
    assert np.any(np.abs(times / model.dt - np.round(times / model.dt)) > 1e-6)
    SpikeTrains.from_arrays(rng.integers(0, 12, times.size), times, "input").write_h5(
        tmp_path / "input_spikes.h5", overwrite=True)
    bmtk = start_bmtk("pointnet", model.config, tmp_path / "out_bmtk")  # BMTK: no flag needed
    config = json.loads(model.config.read_text())
    config["run"]["allow_offgrid_spikes"] = True
    ours_config = tmp_path / "config_offgrid.json"
    ours_config.write_text(json.dumps(config))
    ours = run_cantata_nest(ours_config, tmp_path / "out_cantata")
    spikes = assert_same_spikes(finish_bmtk(bmtk, tmp_path / "out_bmtk"), ours, "cortex")
    assert sum(t.size for t in spikes.values()) > 100


# BMTK's `use_parrot_neurons` puts a parrot_neuron, connected with delay dt, between each spike
# generator and its targets (needed there for plastic synapses from inputs). Input spikes
# therefore arrive one dt later than without it. Cantata's virtual nodes are spike_train_injectors,
# which feed plastic synapses directly; it honours the key by delivering that input one dt later.
RELAY_TIMES = [5.0, 12.3, 20.0, 31.7]


@pytest.fixture(scope="module")
def parrot_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """BMTK's run of the relay model with ``use_parrot_neurons: true`` (and its folder)."""
    root = tmp_path_factory.mktemp("parrots")
    model = write_relay_model(root, RELAY_TIMES, input_block={"use_parrot_neurons": True})
    return root, run_bmtk("pointnet", model.config, root / "out_bmtk")


@nest_mark
def test_bmtk_parrot_inputs_arrive_one_step_later(parrot_run: tuple[Path, Path], tmp_path: Path) -> None:
    """The offset, exactly: Cantata given the input times + dt reproduces BMTK's parrot run."""
    _, bmtk = parrot_run
    shifted = write_relay_model(tmp_path, [t + 0.1 for t in RELAY_TIMES])
    ours = run_cantata_nest(shifted.config, tmp_path / "out_cantata")
    spikes = assert_same_spikes(bmtk, ours, "cortex")
    assert spikes[0].size == len(RELAY_TIMES)


@nest_mark
def test_parrot_neuron_config_runs_unchanged(parrot_run: tuple[Path, Path]) -> None:
    """Minimal reproducer: one input, one cell, the same config for both simulators."""
    root, bmtk = parrot_run
    ours = run_cantata_nest(root / "config.json", root / "out_cantata")
    assert_same_spikes(bmtk, ours, "cortex")


# -- BioNet (NEURON) --------------------------------------------------------------------------

@neuron_mark
@pytest.mark.slow  # the first run compiles the mechanisms (about 20 s); about 1 s once cached
@pytest.mark.parametrize("biophysics", ["nml", "fit_json"])
def test_bionet_preset_synapses_match_bmtk(testdata: Path, tmp_path: Path, peer_vecevent: Path,
                                           biophysics: str) -> None:
    """Two Allen perisomatic cells (NeuroML templates, or ctdb:Biophys1.hoc with the Allen fit
    JSON), Exp2Syn synapses at preset afferent_section_id/pos from virtual inputs and between
    the cells, a current step: same spikes within float noise, soma v within float32 storage
    once BMTK's one-row lag is undone."""
    model = write_bionet_model(tmp_path, testdata, peer_vecevent, biophysics=biophysics)
    bmtk = start_bmtk("bionet", model.config, tmp_path / "out_bmtk")
    ours = run_cantata_cli(model.config, tmp_path / "out_cantata")
    bmtk_out = finish_bmtk(bmtk, tmp_path / "out_bmtk")
    spikes = assert_same_spikes(bmtk_out, ours, "cortex")
    assert sorted(spikes) == [0, 1] and spikes[0].size >= 5

    theirs = FrameReport.open(bmtk_out / "soma_v.h5")["cortex"].data()
    mine = FrameReport.open(ours / "soma_v.h5")["cortex"].data()
    # Cantata's row k is v at k*dt (row 0: v_init); BMTK's row k is v at (k+1)*dt
    assert mine.shape == theirs.shape == (round(model.tstop / model.dt), 2)
    assert np.all(mine[0] == -80.0)
    diff = np.abs(theirs[:-1] - mine[1:])
    assert diff.max() <= NEURON_V_TOL, f"soma v differs by {diff.max()} mV at row {diff.max(axis=1).argmax()}"


@neuron_mark
@pytest.mark.slow
def test_300_intfire_matches_bmtk(testdata: Path, tmp_path: Path, mechanisms: Path) -> None:
    """sonata-examples/300_intfire (IntFire1 cells, 3 s) run by BMTK now and by Cantata: the
    same 4322 spikes within float noise. BMTK needs VecStim, so its copy of the config adds a
    mechanisms_dir; Cantata runs the example's own config unchanged."""
    folder = testdata / "sonata-examples/300_intfire"
    circuit = json.loads((folder / "circuit_config.json").read_text())
    simulation = json.loads((folder / "simulation_config.json").read_text())
    flat = {**circuit, **simulation}
    flat["manifest"] = {**circuit["manifest"], **simulation["manifest"], "$BASE_DIR": str(folder),
                        "$NETWORK_DIR": str(folder / "network"),
                        "$COMPONENT_DIR": str(folder.parent / "shared_components"),
                        "$OUTPUT_DIR": str(tmp_path / "out_bmtk")}
    flat["components"] = {**circuit["components"], "mechanisms_dir": str(mechanisms)}
    flat["node_sets_file"] = str(folder / "node_sets.json")
    config = tmp_path / "config.json"
    config.write_text(json.dumps(flat, indent=1))
    bmtk = start_bmtk("bionet", config, tmp_path / "out_bmtk")
    ours = run_cantata_cli(folder / "config.json", tmp_path / "out_cantata")
    spikes = assert_same_spikes(finish_bmtk(bmtk, tmp_path / "out_bmtk"), ours, "v1")
    assert sum(t.size for t in spikes.values()) == 4322
