"""Biophysical cells on NEURON: morphology import and section numbering, axon stubs, nseg,
membrane parameters, and a whole cell against the same cell built by a direct NEURON script."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_neuron_support import (
    DIRECT_CELL,
    HH_CELL,
    MORPHOLOGIES,
    MORPHOLOGY,
    run_cantata,
    run_python,
    write_bio_network,
)

from cantata.sonata.reports import FrameReport
from cantata.sonata.spikes import SpikeTrains


def test_sections_follow_bmtk_numbering_and_axon_processing(testdata: Path) -> None:
    swc = testdata / MORPHOLOGIES / f"{MORPHOLOGY}.swc"
    result = run_python(f"""
import json
from pathlib import Path
from cantata.sim.engines.neuron import morphology as m
from cantata.sim.engines.neuron.hoc import hoc
h = hoc()
shape = m.load_morphology(Path({str(swc)!r}))
out = {{'raw': shape.kinds()}}
for name, policy in m.AXON_POLICIES.items():
    class Owner:
        def __repr__(self): return 'cell_' + name
    secs, kinds = m.build_sections(shape, Owner(), policy)
    nseg = m.set_nseg(secs, 20.0)
    out[name] = {{'kinds': kinds, 'L': [s.L for s in secs], 'diam': [s(0.5).diam for s in secs],
                  'nseg': nseg.tolist(), 'parents': [None if s.parentseg() is None else
                  [secs.index(s.parentseg().sec), s.parentseg().x] for s in secs],
                  'n3d': [s.n3d() for s in secs]}}
# the same file through Import3d directly: every rebuilt section has the same points
reader = h.Import3d_SWC_read(); reader.quiet = 1; reader.input({str(swc)!r})
class Holder: pass
ref = Holder(); h.Import3d_GUI(reader, 0).instantiate(ref)
secs, kinds = m.build_sections(shape, Holder(), None)
out['same_points'] = all(a.n3d() == b.n3d() and all(a.x3d(i) == b.x3d(i) and a.diam3d(i) == b.diam3d(i)
                         for i in range(int(a.n3d()))) for a, b in zip(ref.all, secs))
out['same_L'] = [a.L for a in ref.all] == [b.L for b in secs]
print(json.dumps(out))
""")
    raw = result["raw"]
    assert len(raw) == 123 and raw[0] == "soma" and raw[1:4] == ["axon"] * 3
    assert result["same_points"] and result["same_L"]
    full = result["fullaxon"]
    assert full["kinds"] == raw
    peri = result["aibs_perisomatic"]
    kinds = peri["kinds"]
    assert len(kinds) == 122 and kinds.count("dend") == 80 and kinds.count("apic") == 39
    assert kinds[0] == "soma" and kinds[-2:] == ["axon", "axon"] and "axon" not in kinds[:-2]
    assert peri["L"][-2:] == [30.0, 30.0] and peri["diam"][-2:] == [1.0, 1.0]
    assert peri["parents"][-2] == [0, 0.5] and peri["parents"][-1] == [120, 1.0]
    assert peri["n3d"][-2:] == [0, 0]
    allactive = result["aibs_allactive"]
    assert allactive["parents"][-2] == [0, 1.0]
    assert allactive["diam"][-2:] != [1.0, 1.0]  # taken from the reconstructed axon
    # nseg = 1 + 2*int(L / (2 dL))
    L = np.array(peri["L"])
    assert peri["nseg"] == (1 + 2 * (L / 40.0).astype(int)).tolist()


def test_hh_cell_matches_a_direct_neuron_script(testdata: Path, tmp_path: Path) -> None:
    config = write_bio_network(tmp_path, testdata, n_cells=1, synapses=False)
    proc = run_cantata("run", str(config), "--no-progress")
    assert proc.returncode == 0, proc.stderr[-3000:]
    swc = testdata / MORPHOLOGIES / f"{MORPHOLOGY}.swc"
    direct = run_python(DIRECT_CELL + f"""
cell, secs = direct_cell({str(swc)!r}, json.loads({json.dumps(json.dumps(HH_CELL))}), 20.0)
soma = cell.soma[0]
clamps = []
for amp, delay, dur in ((1.0, 20.0, 60.0), (2.0, 110.0, 50.0)):
    c = h.IClamp(soma(0.5)); c.amp, c.delay, c.dur = amp, delay, dur; clamps.append(c)
v = h.Vector(); v.record(soma(0.5)._ref_v, 0.025)
nc = h.NetCon(soma(0.5)._ref_v, None, sec=soma); nc.threshold = -15
spikes = h.Vector(); nc.record(spikes)
h.celsius = 6.3; h.dt = 0.025; h.finitialize(-65); h.continuerun(200)
print(json.dumps({{'v': list(v)[:8000], 'spikes': list(spikes), 'nseg': sum(s.nseg for s in secs)}}))
""")
    report = FrameReport.open(tmp_path / "output" / "soma_v.h5")["cortex"]
    ours = report.data()[:, 0]
    assert report.times[0] == 0.0 and ours.size == 8000
    assert np.array_equal(ours, np.asarray(direct["v"], dtype=np.float32))  # identical traces
    _, times = SpikeTrains.read(tmp_path / "output" / "spikes.h5").population("cortex")
    assert times.tolist() == direct["spikes"] and len(direct["spikes"]) >= 2


def test_conditions_come_from_the_config_then_the_cell_files(testdata: Path, tmp_path: Path) -> None:
    config = write_bio_network(tmp_path, testdata, n_cells=1, synapses=False, clamp=False, tstop=20.0)
    data = json.loads(config.read_text())
    data["conditions"] = {}
    config.write_text(json.dumps(data))
    proc = run_cantata("run", str(config), "--no-progress")
    assert proc.returncode == 0, proc.stderr[-3000:]
    v = FrameReport.open(tmp_path / "output" / "soma_v.h5")["cortex"].data()
    assert v[0, 0] == pytest.approx(HH_CELL["conditions"][0]["v_init"])  # from the fit file


def test_user_cell_model_and_model_processing_registries(tmp_path: Path) -> None:
    result = run_python("""
