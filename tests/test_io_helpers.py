import os
import stat

import pytest

from cantata.errors import FormatError
from cantata.sonata._io import atomic_path


def test_atomic_path_moves_into_place_with_default_permissions(tmp_path):
    target = tmp_path / "sub" / "f.txt"
    with atomic_path(target) as tmp:
        tmp.write_text("x")
        assert not target.exists()
    assert target.read_text() == "x"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert [p.name for p in target.parent.iterdir()] == ["f.txt"]


def test_atomic_path_failure_leaves_old_file_and_no_partial(tmp_path):
    target = tmp_path / "f.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target, overwrite=True) as tmp:
            tmp.write_text("new")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_atomic_path_refuses_overwrite(tmp_path):
    target = tmp_path / "f.txt"
    target.write_text("old")
    with pytest.raises(FormatError, match="overwrite=True"):
        with atomic_path(target):
            pass
