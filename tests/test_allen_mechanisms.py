"""Cantata's Allen Cell Types channel library: files, compilation, kinetics, 5_cells_iclamp.

NEURON keeps global state per process, so every NEURON measurement runs in a subprocess that
executes this file as a script (``python test_allen_mechanisms.py PROBE MECHDIR``) and prints
one JSON line; the tests below only look at those numbers.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from cantata.errors import SimulationError
from cantata.mechanisms import (
    allen_mechanisms_dir,
    compile_mechanisms,
    compiled_library,
    default_build_dir,
    load_mechanisms,
    mod_files,
)

LIBRARY = {
    # mechanism: (ions it uses, its parameters the Allen model files set)
    "NaTs": ({"na"}, {"gbar"}), "NaTa": ({"na"}, {"gbar"}), "Nap": ({"na"}, {"gbar"}),
    "NaV": ({"na"}, {"gbar"}), "Kv3_1": ({"k"}, {"gbar"}), "K_P": ({"k"}, {"gbar"}),
    "K_T": ({"k"}, {"gbar"}), "Kd": ({"k"}, {"gbar"}), "Kv2like": ({"k"}, {"gbar"}),
    "Im": ({"k"}, {"gbar"}), "Im_v2": ({"k"}, {"gbar"}), "Ih": (set(), {"gbar", "ehcn"}),
    "SK": ({"k", "ca"}, {"gbar"}), "Ca_HVA": ({"ca"}, {"gbar"}), "Ca_LVA": ({"ca"}, {"gbar"}),
    "CaDynamics": ({"ca"}, {"gamma", "decay"}),
}
NML = "{http://www.neuroml.org/schema/neuroml2}"
FIVE_CELLS = "sonata-examples/5_cells_iclamp"
TEMPLATES = "sonata-examples/shared_components/biophysical_neuron_templates"


def _neuron_block(path: Path) -> str:
    text = re.sub(r"COMMENT.*?ENDCOMMENT", "", path.read_text(), flags=re.S)
    return re.search(r"NEURON\s*\{(.*?)\}", text, flags=re.S).group(1)


def _names(block: str, keyword: str) -> set[str]:
    names: set[str] = set()
    for line in re.findall(rf"^\s*{keyword}\s+(.*)$", block, flags=re.M):
        names |= {n.strip() for n in line.split(":")[0].split(",") if n.strip()}
    return names


# ---------------------------------------------------------------- files (no NEURON needed)

def test_library_holds_every_allen_mechanism() -> None:
    files = {p.stem: p for p in mod_files(allen_mechanisms_dir())}
    assert set(files) == set(LIBRARY)
    for name, (ions, params) in LIBRARY.items():
        block = _neuron_block(files[name])
        assert re.search(rf"SUFFIX\s+{name}\s", block), name
        used = set(re.findall(r"USEION\s+(\w+)", block))
        assert used == ions, (name, used)
        assert params <= _names(block, "RANGE"), (name, params)
    assert "NONSPECIFIC_CURRENT ihcn" in _neuron_block(files["Ih"])
    for name in ("Ca_HVA", "Ca_LVA"):   # Nernst reversal from the concentrations
        assert re.search(r"USEION ca READ cai, cao WRITE ica", _neuron_block(files[name]))
    assert re.search(r"USEION ca READ ica WRITE cai", _neuron_block(files["CaDynamics"]))
    assert (allen_mechanisms_dir() / "README.md").is_file()


def test_model_files_name_only_library_mechanisms_and_parameters(testdata: Path) -> None:
    """Every mechanism, ion and parameter the shipped Allen model files use exists here."""
    seen: set[str] = set()
    for nml in sorted((testdata / TEMPLATES / "nml").glob("*.nml")):
        root = ET.parse(nml).getroot()
        for tag in ("channelDensity", "channelDensityNernst"):
            for el in root.iter(NML + tag):
                mech = el.get("ionChannel")
                if mech == "pas":
                    continue
                assert mech in LIBRARY, (nml.name, mech)
                assert el.get("id").startswith("gbar") and "gbar" in LIBRARY[mech][1]
                ion = el.get("ion")
                assert ion in LIBRARY[mech][0] or (mech, ion) == ("Ih", "hcn"), (mech, ion)
                seen.add(mech)
        for el in root.iter(NML + "concentrationModel"):
            assert el.get("type") in LIBRARY and {"gamma", "decay"} <= set(el.attrib)
            seen.add(el.get("type"))
    for fit in sorted((testdata / TEMPLATES / "json").glob("*_fit.json")):
        for entry in json.loads(fit.read_text())["genome"]:
            mech = entry["mechanism"]
            if mech:
                param = entry["name"].removesuffix(f"_{mech}")
                assert mech in LIBRARY and param in LIBRARY[mech][1], (fit.name, entry["name"])
                seen.add(mech)
    assert len(seen) >= 14


# ---------------------------------------------------------------- compilation

@pytest.fixture(scope="session")
def build_root() -> Path:
    """The default build cache: nrnivmodl runs once per machine, shared with the engine tests."""
    return default_build_dir()


@pytest.fixture(scope="session")
def allen_build(build_root: Path) -> Path:
    return compile_mechanisms(allen_mechanisms_dir(), build_root)


def test_compile_builds_library_and_reuses_it(allen_build: Path, build_root: Path) -> None:
    library = compiled_library(allen_build)
    assert library is not None and library.is_file()
    assert allen_build.parent == build_root and allen_build.name.startswith("allen-")
    marker = json.loads((allen_build / ".cantata-build.json").read_text())
    assert sorted(marker["mod_files"]) == sorted(f"{n}.mod" for n in LIBRARY)
    stamp = library.stat().st_mtime_ns
    assert compile_mechanisms(allen_mechanisms_dir(), build_root) == allen_build
    assert library.stat().st_mtime_ns == stamp            # cached: not rebuilt


def test_compile_error_names_the_failing_mod_file(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "Leak2.mod").write_text(_LEAK_MOD)
    good = compile_mechanisms(src, tmp_path / "build")
    assert compiled_library(good) is not None
    (src / "Broken.mod").write_text(_LEAK_MOD.replace("Leak2", "Broken").replace(
        "i = g*(v - e)", "i = g*(v - e"))
    with pytest.raises(SimulationError) as info:
        compile_mechanisms(src, tmp_path / "build")
    message = str(info.value)
    assert info.value.file == str(src / "Broken.mod")
    assert "failing .mod file(s): Broken.mod" in message
    assert "nrnivmodl output" in message and "Broken.mod" in message.split("output ---")[1]
    assert list((tmp_path / "build").iterdir()) == [good]   # new content, no reuse, no debris


def test_compile_error_from_the_cpp_stage_names_the_mod_file(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "Leak3.mod").write_text(_LEAK_MOD.replace("Leak2", "Leak3").replace(
        "i = g*(v - e)", "i = g*no_such_function(v - e)"))
    with pytest.raises(SimulationError, match=r"failing \.mod file\(s\): Leak3\.mod") as info:
        compile_mechanisms(src, tmp_path / "build")
    assert "no_such_function" in str(info.value)


def test_compile_bad_inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SimulationError, match="mechanisms folder not found") as info:
        compile_mechanisms(tmp_path / "absent", tmp_path / "build")
    assert info.value.file == str(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no mod here")
    with pytest.raises(SimulationError, match=r"no NMODL files.*expected at least one \*\.mod"):
        compile_mechanisms(tmp_path / "empty", tmp_path / "build")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "Leak2.mod").write_text(_LEAK_MOD)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "nowhere" / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    (tmp_path / "taken").write_text("a file where the build folder should go")
    with pytest.raises(SimulationError, match="cannot create the mechanism build folder") as info:
        compile_mechanisms(tmp_path / "src", tmp_path / "taken")
    assert info.value.file == str(tmp_path / "taken")
    with pytest.raises(SimulationError, match="no compiled mechanism library") as info:
        load_mechanisms(tmp_path / "src")
    monkeypatch.setattr(sys, "executable", str(tmp_path / "nowhere" / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    with pytest.raises(SimulationError, match="nrnivmodl not found"):
        compile_mechanisms(tmp_path / "src", tmp_path / "build")


_LEAK_MOD = """NEURON {
    SUFFIX Leak2
    NONSPECIFIC_CURRENT i
    RANGE g, e
}
PARAMETER { g = 0.001 (S/cm2)  e = -70 (mV) }
ASSIGNED { v (mV)  i (mA/cm2) }
BREAKPOINT {
    i = g*(v - e)
}
"""


# ---------------------------------------------------------------- kinetics in NEURON

def _probe(name: str, build: Path, *extra: str) -> dict:
    proc = subprocess.run(
        [sys.executable, __file__, name, str(build), *extra],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def gating(allen_build: Path) -> dict:
    return _probe("gating", allen_build)


@pytest.fixture(scope="session")
def firing(allen_build: Path) -> dict:
    return _probe("firing", allen_build)


def test_every_mechanism_inserts_and_integrates(gating: dict) -> None:
    assert set(gating["inserted"]) == set(LIBRARY)
    assert gating["finite"] and -120 < gating["v_end"] < 60


@pytest.mark.parametrize("mech, var, v, value", [
    ("NaTs", "h", -66, 0.5), ("NaTa", "h", -69, 0.5),
    ("K_P", "m", -14.3, 0.5), ("K_P", "h", -54, 0.5),
    ("K_T", "m", -47, 0.5), ("K_T", "h", -66, 0.5),
    ("Kv3_1", "m", 18.7, 0.5), ("Kd", "m", -43, 0.5), ("Kd", "h", -67, 0.5),
    ("Kv2like", "h1", -58, 0.5), ("Kv2like", "h2", -58, 0.5), ("Nap", "h", -48.8, 0.5),
    ("Ca_LVA", "m", -40, 0.5), ("Ca_LVA", "h", -90, 0.5), ("Im", "m", -35, 0.5),
    ("Im_v2", "m", -48, 0.5),
])
def test_steady_state_midpoints(gating: dict, mech: str, var: str, v: float, value: float) -> None:
    assert gating["steady"][f"{var}_{mech}@{v:g}"] == pytest.approx(value, abs=1e-6)


def test_gates_open_with_depolarisation_and_close_with_hyperpolarisation(gating: dict) -> None:
    low, high = gating["open_at"]["-90"], gating["open_at"]["-20"]
    for name in ("m_NaTs", "m_K_P", "m_K_T", "m_Kv3_1", "m_Kd", "m_Kv2like", "m_Im", "m_Im_v2",
                 "m_Ca_HVA", "m_Ca_LVA", "O_NaV"):
        assert high[name] > low[name], name
    for name in ("h_NaTs", "h_NaTa", "h_Nap", "h_K_P", "h_K_T", "h_Kd", "h_Ca_HVA", "h_Ca_LVA"):
        assert high[name] < low[name], name
    assert high["m_Ih"] < low["m_Ih"]                    # Ih opens when hyperpolarised


def test_temperature_scaling(gating: dict) -> None:
    """Time constants scale as Q10^((celsius - tref)/10) from each channel's own tref."""
    tau = gating["tau"]
    for mech, tref in (("K_P", 21), ("NaTs", 23), ("Im_v2", 30), ("Ca_LVA", 21)):
        assert tau[f"{mech}@{tref}"] / tau[f"{mech}@34"] == pytest.approx(2.3 ** ((34 - tref) / 10))
    for mech in ("Kv3_1", "Ih", "Ca_HVA"):                   # published without scaling
        assert tau[f"{mech}@21"] == pytest.approx(tau[f"{mech}@34"])
    # unscaled values at the reference temperature, straight from the published equations
    assert tau["K_P@21"] == pytest.approx(1.25 + 175.03 * math.exp(0.026 * -60.0))
    x = 20.0 / 6.0
    a, b = 0.182 * 6 * x / math.expm1(x), 0.124 * 6 * -x / math.expm1(-x)
    assert tau["NaTs@23"] == pytest.approx(1.0 / (a + b))


