-- How the order book predicts forward mid returns (execution_assets/calibration/signal.py,
-- docs/calibration.md "Signal"). One table, one row per (instrument, as_of, predictor,
-- horizon_s): the regression of the forward log mid return over [t, t + horizon_s] (bps, within
-- the day) on one standardized predictor, on non-overlapping samples with Newey-West intervals.
-- The decay fit of the level-1 imbalance (alpha_bps_per_s ... reason) is one result per
-- (instrument, as_of), repeated on every row of it, so a reader takes any row (or DISTINCT).
-- A number the data cannot give is NULL with its reason (null_reason for a row's regression,
-- reason for the fit); nothing is ever NaN. Key (instrument, as_of, predictor, horizon_s).
CREATE TABLE IF NOT EXISTS calibration.signal_params (
    instrument VARCHAR NOT NULL,
    as_of DATE NOT NULL,
    window_start DATE NOT NULL,
    n_days INTEGER NOT NULL,               -- sessions of the window with book seconds
    session_seconds INTEGER NOT NULL,      -- the trading day whose scenario decision intervals are regressed
    predictor VARCHAR NOT NULL,            -- imbalance_1 | imbalance_5 | signed_flow (signed volume over the previous horizon_s seconds)
    horizon_s INTEGER NOT NULL,            -- forward-return horizon, seconds (1 s and the scenarios' decision intervals)
    decision_interval BOOLEAN NOT NULL,    -- horizon_s is a decision interval of the scenario grid (the 1-s row is not)
    n_obs BIGINT NOT NULL,                 -- non-overlapping samples (one every horizon_s seconds of the trading clock)
    coef_bps DOUBLE, coef_bps_ci_low DOUBLE, coef_bps_ci_high DOUBLE,     -- bps of return over horizon_s per one std of the predictor (95% Newey-West)
    coef_se_bps DOUBLE,                    -- Newey-West standard error of coef_bps
    t_stat DOUBLE,                         -- coef_bps / coef_se_bps
    p_value DOUBLE,                        -- two-sided p-value of coef_bps = 0, unadjusted
    p_value_holm DOUBLE,                   -- Holm-adjusted across the predictor's horizons
    rejects_zero BOOLEAN,                  -- p_value_holm < 0.05 (NULL when not tested)
    r2 DOUBLE,                             -- share of the sampled forward returns' variance explained
    hac_lags INTEGER NOT NULL,             -- Newey-West lags, floor(4 (n_obs / 100)^(2/9)); 0 when not fitted
    predictor_mean DOUBLE,                 -- over the window's seconds, predictor units (shares for signed_flow)
    predictor_std DOUBLE,                  -- the standardization: z = (x - predictor_mean) / predictor_std
    decay_fit_bps DOUBLE,                  -- level-1 rows: the fitted decay curve A (1 - exp(-theta h)) / theta at horizon_s
    null_reason VARCHAR,                   -- why this row's coefficient is NULL, else NULL
    alpha_bps_per_s DOUBLE, alpha_bps_per_s_ci_low DOUBLE, alpha_bps_per_s_ci_high DOUBLE,
                                           -- A: drift in bps/s per one std of the level-1 imbalance (95% block bootstrap)
    mean_reversion_per_s DOUBLE, mean_reversion_per_s_ci_low DOUBLE, mean_reversion_per_s_ci_high DOUBLE,
                                           -- theta: mean reversion of the signal's prediction, per second (95% block bootstrap)
    decay_n_bootstrap INTEGER NOT NULL,    -- bootstrap replicates behind the decay intervals (0: none)
    bootstrap_block_s INTEGER NOT NULL,    -- length of a bootstrap block (seconds of one day)
    significant BOOLEAN NOT NULL,          -- scenarios use alpha_bps_per_s and mean_reversion_per_s (level-1 imbalance rejects zero at a decision interval, A > 0, theta identified)
    reason VARCHAR,                        -- why not significant, else NULL
    calibrated_at TIMESTAMP NOT NULL
);
