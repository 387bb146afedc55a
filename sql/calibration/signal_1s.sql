-- The order-book predictors of $instrument per second, sessions $date_from..$date_to, for the
-- signal calibration (execution_assets/calibration/signal.py): the second on the trading clock
-- (as in flow_1s.sql: 0 = the first session's open, sessions back to back, breaks left out),
-- the mid at the end of the second, the level-1 and level-5 size imbalances and the
-- aggressor-signed volume traded during the second. Forward returns and trailing flows are
-- built from these rows within each date only, so nothing crosses a day.
WITH sessions AS (
    SELECT unnest($session_open_s) AS open_s, unnest($session_close_s) AS close_s, unnest($session_clock_s) AS clock_s
),
book AS (
    SELECT date, ts, epoch(ts - date::TIMESTAMP) AS local_s, mid, imbalance_1, imbalance_5, signed_volume_1s
    FROM features.book_1s
    WHERE instrument = $instrument AND date BETWEEN $date_from AND $date_to
)
SELECT
    b.date,
    (s.clock_s + b.local_s - s.open_s)::INTEGER AS second,
    b.mid,
    b.imbalance_1,
    b.imbalance_5,
    b.signed_volume_1s
FROM book AS b
JOIN sessions AS s ON b.local_s >= s.open_s AND b.local_s < s.close_s
ORDER BY b.date, second
