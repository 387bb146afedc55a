-- Pairing of the stored episodes: every (scenario, strategy) holds episodes 0..n-1 with one n.
WITH pairs AS (
    SELECT scenario_id, strategy, count(*) AS n, count(DISTINCT episode) AS distinct_episodes,
           min(episode) AS lo, max(episode) AS hi
    FROM evaluation.episode_results GROUP BY ALL
)
SELECT count(*) AS pairs,
       count(DISTINCT n) AS distinct_counts,
       count(*) FILTER (WHERE distinct_episodes <> n OR lo <> 0 OR hi <> n - 1) AS gapped_pairs
FROM pairs;
