"""The ``cantata`` command line.

Subcommands are registered in ``COMMANDS``; each one is a module-level function taking the parsed
arguments and returning an exit code. Errors derived from :class:`CantataError` are printed as one
line without a traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from cantata.errors import CantataError

Configure = Callable[[argparse.ArgumentParser], None]
COMMANDS: dict[str, tuple[Configure, str]] = {}


def command(name: str, help: str) -> Callable[[Configure], Configure]:
    """Register a subcommand: decorate a function that adds its arguments to a parser.

    The decorated function must call ``parser.set_defaults(run=<callable(args) -> int>)``.
    """

    def wrap(configure: Configure) -> Configure:
        COMMANDS[name] = (configure, help)
        return configure

    return wrap


def _load_commands() -> None:
    # Importing the command modules registers them; kept lazy so `import cantata` stays cheap.
    from cantata import commands  # noqa: F401


def build_parser() -> argparse.ArgumentParser:
    _load_commands()
    parser = argparse.ArgumentParser(prog="cantata", description="Brain network models on SONATA.")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (configure, help_text) in sorted(COMMANDS.items()):
        configure(sub.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except CantataError as exc:
        if args.debug:
            raise
        print(f"cantata {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        if args.debug:
            raise
        print(f"cantata {args.command}: error: {exc}", file=sys.stderr)
        return 1
