SELECT * FROM calibration.latest_impact_params WHERE instrument = $instrument
