-- One row per trade print. side is the aggressor's: +1 buyer-initiated, -1 seller-initiated.
CREATE TABLE IF NOT EXISTS raw.trades (
    instrument VARCHAR NOT NULL,
    date DATE NOT NULL,
    ts TIMESTAMP NOT NULL,
    price DOUBLE NOT NULL,
    size BIGINT NOT NULL,
    side TINYINT NOT NULL
);
