"""The ``extracellular`` (``ecp``) report on the NEURON engine: BMTK's line-source rule, cell
geometry as NEURON's define_shape() draws it, the potential of one-compartment cells against the
analytic line source, per-cell ``contributions_dir`` files, and bad input named clearly.
(BMTK 1.2 itself and two MPI ranks: tests/test_neuron_ecp_bmtk.py.)"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pandas as pd
import pytest
from test_neuron_support import run_cantata, run_python

from cantata.errors import ConfigError
from cantata.sim.engines.neuron.ecp import ExtracellularReport, contributions_folder, read_electrodes
from cantata.sim.engines.neuron.geometry import line_source_transfer, rotation
from cantata.sonata.write import NodeTable, write_nodes, write_types_csv

SIGMA = 0.5
#: A one-compartment cell with no 3-d points: NEURON's define_shape() draws it along +x.
SHAPELESS_HOC = """
begintemplate ShapelessBall
public soma, all
create soma
objref all
proc init() {
    create soma
    soma { L = 20  diam = 20  nseg = 1  cm = 1  Ra = 100  insert pas  g_pas = 1e-4  e_pas = -65 }
    all = new SectionList()
    soma all.append()
}
endtemplate ShapelessBall
"""
#: (x, y, z, rotation about z, clamp amp nA, delay ms, duration ms) per ball
BALLS = ((0.0, 0.0, 0.0, 0.0, 0.5, 2.0, 6.0), (80.0, -40.0, 10.0, math.pi / 2, -0.2, 4.0, 2.0))
#: channel, x, y, z: the third sits on ball 0's axis 5 um past its end (finite without a minimum)
ELECTRODES = ((10, 0.0, 30.0, 0.0), (11, 40.0, -20.0, 5.0), (12, 15.0, 0.0, 0.0), (13, 80.0, 0.0, -30.0))


def bmtk_line_source(start: np.ndarray, end: np.ndarray, electrode: np.ndarray, sigma: float) -> float:
    """BMTK's formula for one segment and one electrode, written out (mV per nA)."""
    mid, axis = (start + end) / 2, end - start
    length = float(np.linalg.norm(axis))
    rel = electrode - mid
    along = abs(rel @ axis) / length
    perp2 = rel @ rel - along**2
    up, low = along + length / 2, along - length / 2
    return math.log((up + math.sqrt(up**2 + perp2)) / (low + math.sqrt(low**2 + perp2))) / length / (4 * math.pi * sigma)


def write_ball_config(root: Path, **report: Any) -> Path:
    """Two shapeless balls (BALLS), current steps, and an ``ecp`` report with ``report`` keys."""
    net, comps = root / "network", root / "components"
    for d in (net, comps / "templates"):
        d.mkdir(parents=True, exist_ok=True)
    (comps / "templates" / "shapeless.hoc").write_text(SHAPELESS_HOC)
    cols = np.array(BALLS)
    write_nodes(net / "nodes.h5", {"balls": NodeTable(node_type_id=np.full(len(BALLS), 100), groups=[{
        "x": cols[:, 0], "y": cols[:, 1], "z": cols[:, 2], "rotation_angle_zaxis": cols[:, 3]}])}, overwrite=True)
    write_types_csv(net / "node_types.csv", pd.DataFrame({
        "node_type_id": [100], "model_type": ["biophysical"], "model_template": ["hoc:ShapelessBall"]}), overwrite=True)
    (root / "electrodes.csv").write_text("channel x_pos y_pos z_pos\n" +
                                         "".join(f"{c} {x} {y} {z}\n" for c, x, y, z in ELECTRODES))
    inputs = {f"step{i}": {"input_type": "current_clamp", "module": "IClamp", "amp": b[4], "delay": b[5],
                           "duration": b[6], "node_set": {"population": "balls", "node_id": [i]}}
              for i, b in enumerate(BALLS)}
    config = {
        "manifest": {"$BASE": "${configdir}", "$NET": "$BASE/network"},
        "target_simulator": "NEURON",
        "run": {"tstop": 10.0, "dt": 0.025, "dL": 20.0, "spike_threshold": -15.0, "nsteps_block": 150},
        "conditions": {"celsius": 34.0, "v_init": -65.0},
        "components": {"templates_dir": "$BASE/components/templates"},
        "networks": {"nodes": [{"nodes_file": "$NET/nodes.h5", "node_types_file": "$NET/node_types.csv"}],
                     "edges": []},
        "inputs": inputs,
        "reports": {"ecp": {"module": "extracellular", "electrode_positions": "$BASE/electrodes.csv",
                            "file_name": "ecp.h5", **report}},
        "output": {"output_dir": "$BASE/output", "spikes_file": "spikes.h5", "log_to_console": False},
    }
    path = root / "config.json"
    path.write_text(json.dumps(config, indent=1))
    return path


