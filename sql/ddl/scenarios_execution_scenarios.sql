-- One row per execution scenario: an order to work (instrument, side, size, horizon), its
-- hidden regime, urgency and impact model, its data split and seed, and every parameter it is
-- simulated with (execution_assets.scenarios.stored_problem rebuilds the problem from the row).
-- Key scenario_id. Seeds of a split lie in its range (train [0, 1e6), validation [1e6, 2e6),
-- test [2e6, 3e6)); a seed fixes the price paths every strategy faces.
CREATE TABLE IF NOT EXISTS scenarios.execution_scenarios (
    scenario_id VARCHAR NOT NULL,
    instrument VARCHAR NOT NULL,
    side TINYINT NOT NULL,                 -- +1 buy, -1 sell
    size_pct_adv DOUBLE NOT NULL,          -- order size, % of ADV
    horizon_s DOUBLE NOT NULL,             -- seconds to complete the order
    n_steps INTEGER NOT NULL,              -- decisions per episode
    decision_interval_s DOUBLE NOT NULL,   -- horizon_s / n_steps
    start_s DOUBLE NOT NULL,               -- seconds after the open the order starts (VWAP/POV curve)
    regime VARCHAR NOT NULL,               -- normal | volatile | trending (never observed)
    urgency VARCHAR NOT NULL,              -- low | medium | high
    urgency_kappa_t DOUBLE NOT NULL,       -- Almgren-Chriss kappa * T the urgency stands for
    risk_aversion DOUBLE NOT NULL,         -- lambda of E[IS_bps] + lambda Var[IS_bps], 1/bps
    impact_model VARCHAR NOT NULL,         -- linear | square_root | transient
    split VARCHAR NOT NULL,                -- train | validation | test
    seed BIGINT NOT NULL,
    eta DOUBLE NOT NULL,                   -- temporary impact eta * p^beta, p = participation
    beta DOUBLE NOT NULL,
    gamma DOUBLE NOT NULL,                 -- permanent impact per fraction of ADV (delta = 1)
    kappa DOUBLE NOT NULL,                 -- transient kernel scale (0: none)
    transient_decay_per_s DOUBLE NOT NULL,
    sigma_daily DOUBLE NOT NULL,           -- nominal (normal-regime) volatility per session
    half_spread_bps DOUBLE NOT NULL,
    adv_shares DOUBLE NOT NULL,
    signal_mean_reversion_per_s DOUBLE NOT NULL,
    signal_alpha_bps_per_s DOUBLE NOT NULL,
    trend_per_day DOUBLE NOT NULL,         -- extra drift of the trending regime, fraction per session
    arrival_price DOUBLE NOT NULL,
    session_seconds DOUBLE NOT NULL,       -- the trading day ADV, sigma_daily and the daily drifts are per (reference sessions), s
    params_source VARCHAR NOT NULL,        -- calibration | calibration+defaults | defaults
    calibration_as_of DATE                 -- the calibration used (NULL with defaults)
);
-- warehouses created before session_seconds: their scenarios were built on the US-equity day
ALTER TABLE scenarios.execution_scenarios ADD COLUMN IF NOT EXISTS session_seconds DOUBLE DEFAULT 23400;