def test_sk_is_half_open_at_0_43_uM_calcium(gating: dict) -> None:
    assert gating["sk_half"] == pytest.approx(0.5, abs=1e-9)
    assert gating["sk_rest"] < 1e-2


def test_calcium_reversal_is_nernst(gating: dict) -> None:
    r, f = 8.314462618, 96485.33212       # CODATA 2018, NEURON's units
    expected = 1e3 * r * (34 + 273.15) / (2 * f) * math.log(2.0 / 1e-4)
    assert gating["erev_Ca_HVA"] == pytest.approx(expected, abs=0.05)
    assert gating["erev_Ca_LVA"] == pytest.approx(gating["eca_neuron"], abs=1e-6)


def test_nav_markov_model_activates_then_inactivates(gating: dict) -> None:
    nav = gating["nav_step"]
    assert nav["occupancy_sum"] == pytest.approx(1.0, abs=1e-9)
    assert nav["open_at_rest"] < 1e-3
    assert nav["peak_ina"] < -0.1                   # mA/cm2, inward
    assert nav["peak_time"] < 1.0                   # ms after the step
    assert abs(nav["late_ina"]) < 0.05 * abs(nav["peak_ina"])


def test_pyramidal_soma_fires_repetitively(firing: dict) -> None:
    counts = firing["pyramidal"]
    assert counts["0"] == 0
    assert counts["0.05"] >= 5
    assert counts["0.05"] < counts["0.1"] < counts["0.2"]


