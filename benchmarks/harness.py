"""Run benchmark scenarios: each side in its own process, interleaved, repeated, compared.

A :class:`Scenario` is a list of :class:`Pair`\\ s; a pair runs a Cantata :class:`Side` and
(optionally) a peer side on the same input. For every pair the harness runs the sides
interleaved (Cantata, peer, Cantata, peer, ...) ``repeats`` times, each run a fresh child
process (so a side's peak memory is that child's ``ru_maxrss``), then reports the median wall
time of each phase, the time ratio Cantata/peer, and peak memory. A ratio is reported only when
both sides produced the same result (the sides' ``check`` dicts agree); a side whose code is not
there yet is reported as ``missing`` with the reason. Standard library only.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks import machine, peers
from benchmarks.runner import RunResult, run_child, run_side
from benchmarks.spec import MAIN_ENV, PEERS_ENV, REPO, Check, Pair, Scenario, Side

__all__ = ["Side", "Pair", "Scenario", "MAIN_ENV", "PEERS_ENV", "run_scenario", "run_pair",
           "write_results", "profile_scenario", "same_checks", "run_child", "run_side"]

DEFAULT_WORK = REPO / "benchmarks" / "work"
DEFAULT_RESULTS = REPO / "benchmarks" / "results"


# ---------------------------------------------------------------------------- comparisons
def same_checks(a: Check, b: Check, rel: float = 1e-9) -> str | None:
    """None when two check dicts agree (numbers to ``rel``), else the first difference."""
    for key in sorted(set(a) | set(b)):
        if key not in a or key not in b:
            return f"{key}: only one side reports it"
        x, y = a[key], b[key]
        if isinstance(x, (int, float)) and isinstance(y, (int, float)):
            if x != y and not math.isclose(x, y, rel_tol=rel):
                return f"{key}: {x!r} vs {y!r}"
        elif x != y:
            return f"{key}: {x!r} vs {y!r}"
    return None


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _side_summary(runs: list[RunResult]) -> dict[str, Any]:
    good = [r for r in runs if r.ok]
    phases: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    for run in good:
        for name, seconds in run.phases.items():
            phases.setdefault(name, []).append(seconds)
        for name, seconds in run.cpu.items():
            cpu.setdefault(name, []).append(seconds)
    return {
        "runs": len(runs),
        "phases": {name: {"median": _median(vals), "runs": vals} for name, vals in phases.items()},
        "cpu": {name: {"median": _median(vals), "runs": vals} for name, vals in cpu.items()},
        "peak_rss_mb": {"median": _median([r.peak_rss_mb for r in good]),
                        "max": max((r.peak_rss_mb for r in good), default=None),
                        "runs": [round(r.peak_rss_mb, 1) for r in good]},
        "process_wall_s": [round(r.wall, 3) for r in runs],
        "check": good[0].check if good else None,
        "info": good[0].info if good else None,
        "errors": [r.error for r in runs if not r.ok],
    }


def _agreement(pair: Pair, cantata: list[RunResult], peer: list[RunResult]) -> str | None:
    """None when every run of both sides gave the same check, else what differed."""
    agree = pair.agree or same_checks
    for label, runs in ((pair.cantata.label, cantata), (pair.peer.label if pair.peer else "", peer)):
        for run in runs[1:]:
            if (diff := same_checks(runs[0].check, run.check)) is not None:
                return f"{label} is not repeatable: {diff}"
    if cantata and peer:
        if not cantata[0].check or not peer[0].check:
            return "a side reported no check values"
        return agree(cantata[0].check, peer[0].check)
    return None


def summarize_pair(pair: Pair, cantata: list[RunResult], peer: list[RunResult]) -> dict[str, Any]:
    """Medians, ratios and the pair's status from its runs."""
    out: dict[str, Any] = {"name": pair.name, "description": pair.description,
                           "cantata_label": pair.cantata.label,
                           "peer_label": pair.peer.label if pair.peer else None,
                           "cantata": _side_summary(cantata),
                           "peer": _side_summary(peer) if pair.peer else None,
                           "ratios": {}, "cpu_ratios": {}, "best_ratios": {}, "targets": {}}
    failed = [r.error for r in [*cantata, *peer] if not r.ok]
    if failed:
        out["status"] = "failed"
        out["detail"] = failed[0]
        return out
    difference = _agreement(pair, cantata, peer)
    if difference is not None:
        out["status"] = "disagree"
        out["detail"] = difference
        return out
    out["status"] = "ok"
    if pair.peer is None:
        return out
    c_phases, p_phases = out["cantata"]["phases"], out["peer"]["phases"]
    for phase in _phase_order(pair, c_phases, p_phases):
        c = c_phases.get(phase, {}).get("median")
        p = p_phases.get(phase, {}).get("median")
        if c and p:
            out["ratios"][phase] = c / p
        c_best = min(c_phases.get(phase, {}).get("runs") or [0.0])
        p_best = min(p_phases.get(phase, {}).get("runs") or [0.0])
        if c_best and p_best:
            out["best_ratios"][phase] = c_best / p_best
        c_cpu = out["cantata"]["cpu"].get(phase, {}).get("median")
        p_cpu = out["peer"]["cpu"].get(phase, {}).get("median")
        if c_cpu and p_cpu:
            out["cpu_ratios"][phase] = c_cpu / p_cpu
    c_mem, p_mem = out["cantata"]["peak_rss_mb"]["median"], out["peer"]["peak_rss_mb"]["median"]
    if c_mem and p_mem:
        out["ratios"]["peak_rss_mb"] = c_mem / p_mem
    for phase, minimum in pair.min_throughput.items():
        ratio = out["ratios"].get(phase)
        throughput = None if not ratio else 1.0 / ratio
        out["targets"][phase] = {"min_throughput": minimum, "throughput": throughput,
                                 "met": throughput is not None and throughput >= minimum}
    return out


