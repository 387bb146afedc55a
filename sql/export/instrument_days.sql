-- Every instrument-day that has rows in an exported table.
SELECT DISTINCT instrument, date FROM raw.l2_snapshots
UNION SELECT DISTINCT instrument, date FROM raw.trades
UNION SELECT DISTINCT instrument, date FROM features.book_1s
ORDER BY instrument, date
