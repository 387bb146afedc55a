-- The grid is rewritten as a whole from the latest calibration.
DELETE FROM scenarios.execution_scenarios;