def _phase_order(pair: Pair, *tables: dict[str, Any]) -> list[str]:
    names = list(pair.phases)
    for table in tables:
        names += [n for n in table if n not in names]
    return names


# ----------------------------------------------------------------------------- scenarios
def prepare_input(scenario: Scenario, params: dict[str, Any], workdir: Path,
                  log: Callable[[str], None] = print) -> str | None:
    """Build the scenario's input once (skipped when a stamp says it is there); error or None."""
    if scenario.prepare is None:
        return None
    stamp = workdir / "prepared.json"
    wanted = {"prepare": scenario.prepare, "params": params}
    try:
        if json.loads(stamp.read_text()) == wanted:
            return None
    except (OSError, ValueError):
        pass
    log(f"  preparing input in {workdir} ...")
    result = run_child(scenario.prepare, params, workdir, timeout=scenario.timeout * 2)
    if not result.ok:
        return result.error
    stamp.write_text(json.dumps(wanted))
    log(f"  input ready ({result.wall:.1f} s)")
    return None


def run_scenario(scenario: Scenario, *, size: str | None = None, repeats: int = 3,
                 work_root: Path = DEFAULT_WORK, install_peers: bool = True,
                 only: Sequence[str] = (), log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run every pair of ``scenario`` and return the result record (see docs/performance.md)."""
    size = size or scenario.default_size
    if size not in scenario.sizes:
        raise ValueError(f"scenario {scenario.name} has no size {size!r}; sizes: {sorted(scenario.sizes)}")
    params = dict(scenario.sizes[size], size=size)
    workdir = work_root / scenario.name / size
    record: dict[str, Any] = {
        "scenario": scenario.name, "title": scenario.title, "description": scenario.description,
        "size": size, "params": params, "repeats": repeats,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": machine.describe(REPO),
        "command": f"python -m benchmarks {scenario.name} --size {size} --repeats {repeats}",
        "load_before": machine.load(), "pairs": [],
    }
    started = time.perf_counter()
    reason = scenario.available() if scenario.available else None
    pairs = [] if reason else scenario.pairs(params)
    if only and pairs:
        unknown = sorted(set(only) - {p.name for p in pairs})
        if unknown:
            raise ValueError(f"scenario {scenario.name} has no pair {', '.join(unknown)}; "
                             f"pairs: {', '.join(p.name for p in pairs)}")
        pairs = [p for p in pairs if p.name in only]
    if reason:
        record["status"] = "missing"
        record["detail"] = reason
    else:
        reason = prepare_input(scenario, params, workdir, log) if pairs else None
        if reason:
            record["status"] = "failed"
            record["detail"] = f"preparing the input failed: {reason}"
            pairs = []
    for pair in pairs:
        log(f"  {pair.name}: ...")
        record["pairs"].append(run_pair(pair, params, workdir, repeats, scenario.timeout,
                                        install_peers=install_peers, log=log))
        log(f"  {pair.name}: {record['pairs'][-1]['status']}")
    if "status" not in record:
        statuses = {p["status"] for p in record["pairs"]}
        record["status"] = "ok" if statuses <= {"ok"} else ",".join(sorted(statuses))
    if any(side.env != MAIN_ENV for pair in pairs for side in (pair.cantata, pair.peer) if side):
        record["peers_versions"] = peers.install_record().get("versions", {})
    record["load_after"] = machine.load()
    record["seconds"] = round(time.perf_counter() - started, 1)
    return record


def side_missing(side: Side, install_peers: bool, log: Callable[[str], None] = print) -> str | None:
    """Why ``side`` cannot run (None when it can); creates .venv-peers when needed and allowed."""
    reason = side.available() if side.available else None
    if reason is not None or side.env == MAIN_ENV or peers.status() is None:
        return reason
    if not install_peers:
        return f"peers' environment not ready: {peers.status()}"
    log(f"  creating {peers.PEERS_DIR} ({', '.join(peers.REQUIREMENTS)}) ...")
    try:
        peers.ensure()
    except RuntimeError as exc:
        return f"installing the peers' environment failed: {exc}"
    return None


def run_pair(pair: Pair, params: dict[str, Any], workdir: Path, repeats: int, timeout: float,
             *, install_peers: bool = True, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run one pair A B A B ... and summarize it (or report what is missing).

    When only the peer is missing, the Cantata side still runs (status ``peer missing``).
    """
    reason = side_missing(pair.cantata, install_peers, log)
    if reason is not None:
        return {"name": pair.name, "description": pair.description, "status": "missing",
                "detail": f"{pair.cantata.label}: {reason}", "cantata_label": pair.cantata.label,
                "peer_label": pair.peer.label if pair.peer else None}
    peer_reason = side_missing(pair.peer, install_peers, log) if pair.peer else None
    peer = None if peer_reason else pair.peer
    runs: dict[str, list[RunResult]] = {"cantata": [], "peer": []}
    for _ in range(repeats):
        for key, side in (("cantata", pair.cantata), ("peer", peer)):
            if side is None:
                continue
            os.sync()  # flush earlier runs' writes so their write-back does not land in this run
            runs[key].append(run_side(side, params, workdir, timeout=timeout))
            if not runs[key][-1].ok:  # a failing side fails the same way again: stop here
                return summarize_pair(pair, runs["cantata"], runs["peer"])
    if peer_reason is None:
        return summarize_pair(pair, runs["cantata"], runs["peer"])
    alone = Pair(pair.name, pair.cantata, None, pair.phases, pair.description)
    summary = summarize_pair(alone, runs["cantata"], [])
    if summary["status"] == "ok":
        summary["status"] = "peer missing"
        summary["detail"] = f"{pair.peer.label}: {peer_reason}"
    summary["peer_label"] = pair.peer.label
    return summary


def write_results(record: dict[str, Any], results_dir: Path = DEFAULT_RESULTS) -> tuple[Path, Path]:
    """Write ``<scenario>.json`` and ``<scenario>.md`` (suffixed with the size when not full)."""
    from benchmarks.report import markdown

    results_dir.mkdir(parents=True, exist_ok=True)
    stem = record["scenario"] if record["size"] == "full" else f"{record['scenario']}-{record['size']}"
    json_path, md_path = results_dir / f"{stem}.json", results_dir / f"{stem}.md"
    json_path.write_text(json.dumps(record, indent=1) + "\n")
    md_path.write_text(markdown(record))
    return json_path, md_path


def profile_scenario(scenario: Scenario, record: dict[str, Any], *,
                     work_root: Path = DEFAULT_WORK) -> dict[str, str]:
    """Run the Cantata side of every measured pair once more under cProfile (untimed).

    Returns pair name -> profile text file (top entries by cumulative and own time).
    """
    params = record["params"]
    workdir = work_root / scenario.name / record["size"]
    wanted = {p["name"] for p in record["pairs"] if p["status"] == "ok"}
    out: dict[str, str] = {}
    for pair in scenario.pairs(params):
        if pair.name not in wanted or pair.cantata.script is not None:
            continue
        path = workdir / f"profile-{pair.name}.txt"
        result = run_side(pair.cantata, params, workdir, timeout=scenario.timeout, profile=path)
        if result.ok:
            out[pair.name] = str(path)
    return out
