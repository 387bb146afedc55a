"""Writing a training run's files: JSON/YAML, normalization statistics, the curves plot
(the folder layout and file names: ``run_folder``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import polars as pl
import yaml
from stable_baselines3.common.vec_env import VecNormalize

from execution_assets.plots import figure_png
from execution_assets.sim.observation import OBS_FIELDS


def write_yaml(path: Path, data: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, indent=2, default=_jsonable))


def _jsonable(value: Any) -> Any:
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def normalization_stats(normalizer: VecNormalize) -> dict[str, Any]:
    """Observation mean/std per field and the reward scale, as saved with the model."""
    out: dict[str, Any] = {"norm_obs": normalizer.norm_obs, "norm_reward": normalizer.norm_reward}
    if normalizer.norm_obs:
        out["observation"] = {
            name: {"mean": float(m), "std": float(np.sqrt(v + normalizer.epsilon))}
            for name, m, v in zip(OBS_FIELDS, normalizer.obs_rms.mean, normalizer.obs_rms.var)
        }
    if normalizer.norm_reward:
        out["return_std"] = float(np.sqrt(normalizer.ret_rms.var + normalizer.epsilon))
    return out


def curves_png(curves: pl.DataFrame, title: str, selected_timestep: int | None) -> bytes:
    """Training objective and validation objective (agent vs TWAP and oracle) over timesteps."""
    fig, (ax_train, ax_val) = plt.subplots(2, 1, figsize=(8, 5.5), sharex=True)
    t = curves["timesteps"].to_numpy()
    ax_train.plot(t, curves["train_objective_bps"].to_numpy(), marker=".", lw=1)
    ax_train.set_ylabel("training episodes\nIS + risk (bps)")
    ax_train.set_title(title)
    for column, label, style in (
        ("val_agent_bps", "agent", dict(color="tab:blue", marker=".")),
        ("val_twap_bps", "TWAP", dict(color="tab:gray", ls="--")),
        ("val_oracle_bps", "oracle", dict(color="tab:green", ls=":")),
    ):
        ax_val.plot(t, curves[column].to_numpy(), label=label, lw=1, **style)
    ax_val.set_ylabel("validation objective\nmean-variance (bps)")
    ax_val.set_xlabel("timesteps")
    stages = curves["stage"].to_list()
    for i in range(1, len(stages)):
        if stages[i] != stages[i - 1]:
            for ax in (ax_train, ax_val):
                ax.axvline(t[i - 1], color="tab:orange", lw=0.8, alpha=0.7)
            ax_val.annotate(stages[i], (t[i - 1], ax_val.get_ylim()[1]), fontsize=7, va="top")
    if selected_timestep is not None:
        ax_val.axvline(selected_timestep, color="tab:red", lw=0.8, ls="-.", label="selected")
    ax_val.legend(fontsize=8)
    return figure_png(fig)
