"""Bad input to the NEURON engine gives one clear error naming the node or edge type and the
file. All broken networks are built in one child process (each build fails before simulating)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from test_neuron_support import HH_CELL, run_cantata, run_python, write_bio_network

from cantata.sonata.write import EdgeTable, write_edges


def _types(root: Path, name: str, **changes: object) -> None:
    path = root / "network" / name
    table = pd.read_csv(path, sep=" ")
    for column, value in changes.items():
        table[column] = value
    table.to_csv(path, sep=" ", index=False)


def _broken_networks(root: Path, testdata: Path) -> dict[str, Path]:
    cases: dict[str, Path] = {}

    def net(name: str, n_cells: int = 1, **kw: object) -> Path:
        config = write_bio_network(root / name, testdata, n_cells=n_cells, tstop=10.0, **kw)
        cases[name] = config
        return config.parent

    folder = net("missing_morphology")
    _types(folder, "node_types.csv", morphology=["Nowhere_m", None])

    folder = net("missing_template")
    _types(folder, "node_types.csv", model_template=["nml:Cell_0.cell.nml", None])

    folder = net("section_out_of_range", placement="preset")
    write_edges(folder / "network" / "input_edges.h5", {"inputs_to_cortex": EdgeTable(
        source="inputs", target="cortex", source_node_id=[0, 1], target_node_id=[0, 0], edge_type_id=[1, 1],
        attributes={"afferent_section_id": [3, 500], "afferent_section_pos": [0.5, 0.5]},
        n_source_nodes=4, n_target_nodes=1)}, overwrite=True)

    folder = net("synapse_params_incomplete")
    (folder / "components" / "syn" / "exc.json").write_text(json.dumps({"tau1": 0.5, "erev": 0.0}))

    folder = net("unknown_synapse_param")
    (folder / "components" / "syn" / "exc.json").write_text(
        json.dumps({"tau1": 0.5, "tau2": 3.0, "erev": 0.0, "tau_one": 2.0}))

    folder = net("unknown_mechanism")
    broken = json.loads(json.dumps(HH_CELL))
    broken["genome"].append({"section": "soma", "name": "gbar_NoSuchChannel", "value": 1.0,
                             "mechanism": "NoSuchChannel"})
    (folder / "components" / "bio" / "hh_cell.json").write_text(json.dumps(broken))

    folder = net("malformed_swc")
    morphs = folder / "morphs"
    morphs.mkdir()
    (morphs / "Broken_m.swc").write_text("1 1 0 0 0 5 -1\n2 3 0 10 0 1\n")
    _types(folder, "node_types.csv", morphology=["Broken_m", None])
    config = json.loads(cases["malformed_swc"].read_text())
    config["components"]["morphologies_dir"] = str(morphs)
    cases["malformed_swc"].write_text(json.dumps(config))

    folder = net("unknown_processing")
    _types(folder, "node_types.csv", model_processing=["aibs_sideways", None])

    folder = net("unknown_synapse_model")
    _types(folder, "input_edge_types.csv", model_template=["FancySyn"])

    folder = net("no_syn_weight")
    _types(folder, "input_edge_types.csv", syn_weight=["NULL"])

    folder = net("spikes_into_real_cells", n_cells=4)
    config = json.loads(cases["spikes_into_real_cells"].read_text())
    config["inputs"]["stim"]["node_set"] = "cells"
    cases["spikes_into_real_cells"].write_text(json.dumps(config))

    folder = net("unknown_variable", reports={"ca": {"cells": "cells", "variable_name": "cai"}})
    return cases


EXPECTED = {
    "missing_morphology": ["morphology file not found", "node cortex[0] (node_type_id 100)", "Nowhere_m"],
    "missing_template": ["NeuroML template file not found", "Cell_0.cell.nml"],
    "section_out_of_range": ["afferent_section_id out of range", "inputs_to_cortex[1] (edge_type_id 1)",
                             "Scnn1a_473845048_m.swc", "found 500"],
    "synapse_params_incomplete": ["lack tau2", "edge_type_id 1", "exc.json"],
    "unknown_synapse_param": ["Exp2Syn has no parameter 'tau_one'", "edge_type_id 1", "exc.json"],
    "unknown_mechanism": ["unknown NEURON mechanism 'NoSuchChannel'", "node cortex[0] (node_type_id 100)",
                          "hh_cell.json"],
    "malformed_swc": ["malformed SWC row", "Broken_m.swc", "line 2"],
    "unknown_processing": ["unknown model_processing", "aibs_sideways", "node_type_id 100"],
    "unknown_synapse_model": ["unknown synapse model 'FancySyn'", "edge_type_id 1"],
    "no_syn_weight": ["has no syn_weight", "input_edge_types.csv"],
    "spikes_into_real_cells": ["virtual nodes only", "cortex"],
    "unknown_variable": ["no variable 'cai'", "reports.ca"],
}


@pytest.fixture(scope="module")
def errors(testdata: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    cases = _broken_networks(tmp_path_factory.mktemp("broken"), testdata)
    return run_python(f"""
import json
from cantata.errors import CantataError
from cantata.sim import Simulation
out = {{}}
for name, path in {json.dumps({k: str(v) for k, v in cases.items()})}.items():
    try:
        Simulation.from_config(path, progress=False).run()
        out[name] = 'no error'
    except CantataError as exc:
        out[name] = type(exc).__name__ + ': ' + str(exc)
print(json.dumps(out))
""")


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_bad_input_is_named(errors: dict[str, str], case: str) -> None:
    message = errors[case]
    assert message != "no error"
    for part in EXPECTED[case]:
        assert part in message, message


def test_cli_prints_one_line(testdata: Path, tmp_path: Path) -> None:
    config = write_bio_network(tmp_path, testdata, n_cells=1, tstop=10.0)
    _types(tmp_path, "node_types.csv", morphology=["Nowhere_m", None])
    proc = run_cantata("run", str(config), "--no-progress")
    assert proc.returncode == 1
    assert "cantata run: error:" in proc.stderr and "Nowhere_m" in proc.stderr
    assert "Traceback" not in proc.stderr
