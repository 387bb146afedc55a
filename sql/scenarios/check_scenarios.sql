-- Counts of rule violations in scenarios.execution_scenarios (0 = the rule holds).
WITH cells AS (
    SELECT instrument, split, count(*) AS n FROM scenarios.execution_scenarios GROUP BY ALL
), intervals AS (
    SELECT instrument, split, horizon_s, max(decision_interval_s) AS hi, min(decision_interval_s) AS lo
    FROM scenarios.execution_scenarios GROUP BY ALL
)
SELECT
    (SELECT count(*) FROM scenarios.execution_scenarios) AS n_rows,
    (SELECT count(*) - count(DISTINCT scenario_id) FROM scenarios.execution_scenarios) AS duplicate_ids,
    (SELECT count(*) - count(DISTINCT seed) FROM scenarios.execution_scenarios) AS duplicate_seeds,
    (SELECT count(*) FROM scenarios.execution_scenarios
     WHERE NOT ((split = 'train' AND seed >= 0 AND seed < 1000000)
             OR (split = 'validation' AND seed >= 1000000 AND seed < 2000000)
             OR (split = 'test' AND seed >= 2000000 AND seed < 3000000))) AS seeds_out_of_split_range,
    (SELECT count(*) FROM scenarios.execution_scenarios WHERE n_steps NOT BETWEEN 20 AND 100) AS steps_out_of_range,
    (SELECT count(*) FROM intervals a JOIN intervals b USING (instrument, split)
     WHERE a.horizon_s < b.horizon_s AND a.hi > b.lo) AS interval_not_growing,
    (SELECT count(*) FROM scenarios.execution_scenarios
     WHERE NOT (eta > 0 AND beta > 0 AND gamma >= 0 AND kappa >= 0 AND transient_decay_per_s >= 0
                AND sigma_daily >= 0 AND half_spread_bps >= 0 AND adv_shares > 0 AND risk_aversion >= 0
                AND isfinite(eta) AND isfinite(gamma) AND isfinite(risk_aversion))) AS bad_parameters,
    (SELECT count(*) FROM cells WHERE n <> (SELECT max(n) FROM cells)) AS incomplete_instrument_splits;
