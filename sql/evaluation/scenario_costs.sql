-- Per-episode IS of every strategy on one scenario.
SELECT strategy, episode, is_bps
FROM evaluation.episode_results
WHERE scenario_id = $scenario_id
ORDER BY strategy, episode;
