-- The scenarios the benchmarks were evaluated on, with their paths per scenario (every strategy
-- of a scenario has the same number: the paired check of benchmark_results).
SELECT scenario_id, max(episode) + 1 AS n_episodes
FROM evaluation.benchmark_results
GROUP BY scenario_id
ORDER BY scenario_id;
