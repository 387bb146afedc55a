-- Instrument reference data, one row per instrument or futures root (execution_assets/market/instruments.csv,
-- the file users edit; '*' is the row for instruments it does not list). Replaced whole by the
-- `instruments` asset. sessions: 'HH:MM:SS-HH:MM:SS' local time, '; '-separated; a session that opens
-- after its close starts the calendar day before its trading date (CME Globex 17:00-16:00 Chicago).
CREATE SCHEMA IF NOT EXISTS reference;
CREATE TABLE IF NOT EXISTS reference.instruments (
    instrument VARCHAR NOT NULL,
    venue VARCHAR NOT NULL,          -- ISO 10383 MIC where there is one
    timezone VARCHAR NOT NULL,       -- IANA zone of the exchange clock; raw ts are naive in it
    sessions VARCHAR NOT NULL,
    trading_days VARCHAR NOT NULL,   -- weekdays with a trading date, e.g. Mon,Tue,Wed,Thu,Fri
    session_seconds INTEGER NOT NULL, -- trading seconds in one trading date (23,400 US equities, 82,800 Globex)
    tick_size DOUBLE NOT NULL,
    lot_size DOUBLE NOT NULL,
    multiplier DOUBLE NOT NULL,      -- contract multiplier (ES 50 USD per point, CL 1,000 barrels)
    currency VARCHAR NOT NULL
);
