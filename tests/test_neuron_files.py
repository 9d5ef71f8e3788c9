"""NEURON engine pieces that need no simulator: SWC checks, NeuroML and Allen fit files,
synapse placement maths, report helpers. (Nothing here imports NEURON.)"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from cantata.errors import FormatError, SimulationError
from cantata.sim.engines.neuron import biophysics as bio
from cantata.sim.engines.neuron import morphology as morph
from cantata.sim.engines.neuron import recording
from cantata.sim.engines.neuron import synapses as syn

COMPONENTS = "sonata-examples/shared_components"


def test_importing_the_engine_package_does_not_import_neuron_or_mpi() -> None:
    import subprocess

    code = ("import sys, cantata, cantata.sim.engines.neuron, cantata.sim.engines.neuron.engine;"
            "print(sorted(m for m in ('neuron', 'mpi4py') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ------------------------------------------------------------------------------------ SWC


def test_real_swc_files_pass_the_check(testdata: Path) -> None:
    for path in sorted((testdata / COMPONENTS / "morphologies").glob("*.swc")):
        table = morph.check_swc(path)
        assert table.shape[1] == 7 and (table[:, 1] == 1).any()


@pytest.mark.parametrize(("text", "message"), [
    ("1 1 0 0 0 5 -1\n2 3 0 10 0 1\n", "7 columns"),
    ("1 1 0 0 0 5 -1\n2 3 0 ten 0 1 1\n", "numbers"),
    ("1 1 0 0 0 5 -1\n2 3 0 10 0 1 7\n", "parent id names no point"),
    ("1 3 0 0 0 5 -1\n2 3 0 10 0 1 1\n", "no soma"),
    ("1 1 0 0 0 5 -1\n1 3 0 10 0 1 1\n", "duplicate"),
    ("# only a comment\n", "no points"),
    ("1 1 0 0 0 -5 -1\n", "negative"),
])
def test_malformed_swc_is_named_with_its_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.swc"
    path.write_text(text)
    with pytest.raises(FormatError, match=message) as err:
        morph.check_swc(path)
    assert str(path) in str(err.value)


def test_missing_swc_and_morphology_lookup(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="not found"):
        morph.check_swc(tmp_path / "absent.swc")
    (tmp_path / "cell_a.swc").write_text("1 1 0 0 0 5 -1\n")
    found = morph.resolve_morphology_file("cell_a", tmp_path, who="node v1[0]")
    assert found == tmp_path / "cell_a.swc"
    assert morph.resolve_morphology_file("cell_a.swc", tmp_path, who="x") == found
    with pytest.raises(SimulationError, match=r"node v1\[3\]"):
        morph.resolve_morphology_file("cell_b", tmp_path, who="node v1[3]")
    with pytest.raises(SimulationError, match="morphologies_dir"):
        morph.resolve_morphology_file("cell_a", None, who="node v1[0]")


# ------------------------------------------------------------------------- NeuroML / Allen


def _rules(b: bio.Biophysics, kind: str) -> list[tuple[str, str, float]]:
    return [(r.op, r.name, r.value) for r in b.rules if r.kind == kind]


def test_neuroml_biophysics_follow_bmtk_rules(testdata: Path) -> None:
    path = testdata / COMPONENTS / "biophysical_neuron_templates/nml/Cell_472363762.cell.nml"
    b = bio.load_nml(path)
    soma = _rules(b, "soma")
    assert ("insert", "NaTs", soma[[r[1] for r in soma].index("NaTs")][2]) in soma
    assert ("set", "gbar_NaTs", 0.98228995893) in soma
    assert ("erev", "ena", 53.0) in soma and ("erev", "ek", -107.0) in soma
    assert ("set", "gamma_CaDynamics", 0.0012510775510599999) in soma
    assert ("set", "decay_CaDynamics", 717.91660042899991) in soma
    assert ("set", "g_pas", 5.71880766722e-06) in soma and ("set", "e_pas", -92.4991149902) in soma
    for kind in bio.ALL_KINDS:  # resistivity has segmentGroup "all"
        assert ("Ra", "", 138.28) in [(op, n, v) for op, n, v in _rules(b, kind) if op == "Ra"]
    assert ("cm", "", 2.12) in _rules(b, "apic")
    assert not any(op == "erev" for op, _, _ in _rules(b, "dend"))
    assert b.mechanisms() == {"pas", "Im", "Ih", "NaTs", "Nap", "K_P", "K_T", "SK", "Kv3_1",
                              "Ca_HVA", "Ca_LVA", "CaDynamics"}


def test_allen_fit_json_becomes_the_same_kind_of_rules(testdata: Path) -> None:
    path = testdata / COMPONENTS / "biophysical_neuron_templates/json/472363762_fit.json"
    b = bio.load_allen_json(path)
    soma = _rules(b, "soma")
    assert ("insert", "NaTs", soma[[r[1] for r in soma].index("NaTs")][2]) in soma
    assert ("set", "gbar_NaTs", 0.9822899589299999) in soma
    assert ("Ra", "", 138.28) in soma and ("cm", "", 1.0) in soma
    assert ("set", "e_pas", -92.49911499023438) in soma
    assert ("erev", "ena", 53.0) in soma
    assert b.conditions == {"celsius": 34.0, "v_init": -92.49911499023438}
    # both sources describe the same model: same mechanisms on the soma
    nml = bio.load_nml(testdata / COMPONENTS / "biophysical_neuron_templates/nml/Cell_472363762.cell.nml")
    assert b.mechanisms() == nml.mechanisms()


@pytest.mark.parametrize(("body", "message"), [
    ('<neuroml xmlns="http://www.neuroml.org/schema/neuroml2"><cell id="x"/></neuroml>',
     "no biophysical properties"),
    ('<neuroml><channelDensity id="g" ionChannel="K" condDensity="1 S_per_cm2" ion="k"/></neuroml>',
     "no segmentGroup"),
    ('<neuroml><channelDensity id="g" segmentGroup="soma" ion="k" ionChannel="K" condDensity="lots"/></neuroml>',
     "not a number"),
    ('<neuroml><channelDensity id="g" segmentGroup="spine" ion="k" ionChannel="K" condDensity="1"/></neuroml>',
     "section kind"),
    ("<neuroml><unclosed></neuroml>", "malformed"),
])
def test_bad_neuroml_is_reported_with_the_file(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / f"bad{abs(hash(body))}.cell.nml"
    path.write_text(body)
    with pytest.raises(FormatError, match=message) as err:
        bio.load_nml(path)
    assert str(path) in str(err.value)


def test_bad_allen_json(tmp_path: Path) -> None:
    path = tmp_path / "fit.json"
    base = {"passive": [{"ra": 100, "cm": [{"section": "soma", "cm": 1}], "e_pas": -70}],
            "genome": [{"section": "soma", "name": "gbar_X", "value": 1, "mechanism": "X"}]}
    ok = bio.load_allen_json(path, base)
    assert ("insert", "X", ok.rules[[r.name for r in ok.rules].index("X")].value) in \
        [(r.op, r.name, r.value) for r in ok.rules]
    with pytest.raises(FormatError, match="genome"):
        bio.load_allen_json(path, {**base, "genome": {"oops": 1}})
    with pytest.raises(FormatError, match=r"genome\[0\] lacks value"):
        bio.load_allen_json(path, {**base, "genome": [{"section": "soma", "name": "g"}]})
    with pytest.raises(FormatError, match="unknown section"):
        bio.load_allen_json(path, {**base, "genome": [{"section": "tuft", "name": "g", "value": 1}]})
    with pytest.raises(FormatError, match="passive"):
        bio.load_allen_json(path, {"genome": []})
    path.write_text("{not json")
    with pytest.raises(FormatError, match="malformed JSON"):
        bio.load_allen_json(path)


# ------------------------------------------------------------------------------ placement


def _table() -> morph.SegmentTable:
    # soma (1 segment), a dendrite of 3 segments of 10 um, an apical of 2 segments of 50 um
    return morph.SegmentTable(
        section_id=np.array([0, 1, 1, 1, 2, 2]),
        x=np.array([0.5, 1 / 6, 0.5, 5 / 6, 0.25, 0.75]),
        kind_code=np.array([1, 3, 3, 3, 4, 4]),
        length=np.array([10.0, 10, 10, 10, 50, 50]),
        distance=np.array([0.0, 10, 20, 30, 30, 80]),
    )


def test_target_sections_and_distance_range_parsing() -> None:
    assert syn.target_codes(["basal", "apical"], who="e").tolist() == [3, 4]
    assert syn.target_codes("['somatic', 'basal']", who="e").tolist() == [1, 3]
    assert syn.target_codes(None, who="e").tolist() == [1, 3, 4]
    with pytest.raises(SimulationError, match="unknown target section 'spine'"):
        syn.target_codes(["spine"], who="edge x")
    assert syn.distance_bounds("[0.0, 150.0]", who="e") == (0.0, 150.0)
    assert syn.distance_bounds([20, 50], who="e") == (20.0, 50.0)
    assert syn.distance_bounds(None, who="e") == (0.0, np.inf)
    with pytest.raises(SimulationError, match="two numbers"):
        syn.distance_bounds("[1, 2, 3]", who="e")


def test_candidate_segments_are_weighted_by_overlapping_length() -> None:
    index, prob = syn.candidate_segments(_table(), np.array([3, 4]), (15.0, 60.0))
    # dend segments [5,15] none, [15,25] 10, [25,35] 10; apic [5,55] 40 of 50, [55,105] 5
    assert index.tolist() == [2, 3, 4, 5]
    assert np.allclose(prob, np.array([10, 10, 40, 5]) / 65)
    index, prob = syn.candidate_segments(_table(), np.array([1]), (500.0, 600.0))
    assert index.size == 0 and prob.size == 0


def test_placement_generator_is_per_cell_and_reproducible() -> None:
    a = syn.cell_rng(5, "v1", 12).random(4)
    assert np.array_equal(a, syn.cell_rng(5, "v1", 12).random(4))
    assert not np.array_equal(a, syn.cell_rng(5, "v1", 13).random(4))
    assert not np.array_equal(a, syn.cell_rng(6, "v1", 12).random(4))
    assert not np.array_equal(a, syn.cell_rng(5, "v2", 12).random(4))


def test_preset_locations_are_checked_against_the_morphology() -> None:
    def who(i: int) -> str:
        return f"edge lgn_to_v1[{i + 6}] (edge_type_id 100)"

    syn.check_preset(np.array([0, 121]), np.array([0.0, 1.0]), 122, who=who, morphology="m")
    with pytest.raises(SimulationError, match="out of range") as err:
        syn.check_preset(np.array([0, 122]), np.array([0.5, 0.5]), 122, who=who, morphology="cell.swc")
    assert "lgn_to_v1[7]" in str(err.value) and "cell.swc" in str(err.value)
    assert "0..121" in str(err.value)
    with pytest.raises(SimulationError, match="outside"):
        syn.check_preset(np.array([0]), np.array([1.5]), 3, who=who, morphology="m")


def test_report_sampling_helpers() -> None:
    assert recording.frames_before(4000.0, 0.1) == 40000
    assert recording.frames_before(4000.0000000001, 0.1) == 40000
    assert recording.frames_before(0.0, 0.1) == 0
    assert recording.frames_before(0.05, 0.1) == 1
    assert recording.section_selection("soma") == ("soma",)
    assert recording.section_selection("all") is None
    assert recording.section_selection(["basal", "apical"]) == ("dend", "apic")
    assert recording.section_selection("['basal', 'apical']") == ("dend", "apic")
    assert recording.section_selection("dend") == ("dend",)


def test_synapse_file_keys(tmp_path: Path) -> None:
    path = tmp_path / "syn.json"
    path.write_text(json.dumps({"level_of_detail": "exp2syn", "tau1": 1.0}))
    # checking required keys needs no simulator for the message path
    assert "erev" in syn.KNOWN_MODELS["Exp2Syn"] and "sign" in syn.METADATA_KEYS
