-- Evaluated scenarios for which a strategy has no summary row (it could not plan them).
WITH evaluated AS (SELECT DISTINCT scenario_id FROM evaluation.strategy_summary),
     strategies AS (SELECT DISTINCT strategy FROM evaluation.strategy_summary)
SELECT st.strategy, count(*) AS scenarios_missing, min(e.scenario_id) AS example
FROM evaluated e CROSS JOIN strategies st
LEFT JOIN evaluation.strategy_summary s ON s.scenario_id = e.scenario_id AND s.strategy = st.strategy
WHERE s.scenario_id IS NULL
GROUP BY st.strategy
ORDER BY st.strategy;
