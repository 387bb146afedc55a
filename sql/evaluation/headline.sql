-- Improvement vs TWAP per scenario family (impact model x horizon, with the trading day it is
-- part of) and strategy, over the scenarios where the strategy was evaluated, on mean IS and on
-- the risk-adjusted cost mean(IS + risk penalty). Scenarios are independent (own seeds), so a
-- family mean's standard error is sqrt(sum se^2) / n. Percentages divide by the family's mean
-- |TWAP cost| (its own sampling noise, over n x episodes, is ignored).
WITH rows AS (
    SELECT c.impact_model, c.horizon_s, c.session_seconds, s.strategy, s.n_episodes,
           s.improvement_vs_twap_bps AS is_bps, s.improvement_se_bps AS is_se,
           s.improvement_objective_bps AS obj_bps, s.improvement_objective_se_bps AS obj_se,
           t.mean_is_bps AS twap_is, t.mean_objective_bps AS twap_obj
    FROM evaluation.strategy_summary s
    JOIN evaluation.strategy_summary t ON t.scenario_id = s.scenario_id AND t.strategy = 'twap'
    JOIN scenarios.execution_scenarios c ON c.scenario_id = s.scenario_id
), tagged AS (
    SELECT impact_model, horizon_s, session_seconds, * EXCLUDE (impact_model, horizon_s, session_seconds) FROM rows
    UNION ALL
    SELECT 'all', NULL, NULL, * EXCLUDE (impact_model, horizon_s, session_seconds) FROM rows
)
SELECT impact_model, horizon_s, session_seconds, strategy, count(*) AS scenarios, max(n_episodes) AS n_episodes,
       avg(is_bps) AS is_improvement_bps, sqrt(sum(is_se * is_se)) / count(*) AS is_se_bps,
       avg(twap_is) AS twap_is_bps, 100.0 / nullif(avg(abs(twap_is)), 0) AS is_pct_scale,
       avg(obj_bps) AS objective_improvement_bps, sqrt(sum(obj_se * obj_se)) / count(*) AS objective_se_bps,
       avg(twap_obj) AS twap_objective_bps, 100.0 / nullif(avg(abs(twap_obj)), 0) AS objective_pct_scale
FROM tagged
GROUP BY impact_model, horizon_s, session_seconds, strategy
ORDER BY impact_model = 'all', impact_model, horizon_s, session_seconds, strategy;
