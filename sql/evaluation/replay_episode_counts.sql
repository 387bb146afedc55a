-- Episodes per replayed scenario: the fewest any strategy has, and the strategies.
SELECT instrument, split, scenario_id, min(n) AS min_episodes, count(*) AS strategies
FROM (SELECT instrument, split, scenario_id, strategy, count(*) AS n FROM evaluation.replay_results GROUP BY ALL)
GROUP BY ALL
ORDER BY ALL
