"""The README's five-minute tour runs as written (its python block, then each bash line)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from cantata.sonata.spikes import SpikeTrains

README = Path(__file__).resolve().parents[1] / "README.md"


def _tour_blocks() -> tuple[str, list[str]]:
    text = README.read_text()
    tour = text[text.index("<!-- tour:start -->"): text.index("<!-- tour:end -->")]
    python = re.findall(r"```python\n(.*?)```", tour, re.S)
    bash = re.findall(r"```bash\n(.*?)```", tour, re.S)
    assert len(python) == 1 and len(bash) == 1
    lines = [line.split("  #")[0].strip() for line in bash[0].splitlines()]
    return python[0], [line for line in lines if line]


@pytest.mark.nest
def test_readme_tour_runs(tmp_path):
    script, commands = _tour_blocks()
    (tmp_path / "build.py").write_text(script)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    for command in commands:
        done = subprocess.run(shlex.split(command), cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, f"{command}\n{done.stdout[-1500:]}\n{done.stderr[-1500:]}"
    spikes = SpikeTrains.read(tmp_path / "sim" / "output" / "spikes.h5")
    ids, _ = spikes.population("cortex")
    assert 200 < ids.size < 2000  # README: about 8 Hz (exc) and 3 Hz (inh) over 1 s for 100 cells
    assert (tmp_path / "raster.png").stat().st_size > 5000
    assert (tmp_path / "v.png").stat().st_size > 5000
