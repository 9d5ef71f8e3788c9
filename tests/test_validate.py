"""`cantata validate`: real configs pass, all problems are listed across files and stages,
problem formatting, and the command's output and exit codes. The broken-input corpus is in
test_validate_corpus.py."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_validate_corpus import build_network

from cantata.cli import main
from cantata.sonata.validate import Problem, validate, validate_config

EXAMPLES = "sonata-examples"


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_network(tmp_path_factory.mktemp("valid")).parent


@pytest.fixture
def copy(network: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "net"
    shutil.copytree(network, folder)
    return folder


def _edit(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


# ------------------------------------------------------------------------------ real configs


@pytest.mark.parametrize("example", ["300_intfire", "5_cells_iclamp"])
@pytest.mark.parametrize("name", ["config.json", "simulation_config.json", "circuit_config.json"])
def test_real_examples_have_no_errors(testdata: Path, example: str, name: str) -> None:
    result = validate(testdata / EXAMPLES / example / name)
    assert result.errors == [], [str(p) for p in result.errors]
    # the only real gap: the mechanisms folder is not shipped; a warning, not an error
    assert [p.key for p in result.warnings] == ["components.mechanisms_dir"]
    assert "needed only by NEURON runs with custom mechanisms" in result.warnings[0].message
    assert result.nodes and all(n > 0 for n in result.nodes.values())


def test_real_example_summary(testdata: Path) -> None:
    result = validate(testdata / EXAMPLES / "300_intfire" / "config.json")
    assert result.nodes == {"v1": 300, "lgn": 90, "tw": 30}
    assert result.edges == {"v1_to_v1": 61560, "lgn_to_v1": 17160, "tw_to_v1": 9000}
    assert result.summary() == ("3 config files, 3 node populations (420 nodes), "
                                "3 edge populations (87720 edges), 1 warning")


def test_real_h5_layout_problem_is_found(testdata: Path, tmp_path: Path) -> None:
    """libsonata's test nodes file has an attribute shorter than its group (on purpose)."""
    nodes = testdata / "format" / "libsonata_tests_data" / "data" / "nodes1.h5"
    config = tmp_path / "circuit_config.json"
    config.write_text(json.dumps({"networks": {"nodes": [{"nodes_file": str(nodes), "node_types_file": None}]}}))
    texts = [p.text for p in validate_config(config)]
    assert any("/nodes/nodes-A/0/A-enum: length differs from the number of nodes in group 0 "
               "(expected 6 rows, found '2 rows')" in t for t in texts), texts
    assert any("/nodes/nodes-B/node_type_id: missing required dataset" in t for t in texts), texts


# ------------------------------------------------------------------------------ all problems


def test_all_problems_are_listed(copy: Path) -> None:
    _edit(copy / "simulation_config.json", lambda d: (
        d["run"].update(dt=-1), d.pop("reports"), d.update(reprots={}),
        d["inputs"]["clamp"].update(node_set="exc_cellz")))
    _edit(copy / "circuit_config.json", lambda d: d["components"].update(synaptic_models_dir="./nowhere"))
    (copy / "inputs" / "spikes.h5").unlink()
    (copy / "network" / "edge_types.csv").write_text("edge_type_id dynamics_params\n300 syn.json\n")
    texts = [p.text for p in validate_config(copy / "config.json")]
    expected = [
        "simulation_config.json: reprots: unknown section (did you mean 'reports'?)",
        "simulation_config.json: run.dt: must be positive",
        "circuit_config.json: components.synaptic_models_dir: folder not found",
        "simulation_config.json: inputs.stim.input_file: file not found",
        "edges.h5: /edges/input_to_cortex/edge_type_id: edge_type_ids used in the h5 file are missing",
        "simulation_config.json: inputs.clamp.node_set: unknown node set 'exc_cellz'",
    ]
    for text in expected:
        assert any(text in t for t in texts), f"{text!r} not in\n" + "\n".join(texts)
    assert len(texts) == len(expected), texts


