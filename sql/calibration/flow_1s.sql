-- Per second of $instrument, sessions $date_from..$date_to: the mid at the end of the second,
-- the quoted spread, and the volume and aggressor-signed volume traded during the second.
SELECT
    date,
    (epoch(ts - (date + TIME '09:30:00')))::INTEGER AS second,
    mid,
    spread_bps,
    volume_1s,
    signed_volume_1s
FROM features.book_1s
WHERE instrument = $instrument AND date BETWEEN $date_from AND $date_to
ORDER BY date, ts
