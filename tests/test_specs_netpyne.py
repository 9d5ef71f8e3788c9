"""cantata.specs against NetPyNE 1.1.1 (``.venv-peers``): the same netParams/simConfig run by both.

The models (tests/netpyne_reference/scenarios.py) use deterministic connectivity (connList, full
connectivity, one-to-one lists) and inputs (IClamp, VecStim spike times, NetStim with noise 0),
HH cells with Exp2Syn/ExpSyn synapses and IntFire1/2/4 cells. Both build the same NEURON model
(same NEURON 9.0.2, same dt), so the spike times agree to the last bit: measured difference 0 ms
for every spike of both scenarios (tolerance 1e-6 ms). Somatic voltages agree to 4e-6 mV
(Cantata's reports are float32; tolerance 1e-5 mV). Every connection NetPyNE makes (pre, post,
weight, delay, section, location, synapse model) is an edge of the SONATA circuit, and the one
probability rule (onto a population that projects nowhere) has an edge count in the binomial
range, in both.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from netpyne_reference.scenarios import hh_network, lfp_network, mech_network, point_network, string_network

from benchmarks.peers import peer_python, status
from cantata.sonata.circuit import Circuit
from cantata.sonata.config import load_config
from cantata.sonata.spikes import SpikeTrains
from cantata.specs import NetParams, SimConfig, compile_model, to_sonata
from cantata.specs.sim import results

_PEERS_PROBLEM = status()
pytestmark = pytest.mark.skipif(_PEERS_PROBLEM is not None,
                                reason=f"NetPyNE reference runs need the peers' environment: {_PEERS_PROBLEM}")

HERE = Path(__file__).resolve().parent
RUNNER = HERE / "netpyne_reference" / "run_netpyne.py"
MECH_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "cantata" / "netpyne-reference"
SPIKE_TOL = 1e-6  # ms
V_TOL = 1e-5  # mV (float32 reports)
M_TOL = 1e-7  # hh gating variable m (float32)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
    return env


def _start_netpyne(spec: dict, folder: Path) -> tuple[subprocess.Popen[str], Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spec.json").write_text(json.dumps(spec))
    out = folder / "netpyne.json"
    proc = subprocess.Popen([str(peer_python()), str(RUNNER), str(folder / "spec.json"), str(out), str(MECH_CACHE)],
                            cwd=folder, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, out


def _finish(proc: subprocess.Popen[str], what: str, timeout: float = 300) -> str:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"{what} failed ({proc.returncode}):\n{out[-3000:]}\n{err[-3000:]}"
    return out


def _specs(spec: dict) -> tuple[NetParams, SimConfig]:
    cfg = SimConfig(spec["simConfig"])
    cfg.recordCells = [tuple(c) if isinstance(c, list) else c for c in cfg.recordCells]
    return NetParams(spec["netParams"]), cfg


def _trains(spkid: list[int], spkt: list[float], skip: set[int] = frozenset()) -> dict[int, np.ndarray]:
    out: dict[int, list[float]] = {}
    for gid, t in zip(spkid, spkt, strict=True):
        if int(gid) not in skip:
            out.setdefault(int(gid), []).append(float(t))
    return {g: np.sort(np.asarray(v)) for g, v in out.items()}


def _assert_same_spikes(ref: dict[int, np.ndarray], ours: dict[int, np.ndarray]) -> float:
    assert sorted(ref) == sorted(ours)
    worst = 0.0
    for gid, times in ref.items():
        assert times.size == ours[gid].size, f"gid {gid}: {times} vs {ours[gid]}"
        worst = max(worst, float(np.abs(times - ours[gid]).max()))
    assert worst <= SPIKE_TOL
    return worst


def _our_connections(config: Path) -> tuple[Counter, Counter]:
    """(pre gid, post gid, weight, delay, sec, loc, synMech) of every edge from a NetPyNE population,
    and (post gid, weight, delay, sec, loc, synMech) of every edge from a NetStim stimulation source."""
    folder = config.parent
    circuit = Circuit.from_config(load_config(config))
    info = json.loads((folder / "netpyne.json").read_text())["populations"]
    rules = {}
    conns: Counter = Counter()
    stims: Counter = Counter()
    for edges in circuit.edges.values():
        types = edges.types.set_index("edge_type_id")
        rules.update(types["synMech"].to_dict())
        names: list[str] = []
        if edges.has_attribute("afferent_section_id"):  # a compartmental target: its rule's sections
            cell_type = circuit.nodes[edges.target].get_attribute("cellType")[0]
            names = list(json.loads((folder / "components" / "cells" / f"{cell_type}.json").read_text())["secs"])
        src = edges.source_node_ids() + info[edges.source]["first_gid"]
        trg = edges.target_node_ids() + info[edges.target]["first_gid"]
        weight, delay = edges.get_attribute("syn_weight"), edges.get_attribute("delay")
        mech = [rules[t] if isinstance(rules[t], str) else None for t in edges.edge_type_ids()]
        if names:
            sec = [names[i] for i in edges.get_attribute("afferent_section_id")]
            loc = edges.get_attribute("afferent_section_pos")
        else:
            sec, loc = [None] * edges.size, [None] * edges.size
        for row in range(edges.size):
            key = (round(float(weight[row]), 12), float(delay[row]), sec[row],
                   None if loc[row] is None else round(float(loc[row]), 12), mech[row] if names else None)
            if info[edges.source]["first_gid"] < 0:
                stims[(int(trg[row]), *key)] += 1
            else:
                conns[(int(src[row]), int(trg[row]), *key)] += 1
    return conns, stims


def _netpyne_connections(conns: list[dict], has_secs: set[int]) -> tuple[Counter, Counter]:
    ours: Counter = Counter()
    stims: Counter = Counter()
    for c in conns:
        compartment = c["post"] in has_secs
        key = (round(c["weight"], 12), c["delay"], c["sec"] if compartment else None,
               round(c["loc"], 12) if compartment else None, c["synMech"] if compartment else None)
        if c["pre"] == "NetStim":
            stims[(c["post"], *key)] += 1
        else:
            ours[(int(c["pre"]), c["post"], *key)] += 1
    return ours, stims


def test_hh_network_matches_netpyne(tmp_path: Path) -> None:
    spec = hh_network()
    proc, ref_file = _start_netpyne(spec, tmp_path / "netpyne")
    config = to_sonata(*_specs(spec), tmp_path / "cantata")
    run = subprocess.Popen([sys.executable, "-m", "cantata", "run", str(config), "--no-progress"], env=_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _finish(run, "cantata run")
    _finish(proc, "NetPyNE")
    ref = json.loads(ref_file.read_text())

    # spikes: every NetPyNE cell except the probability rule's target population D
    info = json.loads((config.parent / "netpyne.json").read_text())["populations"]
    skip = set(ref["pops"]["D"])
    model = compile_model(*_specs(spec))
    reports = {name: Path(block["file_name"]) for name, block in load_config(config).reports.items()}
    ours = results(model, SpikeTrains.read(config.parent / "output" / "spikes.h5"), reports)
    assert {k: v["first_gid"] for k, v in info.items() if v["first_gid"] >= 0} == \
        {k: v[0] for k, v in ref["pops"].items()}
    worst = _assert_same_spikes(_trains(ref["spkid"], ref["spkt"], skip),
                                _trains(ours["spkid"].tolist(), ours["spkt"].tolist(), skip))
    assert sum(map(len, _trains(ref["spkid"], ref["spkt"], skip).values())) > 60  # the network is active
    print(f"hh_network: max spike-time difference {worst} ms")

    # traces (NetPyNE samples 0 .. duration - recordStep, as Cantata does)
    for name, tolerance in (("V_soma", V_TOL), ("m_hh", M_TOL)):
        assert sorted(ours[name]) == sorted(ref["traces"][name])
        for cell, trace in ref["traces"][name].items():
            assert len(trace) == ours[name][cell].size
            assert np.abs(np.asarray(trace) - ours[name][cell]).max() < tolerance

    # connections: the deterministic rules exactly; the probability rule statistically
    has_secs = {g for p in ("S", "M", "I", "D") for g in ref["pops"][p]}
    theirs, their_stims = _netpyne_connections([c for c in ref["conns"] if c["label"] != "S->D"], has_secs)
    mine, my_stims = _our_connections(config)
    d_gids = set(ref["pops"]["D"])
    mine_det = Counter({k: v for k, v in mine.items() if k[1] not in d_gids})
    assert mine_det == theirs
    assert my_stims == their_stims and sum(my_stims.values()) == 4
    n_pairs, p = 5 * 20, 0.4
    low, high = n_pairs * p - 4 * (n_pairs * p * (1 - p)) ** 0.5, n_pairs * p + 4 * (n_pairs * p * (1 - p)) ** 0.5
    assert low <= sum(v for k, v in mine.items() if k[1] in d_gids) <= high
    assert low <= sum(c["label"] == "S->D" for c in ref["conns"]) <= high
    assert ref["celsius"] == 6.3


def test_point_network_matches_netpyne_through_the_sim_api(tmp_path: Path) -> None:
    spec = point_network()
    proc, ref_file = _start_netpyne(spec, tmp_path / "netpyne")
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    code = f"""
import json
from cantata.specs import specs, sim
spec = json.load(open({str(tmp_path / 'spec.json')!r}))
cfg = specs.SimConfig(spec['simConfig']); cfg.saveFolder = {str(tmp_path)!r}; cfg.filename = 'run'
data = sim.createSimulateAnalyze(specs.NetParams(spec['netParams']), cfg)
print(json.dumps({{'spkt': data['spkt'].tolist(), 'spkid': data['spkid'].tolist(),
                  'pops': {{k: v['cellGids'] for k, v in sim.net['pops'].items()}}}}))
