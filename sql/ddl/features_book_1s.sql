-- 1-second book features per instrument (see sql/features/book_1s.sql for definitions).
-- Key (instrument, date, ts) is unique: enforced by validation and checked by sql/checks.
CREATE TABLE IF NOT EXISTS features.book_1s (
    instrument VARCHAR NOT NULL,
    date DATE NOT NULL,
    ts TIMESTAMP NOT NULL,
    mid DOUBLE NOT NULL,
    spread DOUBLE NOT NULL,
    spread_bps DOUBLE NOT NULL,
    microprice DOUBLE,
    imbalance_1 DOUBLE,
    imbalance_5 DOUBLE,
    depth_bid_5 DOUBLE,
    depth_ask_5 DOUBLE,
    ret_1s DOUBLE,
    realized_vol_300s DOUBLE,
    momentum_60s DOUBLE,
    volume_1s DOUBLE NOT NULL,
    signed_volume_1s DOUBLE NOT NULL
);
