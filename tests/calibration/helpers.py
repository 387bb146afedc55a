"""Shared set-up of the calibration tests: simulated sessions in an in-memory warehouse."""

import dataclasses
import datetime as dt

import duckdb

from execution_assets.calibration import store
from execution_assets.calibration.adv import ADV_WINDOW
from execution_assets.features import write_book_features
from execution_assets.impact import ImpactParams
from execution_assets.market.calendar import SYNTHETIC_START
from execution_assets.market.calendar import business_days as weekdays_from
from execution_assets.market.instruments import DEFAULT_INSTRUMENTS
from execution_assets.market.landing import synthetic_seed
from execution_assets.market.synthetic import InstrumentSpec, simulate_market_day
from execution_assets.warehouse import ensure_tables, insert_frame

START = SYNTHETIC_START

# Square-root impact, temporary and permanent: gamma = Y * sigma_daily with Y = 1/2 (the
# empirical square-root law's order of magnitude), on the liquid instrument's market.
SQUARE_ROOT = InstrumentSpec(
    "SYNTH_SQRT",
    dataclasses.replace(
        DEFAULT_INSTRUMENTS["SYNTH_LIQ"].params,
        impact=ImpactParams(eta=3e-4, beta=0.5, gamma=6e-3, delta=0.5, kappa=0.3, transient_decay_per_s=0.2),
    ),
)
# No transient impact at all: kappa and its decay must come back NULL with a reason.
NO_TRANSIENT = InstrumentSpec(
    "SYNTH_NOTRANSIENT",
    dataclasses.replace(
        DEFAULT_INSTRUMENTS["SYNTH_LIQ"].params,
        impact=ImpactParams(eta=2e-4, beta=0.6, gamma=0.15, delta=1.0, kappa=0.0, transient_decay_per_s=0.0),
    ),
)


def business_days(n: int, start: dt.date = START) -> list[dt.date]:
    return weekdays_from(start, n)


def simulated_warehouse(
    spec: InstrumentSpec, n_days: int, start: dt.date = START
) -> tuple[duckdb.DuckDBPyConnection, dict]:
    """An in-memory warehouse holding ``n_days`` simulated sessions from ``start`` (raw tables and features)."""
    con = duckdb.connect()
    ensure_tables(con)
    days = business_days(n_days, start)
    for day in days:
        # a test bed (NAME_HI) replays its base instrument's draws with stronger impact
        simulated = simulate_market_day(spec, day, seed=synthetic_seed(spec.name.removesuffix("_HI"), day))
        insert_frame(con, "raw.l2_snapshots", simulated.snapshots)
        insert_frame(con, "raw.trades", simulated.trades)
    write_book_features(con, spec.name, days[0], days[-1])
    return con, simulated.truth


def calibrate_all(con: duckdb.DuckDBPyConnection, instrument: str, bars=None, bucket_minutes: int = 5):
    """Every calibration step in the order of the assets; returns (volume curve frame, calibration, adv row)."""
    store.write_daily_volume(con, instrument)
    store.write_adv(con, instrument, bars, ADV_WINDOW)
    _, _, curve = store.calibrate_volume_curve(con, instrument, 60, bucket_minutes)
    calibration, adv_row = store.calibrate_instrument(con, instrument, 60, dt.datetime(2024, 6, 1))
    return curve, calibration, adv_row