def test_fast_spiking_soma_fires_repetitively(firing: dict) -> None:
    counts = firing["fast_spiking"]
    assert counts["0"] == 0 and counts["0.2"] >= 20 and counts["0.1"] < counts["0.2"]


def test_ih_depolarises_at_rest(firing: dict) -> None:
    assert firing["ih_rest"]["with"] > firing["ih_rest"]["without"] + 2
    assert firing["ih_rest"]["ihcn"] < 0                         # inward at rest


def test_calcium_rises_during_spikes_and_decays_after(firing: dict) -> None:
    ca = firing["calcium"]
    assert ca["spikes"] >= 5
    assert ca["rest"] == pytest.approx(1e-4, rel=0.05)
    assert ca["peak"] > 3 * ca["rest"]
    assert ca["end"] < ca["rest"] + 0.1 * (ca["peak"] - ca["rest"])
    assert ca["sk_peak"] > 0.01


# ---------------------------------------------------------------- the 5_cells_iclamp example

def test_five_allen_cells_match_the_reference_spikes(allen_build: Path, testdata: Path) -> None:
    """Acceptance: per-cell counts within 1 (2 for node 4), >= 80 % of spikes within 2 ms."""
    assert (testdata / FIVE_CELLS / "output" / "spikes.h5").is_file()
    result = _probe("five_cells", allen_build, str(testdata))["cells"]
    assert [c["node_id"] for c in result] == [0, 1, 2, 3, 4]
    n_ref = sum(c["n_ref"] for c in result)
    matched = sum(c["within_2ms"] for c in result)
    assert matched >= 0.8 * n_ref
    for cell in result:
        allowed = 2 if cell["node_id"] == 4 else 1
        assert abs(cell["n_sim"] - cell["n_ref"]) <= allowed, cell
        assert cell["v_rmse"] < 2.0, cell               # soma voltage trace, mV


