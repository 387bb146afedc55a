-- Impact, volatility and spread parameters per instrument and as_of (the last session used),
-- in execution_assets.impact units (fractions of price; sizes as fractions of ADV). Each
-- estimate has a 95% confidence interval. A parameter the data cannot identify is NULL and
-- null_reason says why; nothing is ever NaN. Key (instrument, as_of).
CREATE TABLE IF NOT EXISTS calibration.impact_params (
    instrument VARCHAR NOT NULL,
    as_of DATE NOT NULL,
    window_start DATE NOT NULL,
    n_days INTEGER NOT NULL,
    adv_shares DOUBLE NOT NULL,            -- ADV (calibration.adv on as_of) the sizes refer to
    session_seconds INTEGER,               -- the trading day's seconds (reference sessions): rates are ADV / session_seconds
    eta DOUBLE, eta_ci_low DOUBLE, eta_ci_high DOUBLE,                    -- temporary
    beta DOUBLE, beta_ci_low DOUBLE, beta_ci_high DOUBLE,                 -- temporary exponent
    temporary_offset_bps DOUBLE,           -- mean print cost beyond the touch at zero participation
    gamma DOUBLE, gamma_ci_low DOUBLE, gamma_ci_high DOUBLE,              -- permanent
    delta DOUBLE, delta_ci_low DOUBLE, delta_ci_high DOUBLE,              -- permanent exponent (1 unless the CI excludes 1)
    delta_free DOUBLE,                     -- the free fit's exponent (delta_ci_* is its interval)
    permanent_1pct_adv_bps DOUBLE, permanent_1pct_adv_bps_ci_low DOUBLE, permanent_1pct_adv_bps_ci_high DOUBLE,
                                           -- gamma * 0.01^delta in bps: well identified, unlike gamma (X = 1)
    kappa DOUBLE, kappa_ci_low DOUBLE, kappa_ci_high DOUBLE,              -- transient kernel scale
    transient_decay_per_s DOUBLE, transient_decay_per_s_ci_low DOUBLE, transient_decay_per_s_ci_high DOUBLE,
    sigma_daily DOUBLE, sigma_daily_ci_low DOUBLE, sigma_daily_ci_high DOUBLE,  -- excluding the flow's impact
    realized_vol_daily DOUBLE,             -- total (including the market flow's impact)
    half_spread_bps DOUBLE, half_spread_bps_ci_low DOUBLE, half_spread_bps_ci_high DOUBLE,
    n_obs BIGINT NOT NULL,                 -- seconds in the price-response (gamma, delta, kappa, rho) fit
    r2 DOUBLE,                             -- share of 1-second return variance explained by the flow
    temporary_n_obs BIGINT NOT NULL,       -- trade prints in the temporary-impact (eta, beta) fit
    temporary_r2 DOUBLE,
    null_reason VARCHAR,                   -- 'param: why; ...' for each NULL estimate, else NULL
    calibrated_at TIMESTAMP NOT NULL
);
-- warehouses created before session_seconds
ALTER TABLE calibration.impact_params ADD COLUMN IF NOT EXISTS session_seconds INTEGER;
