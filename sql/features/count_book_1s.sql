SELECT count(*) FROM features.book_1s
WHERE instrument = $instrument AND date BETWEEN $date_from AND $date_to