# ================================================================ subprocess side

def _soma(h, mechs: dict[str, dict[str, float]], g_pas: float = 1e-4, e_pas: float = -90.0):
    sec = h.Section(name="soma")
    sec.L = sec.diam = 20.0
    sec.insert("pas")
    sec(0.5).pas.g, sec(0.5).pas.e = g_pas, e_pas
    for mech, values in mechs.items():
        sec.insert(mech)
        for key, value in values.items():
            setattr(sec(0.5), f"{key}_{mech}", value)
    if sec.has_membrane("na_ion"):
        sec.ena = 53.0
    if sec.has_membrane("k_ion"):
        sec.ek = -107.0
    return sec


def _count_spikes(h, sec, amp: float, tstop: float = 900.0) -> int:
    stim = h.IClamp(sec(0.5))
    stim.amp, stim.delay, stim.dur = amp, 200.0, 500.0
    times = h.Vector()
    detector = h.NetCon(sec(0.5)._ref_v, None, sec=sec)
    detector.threshold = -15.0
    detector.record(times)
    h.finitialize(-80.0)
    h.continuerun(tstop)
    return len(times)


def probe_gating(h) -> dict:
    out: dict = {}
    sec = _soma(h, {m: {} for m in LIBRARY})
    out["inserted"] = sorted(m for m in LIBRARY if sec.has_membrane(m))
    seg = sec(0.5)
    gates = {m: [] for m in LIBRARY}
    for mech in LIBRARY:
        for var in ("m", "h", "h1", "h2", "z", "O"):
            if hasattr(seg, f"{var}_{mech}"):
                gates[mech].append(f"{var}_{mech}")
    names = [n for group in gates.values() for n in group]

    out["steady"] = {}
    for v0 in (-66, -69, -14.3, -54, -47, 18.7, -43, -67, -58, -48.8, -40, -90, -35, -48):
        h.finitialize(v0)
        for name in names:
            out["steady"][f"{name}@{v0:g}"] = getattr(seg, name)
    out["open_at"] = {}
    for v0 in (-90, -20):
        h.finitialize(v0)
        out["open_at"][str(v0)] = {name: getattr(seg, name) for name in names}

    out["tau"] = {}
    for mech in ("K_P", "NaTs", "Im_v2", "Ca_LVA", "Kv3_1", "Ih", "Ca_HVA"):
        for celsius in (21.0, 23.0, 30.0, 34.0):
            h.celsius = celsius
            h.finitialize(-60.0)
            out["tau"][f"{mech}@{celsius:g}"] = getattr(seg, f"tau_m_{mech}")
    h.celsius = 34.0

    h.finitialize(-80.0)
    out["sk_rest"] = seg.z_SK
    seg.minCai_CaDynamics = 0.00043
    h.finitialize(-80.0)
    out["sk_half"] = seg.z_SK
    seg.minCai_CaDynamics = 1e-4
    h.finitialize(-80.0)
    h.fadvance()
    out["erev_Ca_HVA"], out["erev_Ca_LVA"], out["eca_neuron"] = (
        seg.erev_Ca_HVA, seg.erev_Ca_LVA, seg.eca)
    h.continuerun(20.0)
    values = [getattr(seg, n) for n in names] + [seg.v, seg.cai]
    out["finite"] = bool(np.all(np.isfinite(values)))
    out["v_end"] = seg.v
    h.delete_section(sec=sec)

    nav = _soma(h, {"NaV": {"gbar": 0.05}}, g_pas=0.0)
    clamp = h.SEClamp(nav(0.5))
    clamp.dur1, clamp.amp1, clamp.dur2, clamp.amp2, clamp.rs = 20.0, -80.0, 30.0, 0.0, 1e-3
    t, ina = h.Vector().record(h._ref_t), h.Vector().record(nav(0.5)._ref_ina)
    h.dt = 0.005
    h.finitialize(-80.0)
    open_rest = nav(0.5).O_NaV
    h.continuerun(50.0)
    t, ina = np.array(t), np.array(ina)
    after = t > 20.0
    peak = int(np.argmin(np.where(after, ina, 0.0)))
    states = ("C1", "C2", "C3", "C4", "C5", "O", "I1", "I2", "I3", "I4", "I5", "I6")
    out["nav_step"] = {
        "open_at_rest": open_rest, "peak_ina": float(ina[peak]), "peak_time": float(t[peak] - 20.0),
        "late_ina": float(ina[-1]),
        "occupancy_sum": sum(getattr(nav(0.5), f"{s}_NaV") for s in states),
    }
    h.dt = 0.025
    return out


