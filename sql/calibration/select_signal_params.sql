SELECT * FROM calibration.signal_params
WHERE instrument = $instrument AND as_of = $as_of
ORDER BY predictor, horizon_s
