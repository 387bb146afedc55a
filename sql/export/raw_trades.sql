-- One instrument-day of raw.trades to a parquet file (instrument and date in the hive path).
-- Prints sharing a timestamp are ordered by all columns, so an export is reproducible.
COPY (
    SELECT * EXCLUDE (instrument, date) FROM raw.trades
    WHERE instrument = $instrument AND date = $date
    ORDER BY ALL
) TO $path (FORMAT parquet, COMPRESSION zstd)
