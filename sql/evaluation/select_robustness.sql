-- The robustness rows with the base scenario's instrument and impact model.
SELECT r.*, c.instrument, c.impact_model
FROM evaluation.robustness r
JOIN scenarios.execution_scenarios c ON c.scenario_id = r.base_scenario_id
ORDER BY c.instrument, c.impact_model, r.test, r.variant, r.strategy;