def _run(config: Path, *extra: str) -> None:
    proc = run_cantata("run", str(config), "--no-progress", *extra)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]


# -- the line source (no NEURON) -------------------------------------------------------------

def test_line_source_is_bmtk_rule_with_its_minimum_distance() -> None:
    start, end = np.array([[0.0, 0.0, 0.0]]), np.array([[0.0, 40.0, 0.0]])
    beside, beyond_near, beyond_far = [0.5, 20.0, 0.0], [0.5, 40.5, 0.0], [0.5, 43.0, 0.0]
    points = np.array([beside, beyond_near, beyond_far, [3.0, -7.0, 2.0]])
    free = line_source_transfer(start, end, points, sigma=SIGMA)[:, 0]
    for k, e in enumerate(points):
        assert free[k] == pytest.approx(bmtk_line_source(start[0], end[0], e, SIGMA), rel=1e-12)
    # the integral of 1/r along the segment, numerically
    t = (np.arange(200000) + 0.5) / 200000
    numeric = np.mean(1.0 / np.linalg.norm(t[:, None] * end[0] - points[3], axis=1)) / (4 * np.pi * SIGMA)
    assert free[3] == pytest.approx(numeric, rel=1e-8)
    clamped = line_source_transfer(start, end, points, sigma=SIGMA, minimum_distance=1.0)[:, 0]
    # r is raised to 1 um beside the segment and less than 1 um past its end; not further out
    assert clamped[0] == pytest.approx(bmtk_line_source(start[0], end[0], np.array([1.0, 20.0, 0.0]), SIGMA))
    assert clamped[1] == pytest.approx(bmtk_line_source(start[0], end[0], np.array([1.0, 40.5, 0.0]), SIGMA))
    assert clamped[2] == free[2] and clamped[3] == free[3]
    per_segment = line_source_transfer(start, end, points, sigma=SIGMA, minimum_distance=np.array([1.0]))
    assert np.array_equal(per_segment[:, 0], clamped)
    on_axis = line_source_transfer(start, end, np.array([[0.0, 10.0, 0.0], [0.0, 45.0, 0.0]]), sigma=SIGMA)
    assert np.isinf(on_axis[0, 0]) and on_axis[1, 0] == pytest.approx(math.log(45 / 5) / 40 / (4 * math.pi * SIGMA))
    point = line_source_transfer(start, start, points[:1], sigma=SIGMA)
    assert point[0, 0] == pytest.approx(1 / np.linalg.norm(points[0]) / (4 * np.pi * SIGMA))


# -- geometry: NEURON's define_shape ---------------------------------------------------------

