-- Mid path of one instrument-day for replay (execution_assets.sim.replay.load_replay_mid):
-- one row per second from the first to the last snapshot of the day; a second without a
-- snapshot carries the last observed mid forward (ASOF join on the 1-second grid).
WITH day AS (
    SELECT ts, mid
    FROM features.book_1s
    WHERE instrument = $instrument AND date = $date
),
grid AS (
    SELECT unnest(generate_series(min(ts), max(ts), INTERVAL 1 SECOND)) AS ts
    FROM day
)
SELECT grid.ts, day.mid
FROM grid ASOF LEFT JOIN day ON grid.ts >= day.ts
ORDER BY grid.ts