import json
from cantata.sim.engines.neuron import cell_model, model_processing
from cantata.sim.engines.neuron.cells import CellContext, BiophysicalCell, build_cell
from cantata.sim.engines.neuron.hoc import hoc
h = hoc()

@cell_model('py:ball', model_type='biophysical')
def ball(ctx):
    cell = BiophysicalCell(ctx)
    soma = h.Section(name='soma', cell=cell)
    soma.L = soma.diam = ctx.dynamics_params['size']
    soma.insert('hh')
    cell.sections, cell.kinds = [soma], ['soma']
    return cell

seen = {}
@model_processing('tag_it')
def tag_it(cell, attributes, dynamics_params):
    seen['called'] = attributes['model_processing']
    for sec in cell.all:
        sec.gnabar_hh = 0.2

ctx = CellContext(population='p', node_id=3, gid=3, model_type='biophysical', directive='py', template='ball',
                  attributes={'model_processing': 'tag_it', 'node_type_id': 1}, dynamics_params={'size': 20.0},
                  dynamics_file=None, morphology=None, components={}, dL=5.0)
cell = build_cell(ctx)
print(json.dumps({'nseg': cell.sections[0].nseg, 'gna': cell.sections[0].gnabar_hh, 'seen': seen,
                  'soma': cell.soma_section().name()}))
""")
    assert result == {"nseg": 5, "gna": 0.2, "seen": {"called": "tag_it"}, "soma": "p[3].soma"}


def test_hoc_template_cells(tmp_path: Path) -> None:
    (tmp_path / "Ball.hoc").write_text("""
begintemplate Ball
public soma, all
create soma[1]
objref all
proc init() {
    all = new SectionList()
    soma[0] { L = $1  diam = $1  insert hh  all.append() }
}
endtemplate Ball
""")
    result = run_python(f"""
import json
from pathlib import Path
from cantata.errors import SimulationError
from cantata.sim.engines.neuron.cells import CellContext, build_cell
def ctx(template, params):
    return CellContext(population='p', node_id=0, gid=0, model_type='biophysical', directive='hoc',
                       template=template, attributes={{'node_type_id': 5}}, dynamics_params=params,
                       dynamics_file=None, morphology=None, components={{'templates_dir': Path({str(tmp_path)!r})}},
                       dL=20.0)
cell = build_cell(ctx('Ball', {{'params': [15.0]}}))
try:
    build_cell(ctx('Nope', None))
    error = ''
except SimulationError as exc:
    error = str(exc)
print(json.dumps({{'L': cell.sections[0].L, 'kinds': cell.kinds, 'error': error}}))
""")
    assert result["L"] == 15.0 and result["kinds"] == ["soma"]
    assert "hoc template 'Nope' not found" in result["error"] and "node_type_id 5" in result["error"]


@pytest.mark.slow
def test_five_allen_cells_against_the_reference_run(testdata: Path, tmp_path: Path) -> None:
    """5_cells_iclamp (NeuroML templates, Cantata's Allen channels): same spike counts; the
    pyramidal cells (whose channels match the reference's) follow the reference trace."""
    folder = testdata / "sonata-examples/5_cells_iclamp"
    proc = run_cantata("run", "config.json", "--output-dir", str(tmp_path), "--no-progress", cwd=folder,
                       timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    ours = SpikeTrains.read(tmp_path / "spikes.h5")
    ref = SpikeTrains.read(folder / "output" / "spikes.h5")
    (ids, times), (ref_ids, ref_times) = ours.population("biophysical"), ref.population("biophysical")
    assert np.bincount(ids, minlength=5).tolist() == np.bincount(ref_ids, minlength=5).tolist()
    for node in (0, 1, 2):  # rounding-level differences shift late spikes by a step or two
        assert np.abs(times[ids == node] - ref_times[ref_ids == node]).max() <= 0.5
    v = FrameReport.open(tmp_path / "membrane_potential.h5")["biophysical"].data()
    ref_v = FrameReport.open(folder / "output" / "membrane_potential.h5")["biophysical"].data()
    # BMTK's rows are one step late (row k holds t = (k + 1) dt); ours hold t = k dt
    assert np.abs(v[1:4000, :3] - ref_v[:3999, :3]).max() < 1e-4
    assert (tmp_path / "ecp.h5").is_file()


def test_a_node_v_init_attribute_starts_that_cell_there(testdata: Path, tmp_path: Path) -> None:
    import pandas as pd

    config = write_bio_network(tmp_path, testdata, n_cells=1, synapses=False, clamp=False, tstop=20.0)
    types = tmp_path / "network" / "node_types.csv"
    table = pd.read_csv(types, sep=" ")
    table["v_init"] = [-72.5, "NULL"]
    table.to_csv(types, sep=" ", index=False)
    proc = run_cantata("run", str(config), "--no-progress")
    assert proc.returncode == 0, proc.stderr[-3000:]
    v = FrameReport.open(tmp_path / "output" / "soma_v.h5")["cortex"].data()
    assert v[0, 0] == pytest.approx(-72.5)
    assert abs(v[1, 0] - (-72.5)) < 0.5  # started there, not at conditions.v_init (-65)
