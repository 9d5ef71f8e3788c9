"""Shared fixtures. Test data from other tools lives in ../shared/testdata and is used in place."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TESTDATA = (REPO.parent / "shared" / "testdata").resolve()


@pytest.fixture(scope="session")
def testdata() -> Path:
    """Folder of real SONATA files written by other tools (read-only)."""
    if not TESTDATA.is_dir():
        pytest.fail(f"shared test data not found at {TESTDATA}")
    return TESTDATA
