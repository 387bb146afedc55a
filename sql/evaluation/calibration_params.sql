-- The latest calibration per instrument with the 95% bounds the reports show.
SELECT instrument, as_of, n_days, adv_shares, eta, eta_ci_low, eta_ci_high, beta, beta_ci_low, beta_ci_high,
       gamma, gamma_ci_low, gamma_ci_high, kappa, kappa_ci_low, kappa_ci_high,
       transient_decay_per_s, sigma_daily, half_spread_bps, r2, null_reason
FROM calibration.latest_impact_params
ORDER BY instrument;
