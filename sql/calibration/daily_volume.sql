-- Volume, notional, trade count and VWAP per session of $instrument, from raw.trades.
SELECT
    instrument,
    date,
    sum(size)::DOUBLE AS volume,
    sum(price * size) AS notional,
    count(*) AS n_trades,
    sum(price * size) / sum(size) AS vwap,
    coalesce(sum(size) FILTER (WHERE side = 1), 0)::DOUBLE AS buy_volume,
    coalesce(sum(size) FILTER (WHERE side = -1), 0)::DOUBLE AS sell_volume
FROM raw.trades
WHERE instrument = $instrument
GROUP BY instrument, date
HAVING sum(size) > 0
ORDER BY date
