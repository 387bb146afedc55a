DELETE FROM features.book_1s
WHERE instrument = $instrument AND date BETWEEN $date_from AND $date_to
    AND ($dates::DATE[] IS NULL OR list_contains($dates::DATE[], date))
