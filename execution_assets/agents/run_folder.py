"""Where a training run lives and what its files are called: ``models/<algo>/<run_id>/``.

No torch here: the evaluation and the reports find and read runs without loading a model.

    model.zip           the selected checkpoint (best validation capture in the final stage)
    vecnormalize.pkl    its VecNormalize (observation and reward statistics), SB3 format
    normalization.json  the same observation statistics, readable, by observation field
    config.yaml         the resolved configuration, seeds, device and library versions
    curves.csv          one row per validation: training and validation objectives
    curves.png          the same, plotted, with stage changes and the selected checkpoint
    summary.json        selected checkpoint, validation and test comparisons, timings

A router of horizon specialists (``training.specialists``) has no model of its own: each
specialist is a complete run folder inside it, listed by ``specialists.json`` (scope ->
subfolder), next to the joint config, curves and summary.
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
SPECIALISTS_JSON = "specialists.json"


def models_dir(algo: str) -> Path:
    return artifacts_dir() / "models" / algo


def read_config(run_dir: str | Path) -> dict[str, Any]:
    return yaml.safe_load((Path(run_dir) / CONFIG_FILE).read_text()) or {}


def read_summary(run_dir: str | Path) -> dict[str, Any]:
    return json.loads((Path(run_dir) / SUMMARY_JSON).read_text())


def is_finished_run(run_dir: Path) -> bool:
    """A finished run: its config (written last) and a model, or the specialists it routes to."""
    return (run_dir / CONFIG_FILE).is_file() and ((run_dir / MODEL_FILE).is_file() or (run_dir / SPECIALISTS_JSON).is_file())


def read_specialists(run_dir: str | Path) -> dict[str, str]:
    """Scope -> subfolder of a router's specialists; empty for a single policy."""
    path = Path(run_dir) / SPECIALISTS_JSON
    return json.loads(path.read_text()) if path.is_file() else {}