"""
    run = subprocess.Popen([sys.executable, "-c", code], env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    ours = json.loads(_finish(run, "cantata.specs.sim").strip().splitlines()[-1])
    _finish(proc, "NetPyNE")
    ref = json.loads(ref_file.read_text())
    assert ours["pops"] == ref["pops"]
    worst = _assert_same_spikes(_trains(ref["spkid"], ref["spkt"]), _trains(ours["spkid"], ours["spkt"]))
    counts = Counter(ref["spkid"])
    for pop in ("F1", "F2", "F4", "P", "F1b"):  # every kind of cell fires
        assert all(counts[g] > 0 for g in ref["pops"][pop])
    assert (tmp_path / "run" / "config.json").is_file() and (tmp_path / "run" / "output" / "spikes.h5").is_file()
    print(f"point_network: max spike-time difference {worst} ms")


# ------------------------------------------------------------- second version: strings, mechanisms ...


def _edge_rows(config: Path) -> list[tuple]:
    """(rule, pre gid or 'NetStim', post gid, synMech, sec, loc, weight, delay) of every edge."""
    folder = config.parent
    circuit = Circuit.from_config(load_config(config))
    info = json.loads((folder / "netpyne.json").read_text())["populations"]
    rows = []
    for edges in circuit.edges.values():
        types = edges.types.set_index("edge_type_id")
        names: list[str] = []
        if edges.has_attribute("afferent_section_id"):
            rule_file = circuit.nodes[edges.target].get_attribute("dynamics_params")[0]
            names = list(json.loads((folder / "components" / "cells" / rule_file).read_text())["secs"])
        first = info[edges.source]["first_gid"]
        src = edges.source_node_ids() + first
        trg = edges.target_node_ids() + info[edges.target]["first_gid"]
        weight, delay = edges.get_attribute("syn_weight"), edges.get_attribute("delay")
        sid = edges.get_attribute("afferent_section_id") if names else None
        pos = edges.get_attribute("afferent_section_pos") if names else None
        for row, type_id in enumerate(edges.edge_type_ids().tolist()):
            mech = types.loc[type_id, "synMech"]
            rows.append(("NetStim" if first < 0 else types.loc[type_id, "rule"], "NetStim" if first < 0 else int(src[row]),
                         int(trg[row]),
                         mech if isinstance(mech, str) else None, names[sid[row]] if names else None,
                         float(pos[row]) if names else None, float(weight[row]), float(delay[row])))
    return rows


def _reference_rows(conns: list[dict], compartments: set[int]) -> list[tuple]:
    return [("NetStim" if c["pre"] == "NetStim" else c["label"], c["pre"] if c["pre"] == "NetStim" else int(c["pre"]),
             int(c["post"]),
             c["synMech"] if c["post"] in compartments else None, c["sec"] if c["post"] in compartments else None,
             float(c["loc"]) if c["post"] in compartments else None, float(c["weight"]), float(c["delay"]))
            for c in conns]


def _same_rows(ours: list[tuple], theirs: list[tuple]) -> tuple[float, float]:
    """The two lists hold the same connections (pre, post, synMech, sec, loc to 1e-12); returns the
    largest weight and delay differences."""
    def key(row: tuple) -> tuple:
        return (*row[:5], None if row[5] is None else round(row[5], 12))

    assert sorted(map(key, ours), key=str) == sorted(map(key, theirs), key=str)
    a, b = sorted(ours, key=lambda r: str(key(r)) + repr(r[6:])), sorted(theirs, key=lambda r: str(key(r)) + repr(r[6:]))
    return max(abs(x[6] - y[6]) for x, y in zip(a, b)), max(abs(x[7] - y[7]) for x, y in zip(a, b))


def _run_both(spec: dict, tmp_path: Path) -> tuple[dict, Path, dict]:
    proc, ref_file = _start_netpyne(spec, tmp_path / "netpyne")
    config = to_sonata(*_specs(spec), tmp_path / "cantata", mechanisms_dir=spec.get("mechanisms", False))
    run = subprocess.Popen([sys.executable, "-m", "cantata", "run", str(config), "--no-progress"], env=_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _finish(run, "cantata run")
    _finish(proc, "NetPyNE")
    ref = json.loads(ref_file.read_text())
    model = compile_model(*_specs(spec))
    reports = {name: config.parent / "output" / block["file_name"] for name, block in load_config(config).reports.items()}
    ours = results(model, SpikeTrains.read(config.parent / "output" / "spikes.h5"), reports)
    return ref, config, ours


def test_string_functions_grids_seclists_and_clamps_match_netpyne(tmp_path: Path) -> None:
    ref, config, ours = _run_both(string_network(), tmp_path)
    info = json.loads((config.parent / "netpyne.json").read_text())["populations"]
    assert {k: list(range(v["first_gid"], v["first_gid"] + v["size"])) for k, v in info.items()
            if v["first_gid"] >= 0} == ref["pops"]  # grid, cellsList and density give NetPyNE's cells
    model = compile_model(*_specs(string_network()))
    for label in ("G", "L", "D", "C"):  # deterministic positions: NetPyNE's, to the bit
        pop = model.populations[label]
        assert pop.positions.tolist() == [ref["positions"][str(g)] for g in pop.gids.tolist()]

    sinks = set(ref["pops"]["D"]) | set(ref["pops"]["C"]) | set(ref["pops"]["N"])
    worst = _assert_same_spikes(_trains(ref["spkid"], ref["spkt"], sinks),
                                _trains(ours["spkid"].tolist(), ours["spkt"].tolist(), sinks))
    assert sum(map(len, _trains(ref["spkid"], ref["spkt"], sinks).values())) > 40
    for name in ("V_soma", "V_dend", "V_side"):
        assert sorted(ours[name]) == sorted(ref["traces"][name])
        for cell, trace in ref["traces"][name].items():
            assert np.abs(np.asarray(trace) - ours[name][cell]).max() < V_TOL

    compartments = {g for p in ("G", "L", "D", "C", "N") for g in ref["pops"][p]}
    theirs = _reference_rows(ref["conns"], compartments)
    mine = _edge_rows(config)
    exact = ("drive->G", "G->G", "G->L", "L->G", "NetStim")
    dw, dd = _same_rows([r for r in mine if r[0] in exact], [r for r in theirs if r[0] in exact])
    assert dw == 0 and dd == 0, (dw, dd)  # string functions of positions give NetPyNE's very values
    # random rules: the string convergence gives each cell NetPyNE's count, the string probability
    # a count near its expectation, the random weights/delays NetPyNE's ranges and means
    for rows in (mine, theirs):
        conv = Counter(r[2] for r in rows if r[0] == "G->C")
        assert [conv[g] for g in ref["pops"]["C"]] == [2, 4, 7, 6]
        prob = [r for r in rows if r[0] == "G->D"]
        g_xyz = np.array([ref["positions"][str(g)] for g in ref["pops"]["G"]])
        d_xyz = np.array([ref["positions"][str(g)] for g in ref["pops"]["D"]])
        p = 0.9 * np.exp(-np.sqrt(((g_xyz[:, None, :] - d_xyz[None, :, :]) ** 2).sum(-1)) / 40)
        assert abs(len(prob) - p.sum()) < 4 * np.sqrt((p * (1 - p)).sum())
        weights = np.array([r[6] for r in prob])
        assert 0.001 <= weights.min() and weights.max() <= 0.002 and abs(weights.mean() - 0.0015) < 0.0002
        delays = np.array([r[7] for r in prob])
        assert abs(delays.mean() - 3) < 0.25 and 0.3 < delays.std() < 0.7
    print(f"string_network: max spike-time difference {worst} ms; weights/delays identical")


def test_user_mechanisms_and_point_process_cells_match_netpyne(tmp_path: Path) -> None:
    ref, config, ours = _run_both(mech_network(), tmp_path)
    worst = _assert_same_spikes(_trains(ref["spkid"], ref["spkt"]), _trains(ours["spkid"].tolist(), ours["spkt"].tolist()))
    counts = Counter(ref["spkid"])
    assert all(counts[g] > 0 for g in ref["pops"]["Z"] + ref["pops"]["P"])  # Izhikevich and HH cells fire
    for cell, trace in ref["traces"]["V_soma"].items():
        assert np.abs(np.asarray(trace) - ours["V_soma"][cell]).max() < V_TOL
    print(f"mech_network: max spike-time difference {worst} ms")


LFP_TOL = 1e-8  # mV (NetPyNE's geometry is float32 pt3d: its transfer resistances agree to 2e-8 relative)


def test_data_files_and_lfp_match_netpyne(tmp_path: Path) -> None:
    """``saveJson``/``savePickle`` files and ``recordLFP``: the same keys, spikes, traces and
    connections as NetPyNE's file; the LFP equal to NetPyNE's sample by sample (see docs)."""
    import pickle

    import h5py

    spec = lfp_network()
    proc, _ = _start_netpyne(spec, tmp_path / "netpyne")
    (tmp_path / "cantata").mkdir()
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    code = f"""
import json
from cantata.specs import specs, sim
spec = json.load(open({str(tmp_path / 'spec.json')!r}))
sim.createSimulateAnalyze(specs.NetParams(spec['netParams']), specs.SimConfig(spec['simConfig']))
"""
    run = subprocess.Popen([sys.executable, "-c", code], env=_env(), cwd=tmp_path / "cantata",
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _finish(run, "cantata.specs.sim")
    _finish(proc, "NetPyNE")
    ref = json.loads((tmp_path / "netpyne" / "np_out" / "lfp_data.json").read_text())
    ours = json.loads((tmp_path / "cantata" / "np_out" / "lfp_data.json").read_text())
    with open(tmp_path / "cantata" / "np_out" / "lfp_data.pkl", "rb") as f:
        assert pickle.load(f) == ours  # plain types: loads without Cantata or NetPyNE
    assert (tmp_path / "netpyne" / "np_out" / "lfp_data.pkl").exists()

    # structure
    assert set(ref) - {"netpyne_changeset"} <= set(ours)
    assert set(ref["net"]) == set(ours["net"]) == {"params", "cells", "pops", "recXElectrode"}
    assert set(ref["simConfig"]) <= set(ours["simConfig"])
    assert set(ref["simData"]) == set(ours["simData"])
    assert ref["net"]["recXElectrode"]["pos"] == ours["net"]["recXElectrode"]["pos"]
    assert {k: v["cellGids"] for k, v in ref["net"]["pops"].items()} == \
        {k: v["cellGids"] for k, v in ours["net"]["pops"].items()}
    for theirs, mine in zip(ref["net"]["cells"], ours["net"]["cells"], strict=True):
        assert theirs["gid"] == mine["gid"] and set(theirs) >= set(mine) - {"params"}
        for tag in ("pop", "cellType", "cellModel", "x", "y", "z", "xnorm", "ynorm", "znorm"):
            if theirs["tags"].get("pop") != "drive" or tag not in "x y z xnorm ynorm znorm".split():
                assert theirs["tags"].get(tag) == mine["tags"].get(tag), (theirs["gid"], tag)

        def conns(cell: dict) -> list:
            return sorted((str(c["preGid"]), c.get("preLoc"), c.get("sec"), c.get("loc"), c["synMech"], c["weight"],
                           c["delay"], c.get("label"), c.get("preLabel")) for c in cell["conns"])
        assert conns(theirs) == conns(mine)
        assert sorted(map(json.dumps, theirs["stims"])) == sorted(map(json.dumps, mine["stims"])) or \
            [s["source"] for s in theirs["stims"]] == [s["source"] for s in mine["stims"]]

    # spikes, traces, rates
    sd, rd = ours["simData"], ref["simData"]
    assert sd["spkid"] == [int(g) for g in rd["spkid"]] and np.abs(np.subtract(sd["spkt"], rd["spkt"])).max() == 0
    assert len(sd["spkt"]) >= 8 and sd["avgRate"] == pytest.approx(rd["avgRate"])
    assert sorted(sd["V_soma"]) == sorted(rd["V_soma"])
    for cell, trace in rd["V_soma"].items():
        n = min(len(trace), len(sd["V_soma"][cell]))  # NetPyNE adds the sample at t = duration
        assert np.abs(np.subtract(trace[:n], sd["V_soma"][cell][:n])).max() < V_TOL

    # LFP: NetPyNE's row k holds the potential at (k + 1) or (k + 2) * recordStep (its sample
    # index is floor(t / recordStep) of an accumulated t); Cantata's is at (k + 1) * recordStep
    lfp, theirs_lfp = np.asarray(sd["LFP"]), np.asarray(rd["LFP"])
    assert lfp.shape == theirs_lfp.shape == (400, 3)
    with h5py.File(tmp_path / "cantata" / "np_out" / "lfp" / "output" / "lfp.h5") as f:
        full = f["ecp/data"][:]
    assert np.array_equal(lfp[:-1], full[4:1600:4])  # every 4th step (recordStep / dt)
    full = np.concatenate([full, full[-1:]])
    k = np.arange(400)
    err = np.minimum(np.abs(theirs_lfp - full[np.minimum(4 * (k + 1), 1600)]).max(1),
                     np.abs(theirs_lfp - full[np.minimum(4 * (k + 2), 1600)]).max(1))
    same = err < LFP_TOL
    assert same.sum() >= 390, f"{same.sum()} rows equal; worst {err.max()} mV"
    assert np.abs(theirs_lfp).max() > 1e-3  # mV: the LFP is not trivially zero
    assert sorted(sd["LFPCells"]) == sorted(rd["LFPCells"])
    for gid, theirs in rd["LFPCells"].items():  # the same samples, cell by cell
        mine, theirs = np.asarray(sd["LFPCells"][gid]), np.asarray(theirs)
        later = np.concatenate([mine[1:], mine[-1:]])
        cell_err = np.minimum(np.abs(theirs - mine).max(1), np.abs(theirs - later).max(1))
        assert (cell_err[same] < LFP_TOL).all()
    assert not np.any(sd["LFPCells"]["3"])  # the VecStim
    assert sorted(sd["LFPPops"]) == sorted(rd["LFPPops"]) == ["E", "drive"]
    for label, theirs in rd["LFPPops"].items():  # the sums of the populations' cells
        mine, theirs = np.asarray(sd["LFPPops"][label]), np.asarray(theirs)
        later = np.concatenate([mine[1:], mine[-1:]])
        pop_err = np.minimum(np.abs(theirs - mine).max(1), np.abs(theirs - later).max(1))
        assert (pop_err[same] < LFP_TOL).all()
    assert np.abs(np.asarray(sd["LFPPops"]["E"])).max() > 1e-3 and not np.any(sd["LFPPops"]["drive"])
    print(f"lfp_network: {same.sum()}/400 LFP rows equal NetPyNE's within {LFP_TOL} mV; "
          f"max |LFP| {np.abs(theirs_lfp).max():.4g} mV")
