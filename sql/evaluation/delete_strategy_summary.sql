-- The summary is rewritten as a whole: its p-values are corrected across all its scenarios.
DELETE FROM evaluation.strategy_summary;
