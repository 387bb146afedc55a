"""Run the Gymnasium and SB3 environment checkers on both execution envs, for the reports."""

from __future__ import annotations

import warnings

import gymnasium as gym


def run_env_checks() -> dict[str, str]:
    """'passed' or the checker's error for each (checker, env) pair; warnings are listed too."""
    import execution_assets.env  # noqa: F401  (registers the envs)
    from gymnasium.utils.env_checker import check_env as gym_check
    from stable_baselines3.common.env_checker import check_env as sb3_check

    results = {}
    for env_id in ("ExecutionEnv-v0", "ExecutionEnvDiscrete-v0"):
        for checker, check in (("gymnasium", gym_check), ("stable-baselines3", sb3_check)):
            env = gym.make(env_id).unwrapped
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    check(env)
                    outcome = "passed"
                except Exception as exc:  # a checker failure is a finding to report, not a crash
                    outcome = f"FAILED: {type(exc).__name__}: {exc}"
            if caught and outcome == "passed":
                outcome += f" ({len(caught)} warnings: {caught[0].message})"
            results[f"{checker} check_env, {env_id}"] = outcome
            env.close()
    return results
