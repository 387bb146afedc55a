-- The benchmark evaluation is rewritten as a whole: one experiment (one seed per scenario).
DELETE FROM evaluation.benchmark_results;
