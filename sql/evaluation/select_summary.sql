-- strategy_summary rows with the scenario attributes the reports group by.
SELECT s.*, c.instrument, c.impact_model, c.horizon_s, c.session_seconds, c.size_pct_adv, c.regime, c.urgency, c.side
FROM evaluation.strategy_summary s
JOIN scenarios.execution_scenarios c USING (scenario_id)
ORDER BY s.scenario_id, s.strategy;
