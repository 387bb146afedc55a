-- Every replay summary row: the summary is recomputed from the whole of evaluation.replay_results
-- (p-values Holm-corrected across all rows of a strategy).
DELETE FROM evaluation.replay_summary
