-- Replay evaluation per instrument, split, size and horizon (execution_assets/evaluation/replay.py):
-- both sides pooled, every strategy compared with TWAP on the same recorded episodes (paired
-- percentile-bootstrap 95% CIs), the hindsight bound's improvement beside it. Key
-- (instrument, split, size_pct_adv, horizon_s, strategy); rewritten per (instrument, split).
CREATE TABLE IF NOT EXISTS evaluation.replay_summary (
    instrument VARCHAR NOT NULL,
    split VARCHAR NOT NULL,                      -- train | validation | test (days split by date; real days test-only)
    size_pct_adv DOUBLE NOT NULL,                -- order size, % of the calibrated ADV
    horizon_s DOUBLE NOT NULL,                   -- seconds to complete the order
    strategy VARCHAR NOT NULL,                   -- a strategy of evaluation.replay_results, or hindsight (the outer bound)
    sides VARCHAR NOT NULL,                      -- sides pooled: buy+sell
    n_episodes INTEGER NOT NULL,                 -- episodes pooled over the sides (the same for every strategy)
    n_days INTEGER NOT NULL,                     -- recorded days the episodes start on
    mean_is_bps DOUBLE NOT NULL,                 -- mean implementation shortfall, bps of arrival notional
    std_is_bps DOUBLE NOT NULL,                  -- standard deviation of the implementation shortfall, bps
    p95_is_bps DOUBLE NOT NULL,                  -- 95th percentile of the implementation shortfall, bps
    cvar95_is_bps DOUBLE NOT NULL,               -- mean of the worst 5% of episodes, bps
    mean_arrival_slippage_bps DOUBLE NOT NULL,   -- mean average fill vs arrival mid, bps
    mean_vwap_slippage_bps DOUBLE NOT NULL,      -- mean average fill vs the recorded volume-weighted mid, bps
    beyond_depth_frac DOUBLE NOT NULL,           -- share of all shares filled beyond the displayed depth
    improvement_vs_twap_bps DOUBLE NOT NULL,     -- mean IS of TWAP minus the strategy's, same episodes, bps (positive = cheaper)
    improvement_se_bps DOUBLE NOT NULL,          -- standard error of the paired improvement, bps
    ci95_low_bps DOUBLE NOT NULL,                -- lower bound of the 95% bootstrap interval of improvement_vs_twap_bps
    ci95_high_bps DOUBLE NOT NULL,               -- upper bound of the 95% bootstrap interval of improvement_vs_twap_bps
    improvement_vs_twap_pct DOUBLE,              -- improvement as % of |TWAP's mean IS| (NULL when it is exactly 0)
    ci95_low DOUBLE,                             -- lower bound of the 95% bootstrap interval of improvement_vs_twap_pct
    ci95_high DOUBLE,                            -- upper bound of the 95% bootstrap interval of improvement_vs_twap_pct
    p_value_raw DOUBLE NOT NULL,                 -- paired t-test p-value of zero mean saving, uncorrected
    p_value DOUBLE NOT NULL,                     -- paired t-test p-value, Holm-corrected across the rows of the strategy
    hindsight_improvement_bps DOUBLE,            -- the hindsight bound's improvement vs TWAP on the same episodes, bps: the ceiling
    hindsight_improvement_pct DOUBLE,            -- the same as % of |TWAP's mean IS|
    hindsight_efficiency DOUBLE                  -- improvement_vs_twap_bps / hindsight_improvement_bps; NULL where the bound
                                                 -- does not beat TWAP by two standard errors
);
