-- Per strategy over the stored episodes: mean and std of IS, scenarios covered.
SELECT strategy, avg(is_bps) AS mean_is_bps, stddev_samp(is_bps) AS std_is_bps,
       count(DISTINCT scenario_id) AS scenarios, count(*) AS episodes
FROM evaluation.episode_results
GROUP BY strategy
ORDER BY mean_is_bps;
