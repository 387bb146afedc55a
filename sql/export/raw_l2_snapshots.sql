-- One instrument-day of raw.l2_snapshots to a parquet file; instrument and date live in the
-- hive path (instrument=/date=), not in the file.
COPY (
    SELECT * EXCLUDE (instrument, date) FROM raw.l2_snapshots
    WHERE instrument = $instrument AND date = $date
    ORDER BY ts
) TO $path (FORMAT parquet, COMPRESSION zstd)
