-- Sessions of $instrument in raw.trades without a daily_volume row, and rows that break the
-- table's invariants (volume or VWAP not positive, buy + sell != volume).
SELECT
    (SELECT count(*) FROM (SELECT DISTINCT date FROM raw.trades WHERE instrument = $instrument) AS t
        ANTI JOIN calibration.daily_volume AS v ON v.instrument = $instrument AND v.date = t.date) AS missing_sessions,
    (SELECT count(*) FROM calibration.daily_volume
        WHERE instrument = $instrument
          AND (volume <= 0 OR vwap <= 0 OR abs(buy_volume + sell_volume - volume) > 1e-6 * volume)) AS bad_rows,
    (SELECT count(*) FROM calibration.daily_volume WHERE instrument = $instrument) AS sessions
