-- Scenarios of one split (all splits when $split is NULL), in a stable order.
SELECT *
FROM scenarios.execution_scenarios
WHERE $split IS NULL OR split = $split
ORDER BY instrument, scenario_id;
