-- Rows rejected at the ingest boundary, with the rule they broke; nothing is dropped silently.
CREATE TABLE IF NOT EXISTS raw.quarantine (
    target_table VARCHAR NOT NULL,  -- the table the row was meant for, e.g. raw.trades
    source VARCHAR NOT NULL,        -- file path or generator name
    instrument VARCHAR,
    date DATE,
    row_number BIGINT,              -- 1-based data row in the source (header excluded)
    reason VARCHAR NOT NULL,
    payload VARCHAR
);
