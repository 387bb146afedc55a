-- Robustness of every strategy on markets other than the one it planned for (see
-- execution_assets/evaluation/robustness.py): volatility stress beyond the training range,
-- impact mis-calibrated by +-50%, and replayed recorded days (in- or out-of-sample w.r.t. the
-- calibration window). Columns as evaluation.strategy_summary, per (scenario_id, strategy);
-- paired within a variant, p-values Holm-corrected across the rows of a strategy.
CREATE TABLE IF NOT EXISTS evaluation.robustness (
    scenario_id VARCHAR NOT NULL,              -- base_scenario_id|test|variant
    test VARCHAR NOT NULL,                     -- nominal | vol_stress | impact_miscalibration | replay
    variant VARCHAR NOT NULL,                  -- e.g. sigma x2.5, impact x0.5, 2024-01-08 (out-of-sample)
    base_scenario_id VARCHAR NOT NULL,         -- the test scenario the strategies planned for
    strategy VARCHAR NOT NULL,
    n_episodes INTEGER NOT NULL,
    mean_is_bps DOUBLE NOT NULL,
    std_is_bps DOUBLE NOT NULL,
    p95_is_bps DOUBLE NOT NULL,
    cvar95_is_bps DOUBLE NOT NULL,             -- mean of the worst 5% of episodes
    mean_arrival_slippage_bps DOUBLE NOT NULL,
    mean_vwap_slippage_bps DOUBLE NOT NULL,
    mean_filled_frac DOUBLE NOT NULL,
    mean_child_orders DOUBLE NOT NULL,
    mean_objective_bps DOUBLE NOT NULL,        -- mean of IS + risk penalty: what the strategies optimize
    improvement_vs_twap_bps DOUBLE NOT NULL,
    improvement_se_bps DOUBLE NOT NULL,
    ci95_low_bps DOUBLE NOT NULL,
    ci95_high_bps DOUBLE NOT NULL,
    improvement_vs_twap_pct DOUBLE,            -- NULL when TWAP's mean IS is exactly 0
    ci95_low DOUBLE,                           -- of improvement_vs_twap_pct
    ci95_high DOUBLE,
    p_value_raw DOUBLE NOT NULL,
    p_value DOUBLE NOT NULL,
    sharpe_vs_twap DOUBLE,                     -- mean / std of the per-episode saving (NULL if constant)
    oracle_efficiency DOUBLE,
    oracle_efficiency_objective DOUBLE,
    observable_efficiency DOUBLE,
    observable_efficiency_objective DOUBLE,
    improvement_objective_bps DOUBLE NOT NULL,
    improvement_objective_se_bps DOUBLE NOT NULL,
    improvement_objective_pct DOUBLE
);
