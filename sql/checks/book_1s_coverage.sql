-- Per date of the list $dates (all within $date_from..$date_to) of the instrument $instrument:
-- one feature row per stored snapshot, and no duplicate (instrument, date, ts).
WITH days AS (
    SELECT unnest($dates::DATE[]) AS date
),
features AS (
    SELECT date, count(*) AS feature_rows, count(*) - count(DISTINCT ts) AS duplicate_keys
    FROM features.book_1s
    WHERE instrument = $instrument AND date BETWEEN $date_from AND $date_to
        AND list_contains($dates::DATE[], date)
    GROUP BY date
),
snapshots AS (
    SELECT date, count(*) AS snapshot_rows
    FROM raw.l2_snapshots
    WHERE instrument = $instrument AND date BETWEEN $date_from AND $date_to
        AND list_contains($dates::DATE[], date)
    GROUP BY date
)
SELECT
    days.date,
    coalesce(features.feature_rows, 0) AS feature_rows,
    coalesce(snapshots.snapshot_rows, 0) AS snapshot_rows,
    coalesce(features.duplicate_keys, 0) AS duplicate_keys
FROM days
LEFT JOIN features USING (date)
LEFT JOIN snapshots USING (date)
ORDER BY days.date
