-- features.book_1s of the instrument $instrument on the dates in the list $dates (all within
-- $date_from..$date_to, which lets DuckDB skip row groups), in (date, ts) order.
SELECT * FROM features.book_1s
WHERE instrument = $instrument AND date BETWEEN $date_from AND $date_to
    AND list_contains($dates::DATE[], date)
ORDER BY date, ts
