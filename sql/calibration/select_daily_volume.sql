SELECT * FROM calibration.daily_volume
WHERE instrument = $instrument
ORDER BY date
