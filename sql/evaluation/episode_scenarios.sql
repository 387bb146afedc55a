-- The scenarios that have stored episodes.
SELECT DISTINCT scenario_id FROM evaluation.episode_results ORDER BY scenario_id;
