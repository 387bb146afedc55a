-- One row per replayed episode and strategy (execution_assets/evaluation/replay.py): recorded
-- instrument-days of features.book_1s and raw.l2_snapshots, split by date (real days test-only),
-- every strategy and the hindsight bound trading the same episodes (rows with equal
-- (scenario_id, episode) start at the same recorded second), each child order walking the
-- recorded depth. Key (scenario_id, strategy, episode); rewritten per (instrument, split).
CREATE TABLE IF NOT EXISTS evaluation.replay_results (
    instrument VARCHAR NOT NULL,
    date DATE NOT NULL,                      -- the recorded day the episode trades on
    split VARCHAR NOT NULL,                  -- train | validation | test (days split by date)
    scenario_id VARCHAR NOT NULL,            -- e.g. GOOG-replay-lin-5pct-60m-medium-buy-test
    group_id VARCHAR NOT NULL,               -- the scenario without its side: both sides start at the same seconds
    side TINYINT NOT NULL,                   -- +1 buy, -1 sell
    size_pct_adv DOUBLE NOT NULL,            -- order size, % of the calibrated ADV
    horizon_s DOUBLE NOT NULL,               -- seconds to complete the order
    strategy VARCHAR NOT NULL,               -- twap | vwap | pov | almgren_chriss | obizhaeva_wang | dqn | ppo | sac (ppo-s1, ...) | hindsight
    episode INTEGER NOT NULL,                -- 0-based episode of the scenario (same start for every strategy)
    start_second INTEGER NOT NULL,           -- seconds after the day's first stored second when the order arrives
    order_shares DOUBLE NOT NULL,            -- X, shares to execute
    is_bps DOUBLE NOT NULL,                  -- implementation shortfall vs the recorded arrival mid, bps, signed, never clipped
    arrival_slippage_bps DOUBLE NOT NULL,    -- average fill vs arrival mid, bps (= is_bps: the order always completes)
    vwap_slippage_bps DOUBLE NOT NULL,       -- average fill vs the recorded volume-weighted mid over the horizon, bps
    n_child_orders INTEGER NOT NULL,         -- steps with a non-zero trade
    level_1_shares DOUBLE,                   -- shares taken at book level 1 over the episode
    level_2_shares DOUBLE,                   -- at level 2 (NULL past the depth the source shows), and so on
    level_3_shares DOUBLE,                   -- shares taken at book level 3
    level_4_shares DOUBLE,                   -- shares taken at book level 4
    level_5_shares DOUBLE,                   -- shares taken at book level 5
    level_6_shares DOUBLE,                   -- shares taken at book level 6
    level_7_shares DOUBLE,                   -- shares taken at book level 7
    level_8_shares DOUBLE,                   -- shares taken at book level 8
    level_9_shares DOUBLE,                   -- shares taken at book level 9
    level_10_shares DOUBLE,                  -- shares taken at book level 10
    beyond_depth_shares DOUBLE NOT NULL      -- shares beyond the displayed depth (deepest price + calibrated temporary impact);
                                             -- for a book showing more than 10 levels, everything past level 10
);
