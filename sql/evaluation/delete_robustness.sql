-- The robustness study is rewritten as a whole (its p-values are corrected across all rows).
DELETE FROM evaluation.robustness;