def probe_firing(h) -> dict:
    out: dict = {}
    pyramidal = {"NaTs": {"gbar": 1.0}, "K_P": {"gbar": 0.05}, "Kv3_1": {"gbar": 0.06}}
    fast = {"NaV": {"gbar": 0.1}, "Kv3_1": {"gbar": 0.5}, "Kd": {"gbar": 0.005},
            "Kv2like": {"gbar": 0.01}}
    for label, mechs in (("pyramidal", pyramidal), ("fast_spiking", fast)):
        out[label] = {}
        for amp in (0.0, 0.05, 0.1, 0.2):
            sec = _soma(h, mechs)
            out[label][f"{amp:g}"] = _count_spikes(h, sec, amp)
            h.delete_section(sec=sec)

    rest = {}
    for label, mechs in (("without", {}), ("with", {"Ih": {"gbar": 1e-4}})):
        sec = _soma(h, mechs)
        h.finitialize(-90.0)
        h.continuerun(1500.0)
        rest[label] = sec(0.5).v
        if mechs:
            rest["ihcn"] = sec(0.5).ihcn_Ih
        h.delete_section(sec=sec)
    out["ih_rest"] = rest

    with_ca = dict(pyramidal, Ca_HVA={"gbar": 5e-4}, Ca_LVA={"gbar": 5e-3}, SK={"gbar": 1e-4},
                   CaDynamics={"gamma": 0.002, "decay": 80.0})
    sec = _soma(h, with_ca)
    cai, z = h.Vector().record(sec(0.5)._ref_cai), h.Vector().record(sec(0.5)._ref_z_SK)
    spikes = _count_spikes(h, sec, 0.1, tstop=1500.0)
    cai = np.array(cai)
    out["calcium"] = {"spikes": spikes, "rest": float(cai[int(150 / h.dt)]),
                      "peak": float(cai.max()), "end": float(cai[-1]), "sk_peak": float(max(z))}
    return out


