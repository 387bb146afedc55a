-- Volume, notional, trade count and VWAP per session of $instrument, from raw.trades, and the
-- share of the instrument's $session_seconds the day's book covers (its 1-second snapshots;
-- NULL for a day without a book): a 4-minute sample covers 239 / 82,800 of a Globex day.
WITH book AS (
    SELECT date, count(*) AS covered_seconds
    FROM raw.l2_snapshots
    WHERE instrument = $instrument
    GROUP BY date
)
SELECT
    t.instrument,
    t.date,
    sum(t.size)::DOUBLE AS volume,
    sum(t.price * t.size) AS notional,
    count(*) AS n_trades,
    sum(t.price * t.size) / sum(t.size) AS vwap,
    coalesce(sum(t.size) FILTER (WHERE t.side = 1), 0)::DOUBLE AS buy_volume,
    coalesce(sum(t.size) FILTER (WHERE t.side = -1), 0)::DOUBLE AS sell_volume,
    any_value(b.covered_seconds) / $session_seconds AS session_coverage
FROM raw.trades AS t
LEFT JOIN book AS b USING (date)
WHERE t.instrument = $instrument
GROUP BY t.instrument, t.date
HAVING sum(t.size) > 0
ORDER BY t.date
