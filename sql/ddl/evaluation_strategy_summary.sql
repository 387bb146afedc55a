-- Per scenario and strategy: cost statistics and the paired comparison with TWAP on the same
-- episodes. Improvement is IS_twap - IS_s (positive = cheaper than TWAP); *_pct is relative to
-- |mean IS of TWAP|; CIs are percentile bootstrap 95%; p_value is the paired t-test of zero
-- mean saving, Holm-corrected across the scenarios of the strategy (p_value_raw uncorrected).
-- oracle_efficiency = (IS_twap - IS_s) / (IS_twap - IS_oracle), NULL where the oracle does not
-- beat TWAP by 2 standard errors; *_objective uses mean(IS + risk penalty), the risk-adjusted cost
-- the strategies and the oracle minimize. observable_efficiency* measure the same against the
-- observable oracle (the optimum given only what an agent observes). Key (scenario_id, strategy).
CREATE TABLE IF NOT EXISTS evaluation.strategy_summary (
    scenario_id VARCHAR NOT NULL,
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
    observable_efficiency DOUBLE,                 -- (IS_twap - IS_s) / (IS_twap - IS_observable_oracle)
    observable_efficiency_objective DOUBLE,       -- the same on mean(IS + risk penalty)
    improvement_objective_bps DOUBLE NOT NULL,    -- TWAP's mean(IS + risk penalty) minus the strategy's
    improvement_objective_se_bps DOUBLE NOT NULL,
    improvement_objective_pct DOUBLE              -- relative to |TWAP's mean(IS + risk penalty)|
);
