"""The linear book-signal policy and its random-search training (agents.linear_tilt)."""

from __future__ import annotations

import numpy as np
import pytest

from execution_assets.agents.linear_tilt import BOOK_FIELDS, LinearTilt, TiltSearch, train_linear_tilt
from execution_assets.agents.scenarios import ACCEPTANCE
from execution_assets.strategies import TWAP
from execution_assets.strategies.runner import run_strategy

SIGNAL = ACCEPTANCE["signal"][0]  # OU imbalance signal: trading ahead of an adverse book pays
RISK_NEUTRAL = ACCEPTANCE["risk_neutral"][0]  # no signal: nothing beats TWAP


def test_zero_weights_trade_exactly_twap():
    twap = run_strategy(TWAP(), SIGNAL, 64, 3).is_bps
    tilt = run_strategy(LinearTilt(np.zeros(len(BOOK_FIELDS))), SIGNAL, 64, 3).is_bps
    np.testing.assert_allclose(tilt, twap, rtol=0, atol=1e-4)  # the observation is float32


def test_leaning_with_the_signal_beats_twap_and_against_it_loses():
    twap = run_strategy(TWAP(), SIGNAL, 2000, 11).is_bps
    with_signal = run_strategy(LinearTilt([0.5, 0, 0]), SIGNAL, 2000, 11).is_bps
    against = run_strategy(LinearTilt([-0.5, 0, 0]), SIGNAL, 2000, 11).is_bps
    assert (twap - with_signal).mean() > 0 > (twap - against).mean()


def test_random_search_learns_to_lean_on_the_signal():
    search = TiltSearch(iterations=6, directions=4, top=2, problems_per_iteration=1, episodes=256, eval_every=3, val_episodes=1000)
    run = train_linear_tilt([(SIGNAL, None)], [(SIGNAL, None)], search, log=lambda line: None)
    assert run.selected_iteration > 0
    assert run.policy.weights[0] > 0.1  # the imbalance, which the parametric market's signal is
    selected = [row for row in run.curves if row["selected"]][-1]
    assert selected["val_worst_low_pct"] > 0 and selected["val_saved_pct"] - 2 * selected["val_se_pct"] > 0


def test_without_a_signal_it_keeps_twap():
    search = TiltSearch(iterations=4, directions=4, top=2, problems_per_iteration=1, episodes=256, eval_every=2, val_episodes=1000)
    run = train_linear_tilt([(RISK_NEUTRAL, None)], [(RISK_NEUTRAL, None)], search, log=lambda line: None)
    assert run.selected_iteration == 0 and not run.policy.weights.any()


def test_saved_policy_loads_with_its_fields(tmp_path):
    policy = LinearTilt([0.1, -0.2, 0.3])
    policy.save(tmp_path)
    loaded = LinearTilt.load(tmp_path)
    assert loaded.fields == BOOK_FIELDS and loaded.weights.tolist() == [0.1, -0.2, 0.3]


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="2 weights for 3 fields"):
        LinearTilt([0.1, 0.2])
    with pytest.raises(ValueError, match="training and validation problems"):
        train_linear_tilt([], [(SIGNAL, None)])