def probe_five_cells(h, testdata: Path) -> dict:
    """Run 5_cells_iclamp's cells as BMTK builds them and compare with its output files."""
    from cantata.sonata.circuit import Circuit
    from cantata.sonata.reports import FrameReport
    from cantata.sonata.spikes import SpikeTrains

    example = testdata / FIVE_CELLS
    components = testdata / "sonata-examples" / "shared_components"
    network = example / "network"
    pop = Circuit.from_files(
        nodes=[(network / "biophysical_nodes.h5", network / "biophysical_node_types.csv")]
    ).nodes["biophysical"]
    h.load_file("stdrun.hoc")
    h.load_file("import3d.hoc")
    h(_CELL_TEMPLATE)
    cells, probes = [], []
    for node_id, morph, template in zip(pop.node_ids(), pop.get_attribute("morphology"),
                                        pop.get_attribute("model_template")):
        cell = _allen_cell(h, components / "morphologies" / f"{morph}.swc",
                           components / "biophysical_neuron_templates" / "nml"
                           / template.split(":", 1)[1])
        soma = cell.soma[0](0.5)
        stims = []
        for amp, delay in ((0.15, 500.0), (0.175, 1500.0), (0.2, 2500.0)):
            stim = h.IClamp(soma)
            stim.amp, stim.delay, stim.dur = amp, delay, 500.0
            stims.append(stim)
        times = h.Vector()
        detector = h.NetCon(soma._ref_v, None, sec=cell.soma[0])
        detector.threshold = -15.0
        detector.record(times)
        cells.append((cell, stims, detector))
        probes.append((int(node_id), times, h.Vector().record(soma._ref_v)))
    h.celsius, h.dt = 34.0, 0.1
    h.finitialize(-80.0)
    h.continuerun(4000.0)

    reference = SpikeTrains.read(example / "output" / "spikes.h5")
    ref_ids, ref_times = reference.population("biophysical")
    with FrameReport(example / "output" / "membrane_potential.h5") as report:
        v_ref = {nid: report["biophysical"].data([nid])[:, 0] for nid, _, _ in probes}
    result = []
    for node_id, times, v in probes:
        sim, ref = np.array(times), np.sort(ref_times[ref_ids == node_id])
        nearest = (np.min(np.abs(ref[:, None] - sim[None, :]), axis=1) if sim.size
                   else np.full(ref.size, np.inf))
        trace = np.array(v)[1:1 + v_ref[node_id].size]
        result.append({
            "node_id": node_id, "n_sim": int(sim.size), "n_ref": int(ref.size),
            "within_2ms": int(np.sum(nearest <= 2.0)),
            "max_shift_ms": float(nearest.max()) if ref.size else 0.0,
            "v_rmse": float(np.sqrt(np.mean((trace - v_ref[node_id]) ** 2))),
        })
    return {"cells": result}


