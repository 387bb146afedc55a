SELECT * FROM features.book_1s
WHERE instrument = $instrument AND date = $date
ORDER BY ts
