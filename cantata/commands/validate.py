"""`cantata validate CONFIG`: list every problem of a config and its files."""

from __future__ import annotations

import argparse
import json

from cantata.cli import command


def _run(args: argparse.Namespace) -> int:
    from cantata.sonata.validate import validate

    result = validate(args.config)
    shown = result.errors if args.errors_only else result.problems
    if args.json:
        data = result.to_dict()
        data["problems"] = [p.to_dict() for p in shown]
        print(json.dumps(data, indent=2))
        return 0 if result.ok else 1
    for problem in shown:
        print(problem)
    if result.ok:
        print(f"OK: {result.config_name}: {result.summary()}")
        return 0
    n = len(result.errors)
    print(f"FAILED: {result.config_name}: {n} error{'' if n == 1 else 's'}, {result.summary()}")
    return 1


@command("validate", "check a SONATA config and every file it names; list all problems")
def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config", help="simulation or circuit config (json)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--errors-only", action="store_true", help="do not list warnings")
    parser.set_defaults(run=_run)