def test_syntax_error_stops_only_what_depends_on_the_file(copy: Path) -> None:
    (copy / "circuit_config.json").write_text('{"networks": }')
    _edit(copy / "simulation_config.json", lambda d: (d["run"].update(dt=0), d.update(netwrk="x")))
    (copy / "inputs" / "spikes.h5").unlink()
    texts = [p.text for p in validate_config(copy / "config.json")]
    assert any("circuit_config.json: invalid JSON at line 1, column 14" in t for t in texts), texts
    assert any("simulation_config.json: run.dt: must be positive" in t for t in texts), texts
    assert any("simulation_config.json: netwrk: unknown section (did you mean 'network'?)" in t for t in texts)
    assert any("simulation_config.json: inputs.stim.input_file: file not found" in t for t in texts), texts
    assert len(texts) == 4, texts  # nothing about the network: it depends on the broken file


def test_variables_are_per_file(copy: Path) -> None:
    """$NETWORK_DIR is defined in the circuit config only; the simulation config cannot use it."""
    _edit(copy / "simulation_config.json", lambda d: (
        d["inputs"]["stim"].update(input_file="$NETWORK_DIR/../inputs/spikes.h5"), d["run"].update(tstop=-5)))
    problems = validate_config(copy / "config.json")
    texts = [p.text for p in problems]
    assert any("simulation_config.json: inputs.stim.input_file: unknown manifest variable $NETWORK_DIR "
               "(expected a manifest variable ($BASE_DIR)" in t for t in texts), texts
    assert any("simulation_config.json: run.tstop: must be positive" in t for t in texts), texts
    assert all(p.is_error for p in problems) and len(problems) == 2, texts


def test_circuit_config_needs_no_run(network: Path) -> None:
    assert validate_config(network / "circuit_config.json") == []


def test_missing_config_file(tmp_path: Path) -> None:
    problems = validate_config(tmp_path / "nope.json")
    assert [p.text for p in problems] == [f"{tmp_path / 'nope.json'}: file not found"]


def test_spike_input_may_name_a_population(copy: Path) -> None:
    """As in BMTK, a node population name is a node set (inputs.stim.node_set is "input")."""
    _edit(copy / "simulation_config.json", lambda d: d["inputs"]["clamp"].update(node_set="cortex"))
    assert validate_config(copy / "config.json") == []


# ------------------------------------------------------------------------------ formatting


def test_problem_text_reads_like_an_error() -> None:
    problem = Problem("must be positive", file="sim.json", key="run.dt", expected="a number > 0", found=-1)
    assert str(problem) == "error: sim.json: run.dt: must be positive (expected a number > 0, found -1)"
    warning = Problem("folder not found", file="c.json", key="k", found="x", severity="warning")
    assert str(warning) == "warning: c.json: k: folder not found (found 'x')"
    assert warning.to_dict() == {"severity": "warning", "file": "c.json", "key": "k",
                                 "message": "folder not found", "expected": None, "found": "x"}
    with pytest.raises(ValueError):
        Problem("x", severity="fatal")


# ------------------------------------------------------------------------------ command


def test_command_ok(network: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(network / "config.json")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: ") and "2 node populations (9 nodes), 2 edge populations (14 edges)" in out


def test_command_lists_problems_and_fails(copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (copy / "components" / "mechanisms").rmdir()
    (copy / "node_sets.json").unlink()
    assert main(["validate", str(copy / "config.json")]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("warning: ") and "components.mechanisms_dir" in lines[0]
    assert lines[1].startswith("error: ") and "node_sets_file: file not found" in lines[1]
    assert lines[2].startswith("FAILED: ") and "1 error," in lines[2] and "1 warning" in lines[2]

    assert main(["validate", "--errors-only", str(copy / "config.json")]) == 1
    assert not [line for line in capsys.readouterr().out.splitlines() if line.startswith("warning")]

    assert main(["validate", "--json", str(copy / "config.json")]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False and data["errors"] == 1 and data["warnings"] == 1
    assert {p["key"] for p in data["problems"]} == {"components.mechanisms_dir", "node_sets_file"}


def test_command_warnings_only_is_ok(testdata: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(testdata / EXAMPLES / "5_cells_iclamp" / "config.json")]) == 0
    out = capsys.readouterr().out
    assert "warning: " in out and "OK: " in out and "1 warning" in out
