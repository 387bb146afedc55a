"""Plan-relative against TWAP-relative actions: PPO trained on the grid both ways, same budget.

Run ``python -m benchmarks.action_maps [--profile quick]``. Trains PPO on the scenario grid
(parametric market, so no warehouse is needed) with its default action map ``plan_ratio`` (action
0 = the scenario's classical plan) and with ``twap_log_ratio`` (action 0 = TWAP), and reports
each checkpoint's validation gain over the plan (32 problems, paired) and the selected
checkpoint on the grid's test problems, as improvement over TWAP on E[IS + lambda P].
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.results import write_section
from execution_assets.agents.training import train_agent

ACTIONS = ("plan_ratio", "twap_log_ratio")


def _test_improvement(comparisons, attr: str) -> float:
    """Mean over the test problems of (TWAP - x) / |TWAP| on E[IS + lambda P], in %."""
    return 100 * float(np.mean([(c.twap_penalized - getattr(c, attr)) / abs(c.twap_penalized) for c in comparisons]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="quick")
    args = parser.parse_args()
    rows, curves = [], []
    with tempfile.TemporaryDirectory(prefix="action_maps_") as tmp:
        for action in ACTIONS:
            result = train_agent(
                "ppo", "grid", args.profile,
                overrides={"env": {"action": action, "market": "parametric"}},
                run_dir=Path(tmp) / action, progress=False, log=lambda _: None,
            )  # fmt: skip
            c = result.curves
            best = c.row(int(np.argmax(c["val_plan_gain_low_pct"].to_numpy())), named=True)
            rows.append(
                f"| `{action}` | {result.timesteps:,} | {result.selected_timestep:,} | "
                f"{c['val_plan_gain_pct'][0]:+.2f} | {best['val_plan_gain_pct']:+.2f} ({best['val_plan_gain_low_pct']:+.2f}) at {best['timesteps']:,} | "
                f"{_test_improvement(result.test, 'agent_penalized'):+.2f} | {_test_improvement(result.test, 'plan_penalized'):+.2f} | {result.wall_s:.0f} |"
            )
            curves.append(
                f"`{action}`: " + ", ".join(f"{t // 1000}k {g:+.1f}" for t, g in zip(c["timesteps"], c["val_plan_gain_pct"]))
            )
    body = f"""
PPO on the scenario grid, profile `{args.profile}`, parametric market, seed 0, each action map
with the same budget. Validation: 32 problems x 2,000 paired episodes; gain over the plan on
E[IS + lambda P] as % of TWAP's cost (lower bound: minus two standard errors); the checkpoint
kept is the one with the best lower bound, the untrained policy included. Test: the grid's 8
test problems, improvement over TWAP on E[IS + lambda P] (mean over problems, %).

| action map | steps | selected | untrained: gain over plan (%) | best checkpoint: gain (lower bound) | test: agent vs TWAP (%) | test: plan vs TWAP (%) | wall (s) |
|---|---:|---:|---:|---:|---:|---:|---:|
{chr(10).join(rows)}

Validation gain over the plan by checkpoint (%):
{chr(10).join(f"- {line}" for line in curves)}
"""
    write_section(f"action_maps_{args.profile}", body)
    print(body)


if __name__ == "__main__":
    main()
