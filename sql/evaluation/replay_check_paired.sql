-- Pairing of evaluation.replay_results: every (scenario, episode) starts on one day and second for
-- all strategies, and every strategy of a scenario has the same number of episodes.
WITH episodes AS (
    SELECT scenario_id, episode, count(DISTINCT date) AS days, count(DISTINCT start_second) AS seconds
    FROM evaluation.replay_results
    GROUP BY scenario_id, episode
), counts AS (
    SELECT scenario_id, count(DISTINCT n) AS distinct_counts
    FROM (SELECT scenario_id, strategy, count(*) AS n FROM evaluation.replay_results GROUP BY ALL)
    GROUP BY scenario_id
)
SELECT
    (SELECT count(*) FROM episodes WHERE days > 1 OR seconds > 1) AS unpaired_episodes,
    (SELECT count(*) FROM counts WHERE distinct_counts > 1) AS uneven_scenarios,
    (SELECT count(*) FROM counts) AS scenarios
