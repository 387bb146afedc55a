SELECT * FROM calibration.adv
WHERE instrument = $instrument
ORDER BY date