DEFINE_SHAPE_CHILD = """
import json, numpy as np
from pathlib import Path
from neuron import h
from cantata.sim.engines.neuron import geometry, morphology as morph

class Owner: pass
def shapeless_tree(tag):
    soma = h.Section(name=f"soma_{tag}"); soma.L, soma.diam, soma.nseg = 20, 20, 3
    secs = [soma]
    for name, L, parent, x in (("a", 100, 0, 1), ("b", 50, 0, 1), ("c", 70, 0, 0), ("d", 40, 1, 0.5),
                               ("stub", 30, 0, 0.5)):
        sec = h.Section(name=f"{name}_{tag}"); sec.L, sec.nseg = L, 5
        sec.connect(secs[parent](x)); secs.append(sec)
    return secs
trees = [shapeless_tree("t1"), shapeless_tree("t2")]  # define_shape puts the second tree elsewhere
owners = [Owner(), Owner()]
for owner, name, policy in zip(owners, ("Scnn1a_473845048_m", "Pvalb_470522102_m"),
                               ("aibs_perisomatic", "aibs_allactive")):  # stub at soma(0.5), soma(1)
    shape = morph.load_morphology(Path(TESTDATA) / "sonata-examples/shared_components/morphologies" / f"{name}.swc")
    secs, _ = morph.build_sections(shape, owner, morph.AXON_POLICIES[policy])
    morph.set_nseg(secs, 20.0)
    trees.append(secs)

def points(sec):
    return np.array([[sec.x3d(i), sec.y3d(i), sec.z3d(i)] for i in range(int(sec.n3d()))])
had_points = [[int(s.n3d()) >= 2 for s in t] for t in trees]
before = [[points(s) for s in t] for t in trees]
ours = [geometry.local_segments(t)[:2] for t in trees]
centres = [np.concatenate([p for _, p in geometry.section_points(t[:1])]).mean(axis=0) for t in trees]
h.define_shape()
worst = {"shapeless": 0.0, "kept": 0.0}
for t, flags, old, (starts, ends), centre in zip(trees, had_points, before, ours, centres):
    # Cantata's rebuilt Import3d sections lack Import3d's pt3dstyle, so define_shape would move
    # them here; BMTK's (with pt3dstyle) keep their points: compare those with the points as read
    drawn = [old[i] if flags[i] else points(s) for i, s in enumerate(t)]
    soma = drawn[0].mean(axis=0)
    row = 0
    for sec, pts, kept in zip(t, drawn, flags):
        arc = np.r_[0, np.cumsum(np.linalg.norm(np.diff(pts, axis=0), axis=1))]
        bounds = np.linspace(0, 1, int(sec.nseg) + 1) * arc[-1]
        ref = np.column_stack([np.interp(bounds, arc, pts[:, k]) for k in range(3)]) - soma
        n = int(sec.nseg)
        got = np.vstack([starts[row:row + n], ends[row + n - 1:row + n]]) - centre
        key = "kept" if kept else "shapeless"
        worst[key] = max(worst[key], float(np.abs(got - ref).max()))
        row += n
print(json.dumps(worst))
"""


@pytest.mark.neuron
def test_cells_are_drawn_as_neuron_define_shape_draws_them(testdata: Path) -> None:
    """Sections without 3-d points (shapeless trees with fanned-out siblings, a second tree,
    the axon stubs of aibs_perisomatic and aibs_allactive) sit where NEURON's define_shape() puts them, relative to
    the soma centre, within NEURON's float32 point storage; sections with points keep them (up to
    arc-length rounding)."""
    worst = run_python(f"TESTDATA = {str(testdata)!r}\n" + DEFINE_SHAPE_CHILD)
    assert worst["shapeless"] < 1e-4 and worst["kept"] < 1e-6, worst


# -- the potential of one-compartment cells --------------------------------------------------

@pytest.mark.neuron
def test_shapeless_balls_give_the_analytic_line_source(tmp_path: Path) -> None:
    """One-compartment cells without 3-d points (drawn along x, centred on their node, one turned
    about z): their membrane current is the clamp current, so row k is amp x line source while
    the clamp is on and 0 at rest. ``sigma`` scales it; per-cell files sum to the total."""
    config = write_ball_config(tmp_path, sigma=SIGMA, contributions_dir="per_cell")
    _run(config)
    out = tmp_path / "output"
    with h5py.File(out / "ecp.h5") as f:
        data = f["ecp/data"][()]
        assert f["ecp/channel_id"][()].tolist() == [c[0] for c in ELECTRODES]
        assert f["ecp/time"][()].tolist() == [0.0, 10.0, 0.025] and f["ecp/data"].attrs["units"] == "mV"
    assert data.shape == (400, len(ELECTRODES)) and data.dtype == np.float64
    t = np.arange(400) * 0.025
    electrodes = np.array([c[1:] for c in ELECTRODES])
    expected = np.zeros_like(data)
    for gid, (x, y, z, rz, amp, delay, duration) in enumerate(BALLS):
        half = 10.0 * rotation({"rotation_angle_zaxis": rz}) @ np.array([1.0, 0.0, 0.0])
        centre = np.array([x, y, z])
        phi = np.array([bmtk_line_source(centre - half, centre + half, e, SIGMA) for e in electrodes])
        on = (t > delay + 0.01) & (t < delay + duration - 0.01)
        expected += np.outer(np.where(on, amp, 0.0), phi)
        with h5py.File(out / "per_cell" / f"{gid}.h5") as f:
            own = f["ecp/data"][()]
            assert f["ecp/time"][()].tolist() == [0.0, 10.0, 0.025]
        steady = on | (t < delay - 0.01)
        assert np.allclose(own[steady], np.outer(np.where(on, amp, 0.0), phi)[steady], rtol=1e-9, atol=1e-15)
        # row k holds the step that ends at t = k dt: the clamp, on from t = delay, shows one row later
        first = round(delay / 0.025)
        assert not own[first].any() and np.allclose(own[first + 1], amp * phi, rtol=1e-9)
    near_edges = np.zeros(t.size, bool)
    for b in BALLS:
        near_edges |= (np.abs(t - b[5]) < 0.01) | (np.abs(t - b[5] - b[6]) < 0.01)
    assert np.allclose(data[~near_edges], expected[~near_edges], rtol=1e-9, atol=1e-15)
    assert data[0].tolist() == [0.0] * len(ELECTRODES)
    parts = sum(h5py.File(out / "per_cell" / f"{g}.h5")["ecp/data"][()] for g in range(len(BALLS)))
    assert np.allclose(parts, data, rtol=1e-15, atol=1e-18)
    assert sorted(p.name for p in (out / "per_cell").iterdir()) == ["0.h5", "1.h5"]  # no partial files left


