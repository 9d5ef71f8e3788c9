import subprocess
import sys

import cantata
from cantata.errors import ConfigError


def test_import_has_no_engine_side_effects():
    code = "import sys, cantata; bad = {'nest', 'neuron', 'mpi4py'} & set(sys.modules); print(sorted(bad))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_error_message_names_file_key_expected_found():
    err = ConfigError("bad value", file="c.json", key="run.dt", expected="a positive number", found=-1)
    assert str(err) == "c.json: run.dt: bad value (expected a positive number, found -1)"
    assert isinstance(err, cantata.CantataError)
