-- Invariants of the stored episodes: the order always completes, costs are finite.
SELECT count(*) AS episodes,
       coalesce(max(abs(filled_frac - 1.0)), 0.0) AS max_unfilled_frac,
       count(*) FILTER (WHERE NOT isfinite(is_bps)) AS non_finite_is,
       coalesce(sum(invalid_actions), 0) AS invalid_actions,
       count(DISTINCT scenario_id) AS scenarios
FROM evaluation.episode_results;
