SELECT * FROM calibration.impact_params
WHERE instrument = $instrument AND as_of = $as_of
