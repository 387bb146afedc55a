-- The latest signal calibration per instrument: its decay fit and whether scenarios use it
-- (the fit's columns are the same on every row of an instrument's as_of).
SELECT DISTINCT instrument, as_of, alpha_bps_per_s, mean_reversion_per_s, significant, reason
FROM calibration.latest_signal_params
ORDER BY instrument;
