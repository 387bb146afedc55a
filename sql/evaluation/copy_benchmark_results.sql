-- episode_results starts as the benchmarks' rows; the agents' rows on the same paths follow.
INSERT INTO evaluation.episode_results BY NAME SELECT * FROM evaluation.benchmark_results;
