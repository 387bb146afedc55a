-- One row per scenario, strategy and simulated episode of the evaluation (test split): the rows of
-- evaluation.benchmark_results and the trained agents on the same paths. Every strategy of a
-- scenario trades the same price paths (episode i of each strategy shares its path), so rows with
-- equal (scenario_id, episode) are paired. Key (scenario_id, strategy, episode).
CREATE TABLE IF NOT EXISTS evaluation.episode_results (
    scenario_id VARCHAR NOT NULL,          -- scenarios.execution_scenarios.scenario_id
    strategy VARCHAR NOT NULL,             -- the benchmarks (benchmark_results) | dqn | ppo | sac
    episode INTEGER NOT NULL,              -- 0-based path index within the scenario's seed
    is_bps DOUBLE NOT NULL,                -- implementation shortfall, bps of arrival notional, signed, never clipped
    arrival_slippage_bps DOUBLE NOT NULL,  -- average fill vs arrival mid, bps (= is_bps when the order completes)
    vwap_slippage_bps DOUBLE NOT NULL,     -- average fill vs the market's VWAP over the horizon, bps
    filled_frac DOUBLE NOT NULL,           -- share of the order executed (1: the order always completes)
    n_child_orders INTEGER NOT NULL,       -- steps with a non-zero trade
    risk_penalty_bps DOUBLE NOT NULL,      -- lambda * sum of step variances of the remaining order (the objective's risk term)
    invalid_actions INTEGER NOT NULL       -- NaN actions (counted as 0)
);
