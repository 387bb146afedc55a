-- Average daily volume per instrument and date. Key (instrument, date).
-- adv_20d on date d: mean volume of the 20 sessions ending at d (inclusive), from
-- calibration.daily_volume when 20 exist, else from a daily-bars file (split-adjusted to the
-- shares traded at the time), else the mean of the sessions there are (source says which).
-- A session whose data cover part of the trading day counts as volume / session_coverage.
CREATE TABLE IF NOT EXISTS calibration.adv (
    instrument VARCHAR NOT NULL,
    date DATE NOT NULL,
    adv_20d DOUBLE NOT NULL,      -- shares
    n_days INTEGER NOT NULL,      -- sessions averaged (20 unless the history is shorter)
    source VARCHAR NOT NULL,      -- 'trades' | 'daily_bars' | 'trades_partial'
    window_start DATE NOT NULL,   -- first session in the average
    observed_volume DOUBLE,       -- calibration.daily_volume.volume on date (null if none)
    bars_volume DOUBLE,           -- the daily bars' volume on date, shares at the time (null if none)
    bars_source VARCHAR,          -- the daily-bars file the ADV came from (source = 'daily_bars'), else null
    session_coverage DOUBLE       -- calibration.daily_volume.session_coverage on date (null: no book, taken as 1)
);
-- warehouses created before bars_source
ALTER TABLE calibration.adv ADD COLUMN IF NOT EXISTS bars_source VARCHAR;
-- and before session_coverage
ALTER TABLE calibration.adv ADD COLUMN IF NOT EXISTS session_coverage DOUBLE;
