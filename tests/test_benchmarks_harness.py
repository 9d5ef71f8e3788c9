"""Smoke tests of the benchmark harness (benchmarks/): tiny sizes, nothing timed or asserted on speed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import harness, scenarios
from benchmarks.__main__ import main
from benchmarks.report import markdown
from benchmarks.scripts import counts_within, script_missing


def test_toy_scenario_reports_ok_missing_and_failed(tmp_path: Path) -> None:
    record = harness.run_scenario(scenarios.get("toy"), size="tiny", repeats=2,
                                  work_root=tmp_path, log=lambda _: None)
    by_name = {p["name"]: p for p in record["pairs"]}
    ok = by_name["sort"]
    assert ok["status"] == "ok"
    assert len(ok["cantata"]["phases"]["sort"]["runs"]) == 2
    assert len(ok["peer"]["phases"]["sort"]["runs"]) == 2
    assert ok["ratios"]["sort"] > 0 and ok["ratios"]["peak_rss_mb"] > 0
    assert ok["cantata"]["peak_rss_mb"]["median"] > 1
    assert set(ok["targets"]["sort"]) == {"min_throughput", "throughput", "met"}
    assert by_name["missing"]["status"] == "missing"
    assert "not implemented (toy)" in by_name["missing"]["detail"]
    assert by_name["failing"]["status"] == "failed"
    assert by_name["failing"]["detail"].startswith("RuntimeError: this side always fails")
    assert len(record["load_before"]) == 3 and len(record["load_after"]) == 3
    assert record["machine"]["nproc"] >= 1
    table = markdown(record)
    assert "| sort (list.sort vs sorted) | sort |" in table
    assert "**missing**: list.sort: not implemented (toy)" in table


def test_disagreeing_sides_get_no_ratio(tmp_path: Path) -> None:
    record = harness.run_scenario(scenarios.get("toy"), size="tiny-disagree", repeats=1,
                                  work_root=tmp_path, only=["sort"], log=lambda _: None)
    (pair,) = record["pairs"]
    assert pair["status"] == "disagree"
    assert pair["detail"].startswith("first:")
    assert "ratios" not in pair or not pair["ratios"]


def test_child_time_limit(tmp_path: Path) -> None:
    result = harness.run_child("benchmarks.scenarios.toy:sleeper", {"sleep_s": 30}, tmp_path, timeout=1)
    assert not result.ok
    assert result.error.startswith("timed out after 1 s")
    assert result.wall < 10


def test_s4_tiny_runs_and_both_sides_agree(tmp_path: Path) -> None:
    record = harness.run_scenario(scenarios.get("s4"), size="tiny", repeats=1, work_root=tmp_path,
                                  only=["edges_read", "edges_write", "spikes"], log=lambda _: None)
    statuses = {p["name"]: p["status"] for p in record["pairs"]}
    assert statuses == {"edges_read": "ok", "edges_write": "ok", "spikes": "ok"}, record["pairs"]
    edges_read = record["pairs"][0]
    assert edges_read["cantata"]["check"]["source_n"] == 2000
    assert set(edges_read["targets"]) >= {"source_node_id", "read (all)"}
    assert (tmp_path / "s4" / "tiny" / "edges.h5").is_file()


def test_cli_writes_json_and_markdown(tmp_path: Path) -> None:
    status = main(["toy", "--size", "tiny", "--repeats", "1", "--pairs", "sort",
                   "--work", str(tmp_path / "work"), "--results", str(tmp_path / "results")])
    assert status == 0
    record = json.loads((tmp_path / "results" / "toy-tiny.json").read_text())
    assert record["pairs"][0]["status"] == "ok"
    assert (tmp_path / "results" / "toy-tiny.md").read_text().startswith("### Toy")


def test_cli_rejects_unknown_scenario_and_size(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        main(["s9"])
    assert "unknown scenario(s) s9" in capsys.readouterr().err
    assert main(["toy", "--size", "huge", "--work", str(tmp_path)]) == 2
    assert "has no size 'huge'" in capsys.readouterr().err


def test_missing_scripts_and_count_agreement() -> None:
    assert "benchmarks/no_such_script.py is not there yet" in script_missing("benchmarks.no_such_script")
    agree = counts_within({"n_nodes": 0.0, "n_spikes": 0.05})
    assert agree({"n_nodes": 10, "n_spikes": 100}, {"n_nodes": 10, "n_spikes": 104}) is None
    assert "n_spikes" in agree({"n_nodes": 10, "n_spikes": 100}, {"n_nodes": 10, "n_spikes": 110})
    assert "n_nodes" in agree({"n_nodes": 10, "n_spikes": 1}, {"n_nodes": 11, "n_spikes": 1})
    assert harness.same_checks({"a": 1, "b": 0.1 + 0.2}, {"a": 1, "b": 0.3}) is None
    assert harness.same_checks({"a": 1}, {"a": 2}) == "a: 1 vs 2"


def test_unknown_pair_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="has no pair nosuch; pairs: sort, missing, failing"):
        harness.run_scenario(scenarios.get("toy"), size="tiny", repeats=1, work_root=tmp_path,
                             only=["nosuch"], log=lambda _: None)


def test_peers_status_names_what_is_missing(tmp_path: Path) -> None:
    from benchmarks import peers

    assert "does not exist" in peers.status(tmp_path / "no-venv")
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "venv" / "bin" / "python").touch()
    assert "not completely installed" in peers.status(tmp_path / "venv")
    (tmp_path / "venv" / peers.STAMP_NAME).write_text('{"requirements": ["bmtk"]}')
    assert "other requirements" in peers.status(tmp_path / "venv")


def test_side_clean_paths_are_removed_before_a_run(tmp_path: Path) -> None:
    (tmp_path / "old_output").mkdir()
    (tmp_path / "old_output" / "spikes.h5").write_text("stale")
    (tmp_path / "stale.txt").write_text("stale")
    side = harness.Side("list.sort", "benchmarks.scenarios.toy:sort_listsort", clean=("old_output", "stale.txt"))
    result = harness.run_side(side, {"n": 10, "seed": 1, "disagree": False}, tmp_path)
    assert result.ok and result.check["n"] == 10
    assert not (tmp_path / "old_output").exists() and not (tmp_path / "stale.txt").exists()


def test_s5_tiny_brunel_gives_the_same_spikes_in_cantata_and_pynest(tmp_path: Path) -> None:
    pytest.importorskip("nest")
    record = harness.run_scenario(scenarios.get("s5"), size="tiny", repeats=1, work_root=tmp_path,
                                  log=lambda _: None)
    same, native = record["pairs"]
    assert same["status"] == "ok", same.get("detail")
    assert same["cantata"]["check"] == same["peer"]["check"]  # identical spike counts, not just close
    assert same["cantata"]["check"]["n_edges"] == 500 * 125 + 500 * 20 and same["cantata"]["check"]["n_spikes"] > 0
    assert set(same["ratios"]) >= {"load", "instantiate", "simulate", "write", "total"}
    assert native["status"] == "ok", native.get("detail")
    assert native["peer"]["check"]["n_recurrent_edges"] == 500 * 125


def _peers_missing() -> str | None:
    from benchmarks.peers import status

    return status()


def test_phase_clock_and_cpu_columns() -> None:
    from benchmarks.cpu_scripts import adapt_with_cpu
    from benchmarks.phase_clock import PhaseClock

    clock = PhaseClock(0.0)
    clock.last = (0.0, 0.0)
    clock.mark("build", (1.0, 0.5))
    clock.skip((3.0, 0.6))                      # 2 s left out of phases and total
    clock.mark("run", (4.5, 1.6))
    record = clock.record()
    assert record["seconds"] == {"build": 1.0, "run": 1.5} and record["total_s"] == 2.5
    assert record["cpu_seconds"] == {"build": 0.5, "run": 1.0, "total": 1.5}
    result = adapt_with_cpu(["n"])({**record, "n": 3, "extra": 1})
    assert result["phases"] == {"build": 1.0, "run": 1.5, "total": 2.5}
    assert result["cpu"] == {"build": 0.5, "run": 1.0, "total": 1.5}
    assert result["check"] == {"n": 3} and result["info"] == {"extra": 1}


@pytest.mark.slow
def test_s6_tiny_filternet_rates_agree_with_bmtk_sample_by_sample(tmp_path: Path) -> None:
    if (reason := _peers_missing()) is not None:
        pytest.skip(f"BMTK runs need the peers' environment: {reason}")
    import h5py

    from benchmarks.filter_rates import compare_rates, rates_check

    record = harness.run_scenario(scenarios.get("s6"), size="tiny", repeats=1, work_root=tmp_path,
                                  log=lambda _: None)
    (pair,) = record["pairs"]
    assert pair["status"] == "ok", pair.get("detail")
    ours, theirs = pair["cantata"]["check"], pair["peer"]["check"]
    assert ours["n_units"] == theirs["n_units"] == 20 and ours["n_times"] == theirs["n_times"] > 100
    assert set(pair["ratios"]) >= {"build", "rates", "total", "peak_rss_mb"} and "total" in pair["cpu_ratios"]
    assert set(pair["targets"]) == {"total"}
    # the agreement rule sees a change of one sample by 1e-6 relative
    changed = tmp_path / "changed.h5"
    changed.write_bytes(Path(ours["rates_h5"]).read_bytes())
    with h5py.File(changed, "r+") as h5:
        rates = h5["firing_rates/lgn/firing_rates_Hz"]
        rates[50, 3] = rates[50, 3] * (1 + 1e-6) + 1e-6
    other = {**rates_check(changed), "rates_sum": ours["rates_sum"], "rates_weighted": ours["rates_weighted"]}
    assert "1 of" in compare_rates(ours, other) and "node 3" in compare_rates(ours, other)


def test_s7_tiny_netpyne_and_cantata_specs_give_identical_spikes(tmp_path: Path) -> None:
    if (reason := _peers_missing()) is not None:
        pytest.skip(f"NetPyNE runs need the peers' environment: {reason}")
    record = harness.run_scenario(scenarios.get("s7"), size="tiny", repeats=1, work_root=tmp_path,
                                  log=lambda _: None)
    (pair,) = record["pairs"]
    assert pair["status"] == "ok", pair.get("detail")
    assert pair["cantata"]["check"] == pair["peer"]["check"]
    assert pair["cantata"]["check"]["n_spikes_E"] > 0 and pair["cantata"]["check"]["n_spikes_I"] > 0
    assert set(pair["targets"]) == {"create", "total"}


def test_s8_tiny_density_rates_agree_with_nest_monte_carlo(tmp_path: Path) -> None:
    pytest.importorskip("nest")
    record = harness.run_scenario(scenarios.get("s8"), size="tiny", repeats=1, work_root=tmp_path,
                                  log=lambda _: None)
    (pair,) = record["pairs"]
    assert pair["status"] == "ok", pair.get("detail")
    for name in ("rate_E", "rate_I"):
        assert pair["cantata"]["check"][name] > 1.0
    assert pair["peer"]["info"]["n_neurons"] == 2800 and not pair["targets"]
