-- Every replayed episode (evaluation.replay_results), in a stable order.
SELECT * FROM evaluation.replay_results ORDER BY instrument, split, scenario_id, strategy, episode
