-- The stored episodes of the given scenarios, ordered for the summary's reshaping.
SELECT scenario_id, strategy, episode, is_bps, arrival_slippage_bps, vwap_slippage_bps,
       filled_frac, n_child_orders, risk_penalty_bps, invalid_actions
FROM evaluation.episode_results
WHERE list_contains($scenario_ids, scenario_id)
ORDER BY scenario_id, strategy, episode;
