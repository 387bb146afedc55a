-- Shares traded per session minute (0 = 09:30) of $instrument, sessions $date_from..$date_to.
-- Minutes without trades are absent (the estimator fills them with 0).
WITH prints AS (
    SELECT date, floor(epoch(ts - (date + TIME '09:30:00')) / 60)::INTEGER AS minute, size
    FROM raw.trades
    WHERE instrument = $instrument AND date BETWEEN $date_from AND $date_to
)
SELECT date, minute, sum(size)::DOUBLE AS volume
FROM prints
WHERE minute BETWEEN 0 AND 389
GROUP BY date, minute
ORDER BY date, minute
