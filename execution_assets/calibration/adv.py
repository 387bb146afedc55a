"""Average daily volume (ADV): the unit every size and trading rate is expressed in."""

from __future__ import annotations

import polars as pl

ADV_WINDOW = 20


def rolling_adv(daily_volume: pl.DataFrame, bars: pl.DataFrame | None = None, window: int = ADV_WINDOW) -> pl.DataFrame:
    """ADV on every session of ``daily_volume`` (columns ``date, volume``, optionally
    ``session_coverage``: the share of the trading day the date's data cover, whose volume then
    counts as ``volume / session_coverage``, the whole day's at the same rate; a 4-minute sample
    of a 23-hour market is not a day's volume).

    On date d: the mean of the ``window`` sessions ending at d (inclusive) when the traded
    history has that many ("trades"); otherwise the same mean over the daily bars
    (``date, volume`` in shares traded at the time) when they hold ``window`` sessions up to and
    including d ("daily_bars"); otherwise the mean of the sessions there are ("trades_partial").
    For a pre-trade ADV on date d, use the row of the session before d. ``bars_source`` names
    the bars (their ``source`` column: the file, e.g. consolidated volume rather than the one
    venue a LOBSTER day covers) on the rows that use them.
    """
    if window < 1:
        raise ValueError(f"ADV window must be >= 1 session, got {window}")
    coverage = pl.col("session_coverage") if "session_coverage" in daily_volume.columns else pl.lit(None)
    traded = daily_volume.select("date", "volume", coverage=coverage.cast(pl.Float64)).sort("date")
    if traded["volume"].null_count() or (traded["volume"] <= 0).any():
        raise ValueError("daily volume must be > 0 on every session (sessions without trades have no row)")
    if (traded["coverage"] <= 0).any():
        raise ValueError("session_coverage must be > 0 where it is known")
    bar_volume = bars.select("date", "volume").sort("date") if bars is not None else None
    rows = []
    dates = traded["date"].to_list()
    observed = traded["volume"].to_list()
    coverages = traded["coverage"].to_list()
    volumes = [v / (c or 1.0) for v, c in zip(observed, coverages)]
    bar_dates = bar_volume["date"].to_list() if bar_volume is not None else []
    bar_values = bar_volume["volume"].to_list() if bar_volume is not None else []
    bars_on = dict(zip(bar_dates, bar_values))
    bars_name = bars["source"][0] if bars is not None and "source" in bars.columns and bars.height else "daily bars"
    for i, date in enumerate(dates):
        history = volumes[max(0, i + 1 - window) : i + 1]
        start = dates[max(0, i + 1 - window)]
        source = "trades"
        if len(history) < window and date in bars_on:
            j = bar_dates.index(date)
            if j + 1 >= window:
                history, start, source = bar_values[j + 1 - window : j + 1], bar_dates[j + 1 - window], "daily_bars"
        if source == "trades" and len(history) < window:
            source = "trades_partial"
        rows.append(
            {
                "date": date,
                "adv_20d": sum(history) / len(history),
                "n_days": len(history),
                "source": source,
                "window_start": start,
                "observed_volume": observed[i],
                "bars_volume": bars_on.get(date),
                "bars_source": bars_name if source == "daily_bars" else None,
                "session_coverage": coverages[i],
            }
        )
    schema = {
        "date": pl.Date(),
        "adv_20d": pl.Float64(),
        "n_days": pl.Int32(),
        "source": pl.String(),
        "window_start": pl.Date(),
        "observed_volume": pl.Float64(),
        "bars_volume": pl.Float64(),
        "bars_source": pl.String(),
        "session_coverage": pl.Float64(),
    }
    return pl.DataFrame(rows, schema=schema)
