-- The latest signal calibration per instrument (highest as_of): every predictor and horizon.
CREATE OR REPLACE VIEW calibration.latest_signal_params AS
SELECT * FROM calibration.signal_params
QUALIFY as_of = max(as_of) OVER (PARTITION BY instrument);