_CELL_TEMPLATE = """
begintemplate CantataAllenTestCell
public soma, dend, apic, axon, all, somatic, axonal, basal, apical
create soma[1], dend[1], apic[1], axon[1]
objref all, somatic, axonal, basal, apical
proc init() {
    all = new SectionList()  somatic = new SectionList()  axonal = new SectionList()
    basal = new SectionList()  apical = new SectionList()
}
endtemplate CantataAllenTestCell
"""


def _quantity(text: str) -> float:
    return float(text.split()[0])


def _allen_cell(h, swc: Path, nml: Path):
    """An Allen perisomatic cell: Import3d SWC, 2 x 30 um axon stub, NeuroML biophysics, dL 20."""
    cell = h.CantataAllenTestCell()
    reader = h.Import3d_SWC_read()
    reader.input(str(swc))
    h.Import3d_GUI(reader, 0).instantiate(cell)
    for sec in list(cell.axonal):
        h.delete_section(sec=sec)
    h.execute("create axon[2]", cell)
    for sec in cell.axon:
        sec.L, sec.diam = 30.0, 1.0
        cell.axonal.append(sec=sec)
        cell.all.append(sec=sec)
    cell.axon[0].connect(cell.soma[0](0.5), 0)
    cell.axon[1].connect(cell.axon[0](1), 0)

    groups = {"soma": cell.somatic, "axon": cell.axonal, "dend": cell.basal,
              "apic": cell.apical, "all": cell.all}
    root = ET.parse(nml).getroot()
    for el in root.iter():
        tag = el.tag.removeprefix(NML)
        sections = list(groups.get(el.get("segmentGroup", ""), []))
        if tag == "resistivity":
            for sec in sections:
                sec.Ra = _quantity(el.get("value"))
        elif tag == "specificCapacitance":
            for sec in sections:
                sec.cm = _quantity(el.get("value"))
        elif tag in ("channelDensity", "channelDensityNernst"):
            mech, g = el.get("ionChannel"), _quantity(el.get("condDensity"))
            for sec in sections:
                sec.insert(mech)
                if mech == "pas":
                    sec.g_pas, sec.e_pas = g, _quantity(el.get("erev"))
                    continue
                setattr(sec, f"gbar_{mech}", g)
                if el.get("ion") == "na":
                    sec.ena = _quantity(el.get("erev"))
                elif el.get("ion") == "k":
                    sec.ek = _quantity(el.get("erev"))
        elif tag == "species":
            model = root.find(f"{NML}concentrationModel[@id='{el.get('concentrationModel')}']")
            mech = model.get("type")
            for sec in sections:
                sec.insert(mech)
                setattr(sec, f"gamma_{mech}", float(model.get("gamma")))
                setattr(sec, f"decay_{mech}", _quantity(model.get("decay")))
    for sec in cell.all:
        sec.nseg = 1 + 2 * int(sec.L / 40.0)
    return cell


def _main(argv: list[str]) -> None:
    probe, build = argv[1], argv[2]
    from neuron import h

    from cantata.mechanisms import load_mechanisms

    load_mechanisms(build)
    h.load_file("stdrun.hoc")
    h.celsius = 34.0
    if probe == "gating":
        result = probe_gating(h)
    elif probe == "firing":
        result = probe_firing(h)
    elif probe == "five_cells":
        result = probe_five_cells(h, Path(argv[3]))
    else:
        raise SystemExit(f"unknown probe {probe!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    _main(sys.argv)
