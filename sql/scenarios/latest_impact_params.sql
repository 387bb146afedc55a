-- The latest calibration per instrument, with the columns the scenario grid reads.
SELECT instrument, as_of, adv_shares, eta, beta, gamma, delta, kappa, transient_decay_per_s,
       sigma_daily, half_spread_bps, session_seconds, null_reason
FROM calibration.latest_impact_params
ORDER BY instrument;
