-- Shares traded per minute of the trading clock (0 = the first session's open, sessions back to
-- back: Instrument.session_clock) of $instrument, sessions $date_from..$date_to. The sessions
-- come as lists: $session_open_s / $session_close_s in seconds from the trading date's midnight
-- (negative: the evening before), $session_clock_s the clock's second at each open.
-- Minutes without trades are absent (the estimator fills them with 0).
WITH sessions AS (
    SELECT unnest($session_open_s) AS open_s, unnest($session_close_s) AS close_s, unnest($session_clock_s) AS clock_s
),
prints AS (
    SELECT date, epoch(ts - date::TIMESTAMP) AS local_s, size
    FROM raw.trades
    WHERE instrument = $instrument AND date BETWEEN $date_from AND $date_to
)
SELECT p.date, floor((s.clock_s + p.local_s - s.open_s) / 60)::INTEGER AS minute, sum(p.size)::DOUBLE AS volume
FROM prints AS p
JOIN sessions AS s ON p.local_s >= s.open_s AND p.local_s < s.close_s
GROUP BY ALL
ORDER BY p.date, minute
