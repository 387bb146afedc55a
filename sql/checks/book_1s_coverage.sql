-- One feature row per stored snapshot of the instrument-day, and no duplicate (instrument, date, ts).
SELECT
    (SELECT count(*) FROM features.book_1s WHERE instrument = $instrument AND date = $date) AS feature_rows,
    (SELECT count(*) FROM raw.l2_snapshots WHERE instrument = $instrument AND date = $date) AS snapshot_rows,
    (SELECT count(*) - count(DISTINCT ts) FROM features.book_1s
        WHERE instrument = $instrument AND date = $date) AS duplicate_keys
