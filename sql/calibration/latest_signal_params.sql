SELECT * FROM calibration.latest_signal_params WHERE instrument = $instrument
ORDER BY predictor, horizon_s
