"""Where a training run lives and what its files are called: ``models/<algo>/<run_id>/``.

No torch here: the evaluation and the reports find and read runs without loading a model.

    model.zip           the selected checkpoint (best validation capture in the final stage)
    vecnormalize.pkl    its VecNormalize (observation and reward statistics), SB3 format
    normalization.json  the same observation statistics, readable, by observation field
    config.yaml         the resolved configuration, seeds, device and library versions
    curves.csv          one row per validation: training and validation objectives
    curves.png          the same, plotted, with stage changes and the selected checkpoint
    summary.json        selected checkpoint, validation and test comparisons, timings
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from execution_assets.paths import artifacts_dir

MODEL_FILE = "model.zip"
NORMALIZER_FILE = "vecnormalize.pkl"
NORMALIZATION_JSON = "normalization.json"
CONFIG_FILE = "config.yaml"
CURVES_CSV = "curves.csv"
CURVES_PNG = "curves.png"
SUMMARY_JSON = "summary.json"


def models_dir(algo: str) -> Path:
    return artifacts_dir() / "models" / algo


def read_config(run_dir: str | Path) -> dict[str, Any]:
    return yaml.safe_load((Path(run_dir) / CONFIG_FILE).read_text()) or {}


def read_summary(run_dir: str | Path) -> dict[str, Any]:
    return json.loads((Path(run_dir) / SUMMARY_JSON).read_text())
