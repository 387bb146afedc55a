-- Intraday volume curve per instrument, one calibration per as_of (the last session used).
-- Key (instrument, as_of, bucket); volume_share sums to 1 per (instrument, as_of).
CREATE TABLE IF NOT EXISTS calibration.volume_curve (
    instrument VARCHAR NOT NULL,
    as_of DATE NOT NULL,
    bucket INTEGER NOT NULL,          -- 0-based bucket of the session
    bucket_start TIME NOT NULL,       -- exchange-local start of the bucket
    bucket_minutes INTEGER NOT NULL,
    volume_share DOUBLE NOT NULL,     -- smoothed share of the day's volume (sums to 1)
    raw_share DOUBLE NOT NULL,        -- unsmoothed mean share over the sessions
    raw_share_se DOUBLE,              -- standard error of raw_share across sessions (null with 1 session)
    n_days INTEGER NOT NULL,
    window_start DATE NOT NULL
);
