-- Traded volume per instrument and session date, from raw.trades (venue-complete only when the
-- source is: a LOBSTER day is Nasdaq-only volume). Key (instrument, date).
CREATE TABLE IF NOT EXISTS calibration.daily_volume (
    instrument VARCHAR NOT NULL,
    date DATE NOT NULL,
    volume DOUBLE NOT NULL,       -- shares
    notional DOUBLE NOT NULL,     -- sum(price * size), currency
    n_trades BIGINT NOT NULL,
    vwap DOUBLE NOT NULL,         -- notional / volume
    buy_volume DOUBLE NOT NULL,   -- shares with a buyer-initiated aggressor
    sell_volume DOUBLE NOT NULL,  -- (prints without an aggressor, side 0, are the rest)
    session_coverage DOUBLE       -- share of the instrument's session seconds the day's book covers (null: no book)
);
-- warehouses created before session_coverage
ALTER TABLE calibration.daily_volume ADD COLUMN IF NOT EXISTS session_coverage DOUBLE;
