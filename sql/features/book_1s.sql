-- features.book_1s for the instrument $instrument and dates $date_from..$date_to (inclusive), only
-- those in the list $dates unless it is NULL.
-- mid/spread/microprice/imbalance from level 1; depth and imbalance_5 from levels 1-5;
-- ret_1s = log mid return over the last second; realized_vol_300s = sqrt of the sum of squared
-- 1-second log returns over the last 300 seconds (not annualized); momentum_60s = log mid
-- return over the last 60 seconds; volume_1s / signed_volume_1s = shares traded during
-- [ts, ts + 1 s), signed by the aggressor's side. Windows never cross a day.
-- (The last/previous second is the previous snapshot row of the day, lag 1; 60 and 300
-- seconds are 60 and 300 rows: the same thing on the full 1-second grid.)
--
-- Cost: the two window passes sort their whole input, so they carry only what the output
-- needs (the level-1 and depth columns, not the derived features, and no instrument: one
-- instrument is selected, so days are the partitions); the derived features are computed
-- once, after the windows. Rows come out in no particular order: readers ORDER BY ts.
WITH book AS (
    SELECT
        date, ts,
        (bid_px_1 + ask_px_1) / 2 AS mid,
        bid_px_1, ask_px_1, bid_sz_1, ask_sz_1,
        coalesce(bid_sz_1, 0) + coalesce(bid_sz_2, 0) + coalesce(bid_sz_3, 0)
            + coalesce(bid_sz_4, 0) + coalesce(bid_sz_5, 0) AS depth_bid_5,
        coalesce(ask_sz_1, 0) + coalesce(ask_sz_2, 0) + coalesce(ask_sz_3, 0)
            + coalesce(ask_sz_4, 0) + coalesce(ask_sz_5, 0) AS depth_ask_5
    FROM raw.l2_snapshots
    WHERE instrument = $instrument AND date BETWEEN $date_from AND $date_to
        AND ($dates::DATE[] IS NULL OR list_contains($dates::DATE[], date))
),
flow AS (
    SELECT
        date, date_trunc('second', ts) AS ts,
        sum(size) AS volume_1s,
        sum(side * size) AS signed_volume_1s
    FROM raw.trades
    WHERE instrument = $instrument AND date BETWEEN $date_from AND $date_to
        AND ($dates::DATE[] IS NULL OR list_contains($dates::DATE[], date))
    GROUP BY ALL
),
returns AS (
    SELECT
        *,
        ln(mid / lag(mid) OVER day) AS ret_1s,
        ln(mid / lag(mid, 60) OVER day) AS momentum_60s
    FROM book
    WINDOW day AS (PARTITION BY date ORDER BY ts)
)
SELECT
    $instrument AS instrument, r.date, r.ts,
    r.mid,
    r.ask_px_1 - r.bid_px_1 AS spread,
    (r.ask_px_1 - r.bid_px_1) / r.mid * 1e4 AS spread_bps,
    (r.bid_px_1 * r.ask_sz_1 + r.ask_px_1 * r.bid_sz_1) / (r.bid_sz_1 + r.ask_sz_1) AS microprice,
    (r.bid_sz_1 - r.ask_sz_1) / (r.bid_sz_1 + r.ask_sz_1) AS imbalance_1,
    (r.depth_bid_5 - r.depth_ask_5) / nullif(r.depth_bid_5 + r.depth_ask_5, 0) AS imbalance_5,
    r.depth_bid_5::DOUBLE AS depth_bid_5,
    r.depth_ask_5::DOUBLE AS depth_ask_5,
    r.ret_1s,
    sqrt(sum(r.ret_1s * r.ret_1s) OVER (
        PARTITION BY r.date ORDER BY r.ts ROWS BETWEEN 299 PRECEDING AND CURRENT ROW
    )) AS realized_vol_300s,
    r.momentum_60s,
    coalesce(f.volume_1s, 0)::DOUBLE AS volume_1s,
    coalesce(f.signed_volume_1s, 0)::DOUBLE AS signed_volume_1s
FROM returns AS r
LEFT JOIN flow AS f USING (date, ts)
