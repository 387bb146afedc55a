-- The replay results of the (instrument, split) pairs a replay_results run covers, given as
-- 'instrument|split' keys in $keys.
DELETE FROM evaluation.replay_results WHERE list_contains($keys::VARCHAR[], instrument || '|' || split)
