SELECT * FROM calibration.latest_volume_curve
WHERE instrument = $instrument
ORDER BY bucket
