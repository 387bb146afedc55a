-- The stored curve of ($instrument, $as_of): bucket count, share sum, and no negative share.
SELECT
    count(*) AS buckets,
    coalesce(sum(volume_share), 0) AS share_sum,
    coalesce(min(volume_share), 0) AS min_share,
    count(DISTINCT bucket_minutes) AS bucket_sizes,
    coalesce(sum(bucket_minutes), 0) AS minutes
FROM calibration.volume_curve
WHERE instrument = $instrument AND as_of = $as_of
