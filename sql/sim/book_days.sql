-- The stored days of features.book_1s per instrument (replay splits them by date).
SELECT instrument, date
FROM features.book_1s
GROUP BY ALL
ORDER BY instrument, date
