-- Recorded days of one instrument for the replay market (execution_assets.sim.replay.load_replay_book):
-- one row per stored second, ordered by (date, ts), for the dates in the list $dates (every stored
-- day when it is NULL): the level-1 features and printed volume of features.book_1s beside the
-- depth of raw.l2_snapshots (every level it has). Seconds without a snapshot are filled on the
-- 1-second grid by the reader (``book_from_frame``: the last book carried forward, no volume).
SELECT
    f.date, f.ts, f.mid, f.spread_bps, f.microprice, f.imbalance_1, f.imbalance_5,
    f.volume_1s, f.signed_volume_1s,
    s.* EXCLUDE (instrument, date, ts)
FROM features.book_1s AS f
JOIN raw.l2_snapshots AS s USING (instrument, date, ts)
WHERE f.instrument = $instrument AND ($dates::DATE[] IS NULL OR list_contains($dates::DATE[], f.date))
ORDER BY f.date, f.ts
