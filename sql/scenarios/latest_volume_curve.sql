-- The latest intraday volume curve per instrument, bucket by bucket (shares sum to 1).
SELECT instrument, bucket, volume_share
FROM calibration.latest_volume_curve
ORDER BY instrument, bucket;
