-- Recorded 1-second mids of one instrument, day by day, for replay.
SELECT date, mid
FROM features.book_1s
WHERE instrument = $instrument
ORDER BY date, ts;
