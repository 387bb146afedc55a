-- Sessions of $instrument in raw.trades without a daily_volume row, and rows that break the
-- table's invariants (volume or VWAP not positive, buy + sell more than the volume: prints
-- without an aggressor, side 0, are the rest).
SELECT
    (SELECT count(*) FROM (SELECT DISTINCT date FROM raw.trades WHERE instrument = $instrument) AS t
        ANTI JOIN calibration.daily_volume AS v ON v.instrument = $instrument AND v.date = t.date) AS missing_sessions,
    (SELECT count(*) FROM calibration.daily_volume
        WHERE instrument = $instrument
          AND (volume <= 0 OR vwap <= 0 OR buy_volume < 0 OR sell_volume < 0
               OR buy_volume + sell_volume - volume > 1e-6 * volume)) AS bad_rows,
    (SELECT count(*) FROM calibration.daily_volume WHERE instrument = $instrument) AS sessions
