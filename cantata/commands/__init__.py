"""CLI subcommands. Each module registers itself with :func:`cantata.cli.command` on import."""

import importlib
import pkgutil

for _info in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_info.name}")
