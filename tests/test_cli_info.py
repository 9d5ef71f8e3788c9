"""`cantata info PATH` on real configs and data files, text and JSON, and its error handling."""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pytest

from cantata.cli import main
from cantata.errors import FormatError
from cantata.sonata.spikes import SpikeTrains

INTFIRE = Path("sonata-examples") / "300_intfire"
FIVE = Path("sonata-examples") / "5_cells_iclamp"


def info(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["info", *map(str, args)]) == 0
    return capsys.readouterr().out


def info_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    return json.loads(info(capsys, *args, "--json"))


def test_config_text(testdata: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = info(capsys, testdata / INTFIRE / "config.json")
    assert "files: config.json, circuit_config.json, simulation_config.json" in out
    assert "run: simulator NEURON, tstop 3000 ms, dt 0.1 ms" in out
    assert "inputs: LGN_spikes (spikes, h5, lgn); TW_spikes (spikes, h5, tw)" in out
    assert "node sets: LGN, TW" in out
    assert "node populations: 3 (420 nodes)" in out
    assert "v1: 300 nodes (v1_nodes.h5 + v1_node_types.csv)" in out
    assert "node types: 100 x240 point_process LIF_exc nrn:IntFire1; 101 x60 point_process LIF_inh nrn:IntFire1" in out
    assert "edge populations: 3 (87720 edges)" in out
    assert "lgn_to_v1: lgn -> v1, 17160 edges" in out


def test_config_json(testdata: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = info_json(capsys, testdata / FIVE / "config.json")
    assert data["kind"] == "config" and data["target_simulator"] == "NEURON"
    assert data["run"] == {"tstop": 4000.0, "dt": 0.1}
    assert set(data["reports"]) == {"calcium_concentration", "membrane_potential", "ecp"}
    assert data["node_sets"] == ["biophys_cells"]
    pop = data["nodes"]["biophysical"]
    assert pop["size"] == 5 and {"morphology", "x", "model_processing"} <= set(pop["attributes"])
    assert [t["node_type_id"] for t in pop["node_types"]] == [100, 101, 102, 103, 104]
    assert pop["node_types"][3] == {"node_type_id": 103, "count": 1, "model_type": "biophysical",
                                    "model_name": "PV1", "model_template": "nml:Cell_472912177.cell.nml"}
    assert data["edges"] == {}


def test_nodes_file_with_types(testdata: Path, capsys: pytest.CaptureFixture[str]) -> None:
    net = testdata / INTFIRE / "network"
    data = info_json(capsys, net / "v1_nodes.h5", "--types", net / "v1_node_types.csv")
    assert data["kind"] == "nodes"
    counts = {t["node_type_id"]: (t["count"], t.get("model_name")) for t in data["populations"]["v1"]["node_types"]}
    assert counts == {100: (240, "LIF_exc"), 101: (60, "LIF_inh")}
    # without the CSV, only the h5 content is known
    bare = info_json(capsys, net / "v1_nodes.h5")["populations"]["v1"]
    assert bare["types_file"] is None and "model_name" not in bare["attributes"]


def test_edges_file(testdata: Path, capsys: pytest.CaptureFixture[str]) -> None:
    net = testdata / INTFIRE / "network"
    out = info(capsys, net / "tw_v1_edges.h5", "--types", net / "tw_v1_edge_types.csv")
    assert "edges file" in out and "tw_to_v1: tw -> v1, 9000 edges (tw_v1_edges.h5 + tw_v1_edge_types.csv)" in out
    assert "edge types: 100 x7200 instanteneousExc.json; 101 x1800 instanteneousExc.json" in out


def test_spike_files(testdata: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = info_json(capsys, testdata / INTFIRE / "output" / "spikes.h5")
    assert data["kind"] == "spikes" and data["spikes"] == 4322
    assert data["populations"]["v1"]["spikes"] == 4322
    legacy = info(capsys, testdata / INTFIRE / "inputs" / "lgn_spikes.h5")
    assert "2738 spikes" in legacy and "from 90 nodes" in legacy
    csv = SpikeTrains.from_arrays(np.array([3, 3, 4]), np.array([1.0, 2.5, 9.0]), population="pop").write_csv(
        tmp_path / "spikes.csv")
    assert "pop: 3 spikes from 2 nodes, 1..9 ms" in info(capsys, csv)


def test_report_file(testdata: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = info(capsys, testdata / FIVE / "output" / "membrane_potential.h5")
    assert "biophysical: v" in out and "of 5 nodes (5 columns), 40000 frames, 0..4000 ms every 0.1 ms" in out
    data = info_json(capsys, testdata / FIVE / "output" / "membrane_potential.h5")
    assert data["kind"] == "report" and data["populations"]["biophysical"]["frames"] == 40000


def test_types_table(testdata: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = info(capsys, testdata / INTFIRE / "network" / "v1_v1_edge_types.csv")
    assert out.startswith("edge types table") and "4 types (100, 101, 102, 103)" in out


def test_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", str(tmp_path / "missing.h5")]) == 1
    err = capsys.readouterr().err
    assert err == f"cantata info: error: {tmp_path / 'missing.h5'}: file not found\n"

    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as f:
        f.create_group("stuff")
    assert main(["info", str(other)]) == 1
    err = capsys.readouterr().err
    assert "not a SONATA data file (expected an HDF5 file with /nodes, /edges, /spikes or /report, found '/stuff')" in err
    assert "Traceback" not in err

    bad = tmp_path / "bad.json"
    bad.write_text('{"run": {"tstop": 1,}}')
    assert main(["info", str(bad)]) == 1
    assert "invalid JSON at line 1, column 21" in capsys.readouterr().err

    assert main(["info", str(bad), "--types", "x.csv"]) == 1
    assert "--types applies to nodes and edges files only" in capsys.readouterr().err


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="file not found"):
        main(["--debug", "info", str(tmp_path / "missing.h5")])