@pytest.mark.neuron
def test_subsets_window_and_existing_contributions(tmp_path: Path) -> None:
    """``cell_bounds`` picks cells (BMTK's key), rows start at ``tstart``, and earlier per-cell
    files stop a run unless overwrite_output_dir is set."""
    config = write_ball_config(tmp_path, cell_bounds=[1, 1], contributions_dir="c", minimum_distance="auto")
    data = json.loads(config.read_text())
    data["run"]["tstart"] = 2.0
    data["output"]["overwrite_output_dir"] = False
    config.write_text(json.dumps(data))
    _run(config)
    out = tmp_path / "output"
    assert sorted(p.name for p in (out / "c").iterdir()) == ["1.h5"]
    with h5py.File(out / "ecp.h5") as f:
        ecp, time = f["ecp/data"][()], f["ecp/time"][()]
    assert time.tolist() == [2.0, 10.0, 0.025] and ecp.shape == (320, len(ELECTRODES))
    assert np.array_equal(ecp, h5py.File(out / "c" / "1.h5")["ecp/data"][()])
    for earlier in out.glob("*.h5"):
        earlier.unlink()  # only the per-cell files are left
    proc = run_cantata("run", str(config), "--no-progress")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    for part in ("earlier per-cell contributions exist", "1.h5", "reports.ecp"):
        assert part in proc.stderr, proc.stderr


@pytest.mark.neuron
def test_a_report_without_compartmental_cells_is_a_clear_error(tmp_path: Path) -> None:
    """No segment to record (here ``cell_bounds`` selects no cell): an error naming the report,
    not NEURON's fast_imem assertion."""
    config = write_ball_config(tmp_path, cell_bounds=[5, 9])
    proc = run_cantata("run", str(config), "--no-progress")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and "vec_sav_d" not in proc.stderr
    for part in ("reports.ecp", "covers no compartmental cell"):
        assert part in proc.stderr, proc.stderr


@pytest.mark.neuron
def test_an_electrode_on_a_segment_axis_needs_a_minimum_distance(tmp_path: Path) -> None:
    config = write_ball_config(tmp_path)
    (tmp_path / "electrodes.csv").write_text("channel x_pos y_pos z_pos\n7 3 0 0\n")  # inside ball 0, on its axis
    proc = run_cantata("run", str(config), "--no-progress")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    for part in ("electrode 7 lies on the axis of segment 0 of cell balls[0]", "reports.ecp", "minimum_distance"):
        assert part in proc.stderr, proc.stderr
    data = json.loads(config.read_text())
    data["reports"]["ecp"]["minimum_distance"] = 1.0
    config.write_text(json.dumps(data))
    _run(config)
    ecp = h5py.File(tmp_path / "output" / "ecp.h5")["ecp/data"][()]
    on_axis = math.log((13 + math.sqrt(169 + 1)) / (-7 + math.sqrt(49 + 1))) / 20 / (4 * math.pi * 0.3)
    assert ecp[120, 0] == pytest.approx(0.5 * on_axis, rel=1e-9)  # t = 3 ms: r raised to 1 um; sigma 0.3


# -- bad input -------------------------------------------------------------------------------

