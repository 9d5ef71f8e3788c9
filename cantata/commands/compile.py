"""`cantata compile DIR`: compile a folder of NEURON ``.mod`` files (cached by content)."""

from __future__ import annotations

import argparse
from pathlib import Path

from cantata.cli import command
from cantata.errors import ConfigError


def _compile(args: argparse.Namespace) -> int:
    from cantata import mechanisms
    from cantata.sim.engines.neuron.mechanisms import source_folder

    if args.allen:
        source = mechanisms.allen_mechanisms_dir()
    elif args.directory is None:
        raise ConfigError("nothing to compile", key="DIRECTORY",
                          expected="a folder of .mod files, or --allen", found=None)
    else:
        given = Path(args.directory)
        source = source_folder(given) or given  # also BMTK's layout: <dir>/modfiles/*.mod
    build = mechanisms.compile_mechanisms(source, args.build_dir)
    library = mechanisms.compiled_library(build)
    print(f"compiled {len(mechanisms.mod_files(source))} mechanisms from {source}")
    print(f"  {library or build}")
    return 0


@command("compile", "compile NEURON .mod files with nrnivmodl (rebuilt only when they change)")
def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("directory", nargs="?", default=None,
                        help="folder of .mod files (or a BMTK mechanisms folder with modfiles/)")
    parser.add_argument("--allen", action="store_true",
                        help="compile Cantata's own Allen Cell Types channel library instead")
    parser.add_argument("--build-dir", default=None,
                        help="cache folder for the build (default: $CANTATA_MECHANISMS_CACHE or "
                        "~/.cache/cantata/mechanisms)")
    parser.set_defaults(run=_compile)
