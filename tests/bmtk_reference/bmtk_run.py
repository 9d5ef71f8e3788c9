"""Shared part of the BMTK run scripts (run by the peers' interpreter, ``.venv-peers``).

BMTK writes its outputs to the config's ``output.output_dir`` and, when that folder exists
and ``overwrite_output_dir`` is set (PointNet always sets it), deletes the folder first. A
split config (``network``/``simulation`` files) can also bring its own ``output_dir`` that wins
over one set in the top file. So the scripts here never let BMTK near a folder they did not ask
for: the config is copied with ``output.output_dir`` replaced, the requested folder must not
exist yet and must sit next to the config (so that the copy, which stays beside the original
for its ``${configdir}``, is written into the caller's own folder), and the run stops before
``build_env()`` unless BMTK resolved exactly that folder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def prepare_config(config_path: str, output_dir: str, tag: str) -> Path:
    """Check the folders and write the copy of ``config_path`` that writes into ``output_dir``
    (before BMTK is imported, so refusals are quick). Returns the copy's path."""
    out = Path(output_dir).resolve()
    if out.exists():
        raise SystemExit(f"refusing to run BMTK: output folder {out} already exists (BMTK would delete it)")
    source = Path(config_path).resolve()
    if source.parent != out.parent:
        raise SystemExit(f"refusing to run BMTK: the output folder {out} must be next to the config {source}")
    config = json.loads(source.read_text())
    if "network" in config or "simulation" in config:
        raise SystemExit(f"refusing to run BMTK on the split config {source}: its parts may set their own "
                         "output_dir; write one flat config for the reference run")
    config.setdefault("output", {})["output_dir"] = str(out)
    copy = source.with_name(f"{source.stem}.{tag}.json")
    copy.write_text(json.dumps(config, indent=2))
    return copy


def check_resolved(conf: Any, output_dir: str) -> None:
    """Stop unless BMTK's loaded config writes into ``output_dir`` (call before ``build_env``)."""
    out = Path(output_dir).resolve()
    if Path(conf.output_dir).resolve() != out:
        raise SystemExit(f"refusing to run BMTK: it resolved output_dir to {conf.output_dir}, not {out}")
