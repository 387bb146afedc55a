"""Databento readers on the shared CME samples, against counts and books taken independently from
the raw DBN records (decoded here with ``databento_dbn`` itself, not through the reader)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import databento_dbn as dbn
import dagster as dg
import pytest

from execution_assets import warehouse
from execution_assets.market.databento import read_dbn, read_header
from execution_assets.market.errors import RawDataError
from execution_assets.market.landing import discover_landing_days, link_into_landing
from execution_assets.market.validation import validate_contract
from execution_assets.paths import SHARED_DATA_DIR
from schemas.raw import L2SnapshotsModel, QuarantineModel, TradesModel

DATABENTO = SHARED_DATA_DIR / "databento"
ESM4_MBO = DATABENTO / "orderbooks_mbo_2024-05-08T00-00-00_2024-05-08T00-00-02.dbn.zst"
ESU4_MBP1 = DATABENTO / "futures_mbp-1_2024-07-01T23-58_2024-07-02T00-02.dbn.zst"
ESU4_TRADES = DATABENTO / "futures_trades_2024-07-01T23-58_2024-07-02T00-02.dbn.zst"
CLX5_MBO = DATABENTO / "CLX5_mbo.dbn"
CHICAGO = ZoneInfo("America/Chicago")
SIDE = {"B": 1, "A": -1, "N": 0}


def raw_records(path):
    compression = dbn.Compression.ZSTD if path.name.endswith(".zst") else dbn.Compression.NONE
    return dbn.DBNDecoder(compression=compression).write_and_decode(path.read_bytes())[1:]


def raw_trade_counts(path):
    """(prints, contracts, contracts by aggressor side) of the T records."""
    trades = [r for r in raw_records(path) if r.action.value == "T"]
    by_side = Counter()
    for r in trades:
        by_side[SIDE[r.side.value]] += r.size
    return len(trades), sum(r.size for r in trades), dict(by_side)


def local_second(ts_recv_ns):
    utc = dt.datetime.fromtimestamp(ts_recv_ns // 1_000_000_000, dt.timezone.utc)
    return utc.astimezone(CHICAGO).replace(tzinfo=None)


def raw_touch_by_second(path):
    """Best bid and ask (price, size) after the last record of each second, from a book built here
    with a plain order dict (MBO) or read off the record (MBP-1)."""
    orders, touch = {}, {}
    for r in raw_records(path):
        if r.rtype == dbn.RType.MBO:
            action = r.action.value
            if action == "R":
                orders.clear()
            elif action in "AM":
                orders[r.order_id] = (r.side.value, r.price, r.size)
            elif action == "C" and r.order_id in orders:
                side, price, size = orders.pop(r.order_id)
                if size > r.size:
                    orders[r.order_id] = (side, price, size - r.size)
            bids = Counter()
            asks = Counter()
            for side, price, size in orders.values():
                (bids if side == "B" else asks)[price] += size
            bid = max(bids) if bids else None
            ask = min(asks) if asks else None
            touch[local_second(r.ts_recv)] = (bid, bids.get(bid), ask, asks.get(ask))
        else:
            level = r.levels[0]
            touch[local_second(r.ts_recv)] = (level.bid_px, level.bid_sz, level.ask_px, level.ask_sz)
    return {second: (b / 1e9 if b else None, bs, a / 1e9 if a else None, az) for second, (b, bs, a, az) in touch.items()}


@pytest.fixture(scope="module")
def esu4():
    return read_dbn([ESU4_MBP1, ESU4_TRADES], "ESU4", dt.date(2024, 7, 2))


@pytest.fixture(scope="module")
def clx5():
    return read_dbn([CLX5_MBO], "CLX5", dt.date(2025, 9, 24))


@pytest.fixture(scope="module")
def esm4():
    return read_dbn([ESM4_MBO], "ESM4", dt.date(2024, 5, 8))


def side_volume(trades):
    return {side: int(trades.filter(trades["side"] == side)["size"].sum()) for side in trades["side"].unique()}


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ([ESM4_MBO], (5, 6, {1: 6})),
        ([ESU4_MBP1], (120, 253, {1: 142, -1: 111})),
        ([ESU4_TRADES], (120, 253, {1: 142, -1: 111})),
        ([CLX5_MBO], (1_599, None, None)),
    ],
)
def test_trade_counts_volume_and_aggressor_split_match_the_raw_records(files, expected):
    header = read_header(files[0])
    (symbol,) = set(header.symbols.values())
    (date,) = header.trading_dates(symbol)
    day = read_dbn(files, symbol, date)
    n, volume, by_side = raw_trade_counts(files[0])
    assert (day.trades.height, int(day.trades["size"].sum())) == (n, volume)
    assert side_volume(day.trades) == {side: v for side, v in by_side.items() if v}
    assert day.trades.height == expected[0]
    if expected[1] is not None:
        assert (volume, by_side) == expected[1:]
    assert validate_contract(day.trades, TradesModel) == []


def test_clx5_keeps_prints_without_an_aggressor_with_side_zero(clx5):
    n_unsided = sum(1 for r in raw_records(CLX5_MBO) if r.action.value == "T" and r.side.value == "N")
    assert n_unsided > 0
    assert int((clx5.trades["side"] == 0).sum()) == n_unsided
    assert clx5.quarantine.is_empty()


def test_esu4_snapshots_cover_the_globex_window_on_the_next_trading_date(esu4):
    # 23:58-00:02 UTC on 2024-07-01/02 is 18:58-19:02 Chicago on July 1: Globex trading date July 2.
    assert set(esu4.snapshots["date"]) == {dt.date(2024, 7, 2)}
    assert set(esu4.trades["date"]) == {dt.date(2024, 7, 2)}
    seconds = sorted(esu4.snapshots["ts"].to_list() + [dt.datetime.fromisoformat(p)
                     for p in esu4.quarantine["payload"].str.json_path_match("$.ts").to_list()])
    assert seconds == [dt.datetime(2024, 7, 1, 18, 58) + dt.timedelta(seconds=i) for i in range(240)]
    # the first second has no record before 18:58:01.2, so no book: quarantined, not invented
    assert esu4.quarantine.height == 1 and esu4.quarantine["reason"][0].startswith("null bid_px_1")
    assert validate_contract(esu4.snapshots, L2SnapshotsModel) == []
    assert validate_contract(esu4.quarantine, QuarantineModel) == []


@pytest.mark.parametrize(
    ("day_fixture", "path", "seconds"),
    [
        ("esu4", ESU4_MBP1, ["18:58:01", "18:59:30", "18:59:59", "19:00:00", "19:01:59"]),
        ("esm4", ESM4_MBO, ["19:00:00", "19:00:01"]),
        ("clx5", CLX5_MBO, ["14:30:00", "14:45:17", "15:10:00", "15:59:59"]),
    ],
)
def test_best_bid_and_ask_at_chosen_seconds_match_the_raw_messages(request, day_fixture, path, seconds):
    day = request.getfixturevalue(day_fixture)
    touch = raw_touch_by_second(path)
    date = day.snapshots["ts"][0].date()
    rows = {r["ts"]: r for r in day.snapshots.iter_rows(named=True)}
    for clock in seconds:
        ts = dt.datetime.combine(date, dt.time.fromisoformat(clock))
        expected = touch[max(s for s in touch if s <= ts)]
        row = rows[ts]
        assert (row["bid_px_1"], row["bid_sz_1"], row["ask_px_1"], row["ask_sz_1"]) == expected, clock


def test_mbo_snapshots_have_ten_levels_and_pass_the_contract(esm4, clx5):
    assert esm4.snapshots.height == 2 and esm4.snapshots["ask_px_10"].null_count() == 0
    assert clx5.snapshots.height == 5_400  # 14:30-16:00 Chicago; 16:00-17:00 is the daily break
    assert clx5.snapshots["ts"].max() == dt.datetime(2025, 9, 24, 15, 59, 59)
    for day in (esm4, clx5):
        assert validate_contract(day.snapshots, L2SnapshotsModel) == []


def test_a_record_out_of_time_order_names_the_file_record_and_rule(tmp_path):
    data = bytearray(CLX5_MBO.read_bytes())
    records_at = 8 + int.from_bytes(data[4:8], "little")  # "DBN" + version, metadata length
    size = 4 * data[records_at]  # the record header's length, in 4-byte words
    records = raw_records(CLX5_MBO)
    k = next(i for i in range(100, len(records)) if records[i + 1].ts_recv > records[i].ts_recv)
    first, second = records_at + k * size, records_at + (k + 1) * size
    data[first:second], data[second : second + size] = data[second : second + size], data[first:second]
    broken = tmp_path / "CLX5_mbo.dbn"
    broken.write_bytes(bytes(data))
    with pytest.raises(RawDataError, match=rf"CLX5_mbo\.dbn, record {k + 2}: ts_recv goes backwards"):
        read_dbn([broken], "CLX5", dt.date(2025, 9, 24))


def test_landing_finds_each_instrument_day_of_the_folder():
    days = discover_landing_days(DATABENTO)
    assert {key: day.files for key, day in days.items()} == {
        ("ESM4", dt.date(2024, 5, 8)): (ESM4_MBO,),
        ("ESU4", dt.date(2024, 7, 2)): (ESU4_MBP1, ESU4_TRADES),
        ("CLX5", dt.date(2025, 9, 24)): (CLX5_MBO,),
    }


def test_esu4_ingests_through_dagster_with_passing_contracts(data_dir):
    from execution_assets.definitions import defs
    from execution_assets.defs.partitions import instrument_date_key, register_partitions

    link_into_landing([ESU4_MBP1], data_dir / "raw")
    instance = dg.DagsterInstance.ephemeral()
    register_partitions(instance, [("ESU4", dt.date(2024, 7, 2))])
    job = defs().resolve_job_def("ingest_job")
    result = job.execute_in_process(partition_key=instrument_date_key("ESU4", dt.date(2024, 7, 2)), instance=instance)
    assert result.success
    checks = {(e.asset_check_key.asset_key.to_user_string(), e.asset_check_key.name): e.passed
              for e in result.get_asset_check_evaluations()}
    assert checks[("raw_l2_snapshots", "contract")] and checks[("raw_trades", "contract")]
    with warehouse.connect(data_dir / "warehouse.duckdb") as con:
        where = {"instrument": "ESU4", "date": dt.date(2024, 7, 2)}
        assert warehouse.count_rows(con, "raw.l2_snapshots", where) == 239
        assert warehouse.count_rows(con, "raw.trades", where) == 120
