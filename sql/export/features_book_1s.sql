-- One instrument-day of features.book_1s to a parquet file (instrument and date in the hive path).
COPY (
    SELECT * EXCLUDE (instrument, date) FROM features.book_1s
    WHERE instrument = $instrument AND date = $date
    ORDER BY ts
) TO $path (FORMAT parquet, COMPRESSION zstd)
