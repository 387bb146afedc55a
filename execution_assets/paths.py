"""Where the project keeps its data: one env var, ``EXECUTION_DATA_DIR``, moves all of it."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA_DIR = PROJECT_ROOT.parent / "shared" / "data"


def data_dir() -> Path:
    return Path(os.environ.get("EXECUTION_DATA_DIR", PROJECT_ROOT / "data")).resolve()


def warehouse_path() -> Path:
    return data_dir() / "warehouse.duckdb"


def raw_dir() -> Path:
    return data_dir() / "raw"


def artifacts_dir() -> Path:
    return data_dir() / "artifacts"
