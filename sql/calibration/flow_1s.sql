-- Per second of $instrument, sessions $date_from..$date_to: the second on the trading clock
-- (as in minute_volume.sql: 0 = the first session's open, sessions back to back), the mid at
-- the end of the second, the quoted spread, and the volume and aggressor-signed volume traded
-- during the second.
WITH sessions AS (
    SELECT unnest($session_open_s) AS open_s, unnest($session_close_s) AS close_s, unnest($session_clock_s) AS clock_s
),
book AS (
    SELECT date, ts, epoch(ts - date::TIMESTAMP) AS local_s, mid, spread_bps, volume_1s, signed_volume_1s
    FROM features.book_1s
    WHERE instrument = $instrument AND date BETWEEN $date_from AND $date_to
)
SELECT
    b.date,
    (s.clock_s + b.local_s - s.open_s)::INTEGER AS second,
    b.mid,
    b.spread_bps,
    b.volume_1s,
    b.signed_volume_1s
FROM book AS b
JOIN sessions AS s ON b.local_s >= s.open_s AND b.local_s < s.close_s
ORDER BY b.date, b.ts
