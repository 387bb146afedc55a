-- The replay summary (evaluation.replay_summary), in a stable order.
SELECT * FROM evaluation.replay_summary ORDER BY instrument, split, size_pct_adv, horizon_s, strategy
