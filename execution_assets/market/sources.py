"""One instrument-day of raw data from wherever it comes from: a landing file or the synthetic market."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from execution_assets.market.databento import read_dbn
from execution_assets.market.errors import RawDataError
from execution_assets.market.generic import read_l2_snapshots, read_trades
from execution_assets.market.instruments import DEFAULT_INSTRUMENTS
from execution_assets.market.landing import LandingDay, discover_landing_days, synthetic_seed
from execution_assets.market.lobster import read_lobster
from execution_assets.market.synthetic import simulate_market_day
from execution_assets.market.validation import RawDay, split_snapshots, split_trades


def _read_landing_day(day: LandingDay) -> RawDay:
    if day.format == "lobster":
        return read_lobster(*day.files)
    if day.format == "databento":
        return read_dbn(day.files, day.instrument, day.date)
    l2, trades = read_l2_snapshots(day.files[0]), read_trades(day.files[1])
    return RawDay(
        instrument=day.instrument,
        date=day.date,
        source=f"{day.files[0]}, {day.files[1]}",
        snapshots=l2.snapshots,
        trades=trades.trades,
        quarantine=pl.concat([l2.quarantine, trades.quarantine]),
    )


def _simulate_day(instrument: str, date: dt.date) -> RawDay:
    source = f"synthetic:{instrument}:{date.isoformat()}"
    simulated = simulate_market_day(instrument, date, seed=synthetic_seed(instrument, date))
    snapshots, snapshot_rejects = split_snapshots(simulated.snapshots, source)
    trades, trade_rejects = split_trades(simulated.trades, source)
    return RawDay(instrument, date, source, snapshots, trades, pl.concat([snapshot_rejects, trade_rejects]))


def _confine_to_partition(day: RawDay, instrument: str, date: dt.date) -> RawDay:
    """Check a landing day holds only its own instrument-day; file its rejects under it.

    Rows of another instrument-day would land in a partition that does not own them, so they
    fail the read with a clear error. Quarantined rows whose own instrument/date could not be
    read are filed under the partition, so re-materializing it replaces them.
    """
    for table, frame in (("snapshots", day.snapshots), ("trades", day.trades)):
        strays = frame.filter((pl.col("instrument") != instrument) | (pl.col("date") != date))
        if strays.height:
            first = strays.row(0, named=True)
            raise RawDataError(
                day.source,
                None,
                f"{strays.height} {table} row(s) belong to another instrument-day "
                f"(first: {first['instrument']} {first['date']}); a landing file holds one instrument-day, "
                f"{instrument} {date} here",
            )
    quarantine = day.quarantine.with_columns(instrument=pl.lit(instrument), date=pl.lit(date))
    return RawDay(instrument, date, day.source, day.snapshots, day.trades, quarantine)


def load_raw_day(instrument: str, date: dt.date, landing_folder: Path) -> RawDay:
    """Validated snapshots, trades and quarantined rows of one instrument-day.

    Landing files take precedence; a built-in synthetic instrument without files is simulated
    with a seed fixed by (instrument, date), so re-materializing reproduces the same day.
    """
    landing = discover_landing_days(landing_folder).get((instrument, date))
    if landing is not None:
        return _confine_to_partition(_read_landing_day(landing), instrument, date)
    if instrument in DEFAULT_INSTRUMENTS:
        return _simulate_day(instrument, date)
    raise FileNotFoundError(
        f"no raw data for {instrument} {date}: no landing files in {landing_folder} "
        f"and not a built-in synthetic instrument ({', '.join(DEFAULT_INSTRUMENTS)})"
    )
