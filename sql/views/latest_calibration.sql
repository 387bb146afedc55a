-- The latest calibration per instrument (highest as_of), for the simulator, scenarios and ad hoc use.
CREATE OR REPLACE VIEW calibration.latest_impact_params AS
SELECT * FROM calibration.impact_params
QUALIFY row_number() OVER (PARTITION BY instrument ORDER BY as_of DESC, calibrated_at DESC) = 1;

-- The latest intraday volume curve per instrument.
CREATE OR REPLACE VIEW calibration.latest_volume_curve AS
SELECT * FROM calibration.volume_curve
QUALIFY as_of = max(as_of) OVER (PARTITION BY instrument);
