-- Every print of $instrument, sessions $date_from..$date_to, with its pre-trade quotes (the
-- snapshot at the end of the previous second) and the volume on its side during its second.
-- concession = side * (price - pre-trade touch) / pre-trade mid: the cost paid beyond the touch.
-- Prints of a session's first second (no pre-trade snapshot) are left out by the join.
WITH prints AS (
    SELECT date, ts, price, size, side, date_trunc('second', ts) AS second_ts
    FROM raw.trades
    WHERE instrument = $instrument AND date BETWEEN $date_from AND $date_to
),
side_volume AS (
    SELECT date, second_ts, side, sum(size)::DOUBLE AS side_volume_1s
    FROM prints
    GROUP BY ALL
)
SELECT
    p.date,
    p.ts,
    p.size,
    p.side,
    v.side_volume_1s,
    b.mid AS pre_mid,
    b.spread AS pre_spread,
    p.side * (p.price - (b.mid + p.side * b.spread / 2)) / b.mid AS concession
FROM prints AS p
JOIN side_volume AS v USING (date, second_ts, side)
JOIN features.book_1s AS b
    ON b.instrument = $instrument AND b.date = p.date AND b.ts = p.second_ts - INTERVAL 1 SECOND
ORDER BY p.date, p.ts
