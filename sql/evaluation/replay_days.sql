-- Stored days per instrument for the replay evaluation (execution_assets/evaluation/replay.py):
-- one row per instrument and date of features.book_1s, with its number of stored seconds and the
-- first one (the clock the episodes' start_second counts from).
SELECT instrument, date, count(*) AS seconds, min(ts) AS first_ts
FROM features.book_1s
GROUP BY instrument, date
ORDER BY instrument, date
