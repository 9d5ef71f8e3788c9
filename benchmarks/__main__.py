"""``python -m benchmarks [SCENARIO ...]``: run scenarios and write their results.

Writes ``benchmarks/results/<scenario>.json`` and ``.md`` for each scenario run and prints the
markdown tables. Exit status 1 when a pair failed or its sides disagreed; missing sides and
missed targets are reported, not errors.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks import harness, scenarios


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                        help=f"scenarios to run (default: {' '.join(scenarios.DEFAULT)}; also: toy)")
    parser.add_argument("--size", help="parameter set of the scenario (default: its default, usually full)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each side, interleaved (default 3)")
    parser.add_argument("--pairs", nargs="+", default=(), metavar="PAIR", help="run only these pairs")
    parser.add_argument("--no-install", action="store_true",
                        help="do not create .venv-peers; report peer sides as missing instead")
    parser.add_argument("--profile", action="store_true",
                        help="afterwards, run each Cantata side once more under cProfile")
    parser.add_argument("--results", type=Path, default=harness.DEFAULT_RESULTS, help="results folder")
    parser.add_argument("--work", type=Path, default=harness.DEFAULT_WORK, help="inputs and scratch folder")
    parser.add_argument("--list", action="store_true", help="list the scenarios and their sizes")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    unknown = [name for name in args.scenarios if name not in scenarios.MODULES]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(scenarios.MODULES)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    names = args.scenarios or list(scenarios.DEFAULT)
    if args.list:
        for name in scenarios.MODULES:
            scenario = scenarios.get(name)
            print(f"{name:5} {scenario.title}: sizes {', '.join(scenario.sizes)}")
        return 0
    bad = False
    tables = []
    for name in names:
        scenario = scenarios.get(name)
        print(f"== {scenario.title}", flush=True)
        try:
            record = harness.run_scenario(
                scenario, size=args.size, repeats=args.repeats, work_root=args.work,
                install_peers=not args.no_install, only=args.pairs,
                log=lambda text: print(text, flush=True))
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        if args.profile:
            record["profiles"] = harness.profile_scenario(scenario, record, work_root=args.work)
        json_path, md_path = harness.write_results(record, args.results)
        table = md_path.read_text()
        tables.append(table)
        print(table)
        print(f"wrote {json_path} and {md_path}", flush=True)
        bad |= any(p["status"] in ("failed", "disagree") for p in record["pairs"])
        bad |= record["status"] == "failed"
    if len(names) > 1:
        summary = args.results / "summary.md"
        summary.write_text("\n".join(tables))
        print(f"wrote {summary}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
