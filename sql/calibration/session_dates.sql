-- Sessions of $instrument with trades, most recent last (the calibration window's candidates;
-- one without a book leaves the book-based estimates NULL with the reason).
SELECT DISTINCT date
FROM raw.trades
WHERE instrument = $instrument
ORDER BY date
