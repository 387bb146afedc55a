-- The evaluation is rewritten as a whole: it is one experiment (one seed per scenario).
DELETE FROM evaluation.episode_results;
