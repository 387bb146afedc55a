-- One row per strategy over the evaluated scenarios: average cost, average and median paired
-- improvement vs TWAP, how often it is significantly better or worse than TWAP (Holm-corrected
-- p < 0.05), the median oracle efficiency where the oracle leaves room, and the rank by mean
-- improvement in mean IS (bps); mean_objective_improvement_bps is the same on the risk-adjusted
-- cost mean(IS + risk penalty) that the optimizing strategies minimize. Example: SELECT * FROM evaluation.leaderboard ORDER BY rank;
CREATE OR REPLACE VIEW evaluation.leaderboard AS
SELECT
    strategy,
    count(*) AS scenarios,
    avg(mean_is_bps) AS mean_is_bps,
    avg(cvar95_is_bps) AS mean_cvar95_is_bps,
    avg(improvement_vs_twap_bps) AS mean_improvement_bps,
    median(improvement_vs_twap_pct) AS median_improvement_pct,
    avg(improvement_objective_bps) AS mean_objective_improvement_bps,
    avg(CASE WHEN p_value < 0.05 AND improvement_vs_twap_bps > 0 THEN 1.0 ELSE 0.0 END) AS share_better_than_twap,
    avg(CASE WHEN p_value < 0.05 AND improvement_vs_twap_bps < 0 THEN 1.0 ELSE 0.0 END) AS share_worse_than_twap,
    median(oracle_efficiency) AS median_oracle_efficiency,
    median(oracle_efficiency_objective) AS median_oracle_efficiency_objective,
    rank() OVER (ORDER BY avg(improvement_vs_twap_bps) DESC) AS rank
FROM evaluation.strategy_summary
GROUP BY strategy;