BAD_BLOCKS: dict[str, tuple[dict[str, Any], list[str]]] = {
    "no_electrodes": ({"electrode_positions": None}, ["missing electrode_positions"]),
    "electrodes_not_a_path": ({"electrode_positions": 5}, ["must be the path of a csv file", "found 5"]),
    "sigma_negative": ({"sigma": -0.3}, ["must be a positive number (S/m)", "reports.e.sigma"]),
    "sigma_text": ({"sigma": "0.3"}, ["must be a positive number (S/m)"]),
    "minimum_distance_negative": ({"minimum_distance": -1}, ['must be a distance >= 0 (um) or "auto"']),
    "minimum_distance_word": ({"minimum_distance": "near"}, ["reports.e.minimum_distance", "found 'near'"]),
    "contributions_not_a_name": ({"contributions_dir": ["a"]}, ["must be a folder name", "reports.e.contributions_dir"]),
    "cell_bounds_reversed": ({"cell_bounds": [5, 2]}, ["must be [first, last] node ids", "reports.e.cell_bounds"]),
}


@pytest.mark.parametrize("case", sorted(BAD_BLOCKS))
def test_bad_report_blocks_are_named(tmp_path: Path, case: str) -> None:
    changes, parts = BAD_BLOCKS[case]
    block = {"module": "extracellular", "electrode_positions": str(tmp_path / "el.csv"), **changes}
    with pytest.raises(ConfigError) as info:
        ExtracellularReport("e", {k: v for k, v in block.items() if v is not None}, config_file=tmp_path / "c.json")
    for part in parts:
        assert part in str(info.value), str(info.value)


BAD_ELECTRODES: dict[str, tuple[str | None, list[str]]] = {
    "missing": (None, ["electrode positions file not found"]),
    "empty": ("", ["not a csv table", "x_pos y_pos z_pos"]),
    "no_positions": ("channel x y z\n0 1 2 3\n", ["lacks position columns", "['channel', 'x', 'y', 'z']"]),
    "only_header": ("channel x_pos y_pos z_pos\n", ["has no rows"]),
    "not_numbers": ("x_pos y_pos z_pos\n0 0 0\n1 deep 2\n", ["must be numbers", "'deep' in row 2"]),
    "bad_channel": ("channel x_pos y_pos z_pos\na 0 0 0\n", ["channel ids must be integers >= 0"]),
    "repeated_channel": ("channel x_pos y_pos z_pos\n3 0 0 0\n3 0 10 0\n", ["channel ids repeat", "[3]"]),
}


@pytest.mark.parametrize("case", sorted(BAD_ELECTRODES))
def test_bad_electrode_files_are_named(tmp_path: Path, case: str) -> None:
    text, parts = BAD_ELECTRODES[case]
    path = tmp_path / "el.csv"
    if text is not None:
        path.write_text(text)
    with pytest.raises(ConfigError) as info:
        read_electrodes(path, "reports.e.electrode_positions")
    for part in [*parts, "el.csv", "reports.e.electrode_positions"]:
        assert part in str(info.value), str(info.value)


def test_electrode_files_bmtk_writes_are_read(tmp_path: Path, testdata: Path) -> None:
    positions, channels = read_electrodes(
        testdata / "sonata-examples/shared_components/recXelectrodes/linear_electrode.csv", "e")
    assert positions.shape == (86, 3) and channels.tolist() == list(range(86))
    assert positions[85].tolist() == [10.0, -850.0, 5.0]
    (tmp_path / "el.csv").write_text("x_pos,y_pos,z_pos\n1,2,3\n")
    positions, channels = read_electrodes(tmp_path / "el.csv", "e")
    assert positions.tolist() == [[1.0, 2.0, 3.0]] and channels.tolist() == [0]


def test_contributions_folder_errors(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file")
    with pytest.raises(ConfigError, match="contributions_dir is a file, not a folder"):
        contributions_folder(tmp_path / "taken", "reports.e.contributions_dir")
    with pytest.raises(ConfigError, match="cannot create the contributions folder") as info:
        contributions_folder(tmp_path / "taken" / "below", "reports.e.contributions_dir")
    assert "reports.e.contributions_dir" in str(info.value)
    assert contributions_folder(tmp_path / "new" / "deep", "k").is_dir()


def test_relative_contributions_dir_is_inside_output_dir(tmp_path: Path) -> None:
    """As BMTK: a relative ``contributions_dir`` is joined onto ``output_dir`` (like ``file_name``)."""
    from cantata.sonata.config import load_config

    config = write_ball_config(tmp_path, contributions_dir="per_cell")
    assert Path(load_config(config).reports["ecp"]["contributions_dir"]) == tmp_path / "output" / "per_cell"
