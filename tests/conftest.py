"""Shared fixtures: every test that touches the warehouse gets its own data dir."""

from __future__ import annotations

import pytest

from execution_assets.paths import SHARED_DATA_DIR

LOBSTER_DIR = SHARED_DATA_DIR / "lobster"
DAILY_BARS = SHARED_DATA_DIR / "daily" / "GOOG_daily_2004-2018.csv"


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """A private EXECUTION_DATA_DIR for the test."""
    path = tmp_path / "data"
    monkeypatch.setenv("EXECUTION_DATA_DIR", str(path))
    return path
