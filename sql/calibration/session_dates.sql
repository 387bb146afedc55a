-- Sessions of $instrument with both book features and trades, most recent last.
SELECT DISTINCT f.date
FROM features.book_1s AS f
SEMI JOIN raw.trades AS t ON t.instrument = f.instrument AND t.date = f.date
WHERE f.instrument = $instrument
ORDER BY f.date
