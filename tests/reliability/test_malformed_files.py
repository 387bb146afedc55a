"""Every kind of malformed landing file fails its run with an error naming the file (and the line
where there is one), and leaves everything stored exactly as it was."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from execution_assets.defs.partitions import instrument_date_key, register_partitions
from tests.reliability.conftest import table_hashes
from tests.reliability.landing import LOBSTER_DAY, write_generic_day, write_short_lobster_day

GENERIC_DAY = ("ACME", dt.date(2024, 3, 1))


class Landed:
    """One generic and one LOBSTER instrument-day ingested into a private warehouse."""

    def __init__(self, data_dir: Path) -> None:
        from execution_assets.definitions import defs

        self.data_dir = data_dir
        self.instance = dg.DagsterInstance.ephemeral()
        self.job = defs().resolve_job_def("ingest_job")
        raw = data_dir / "raw"
        self.l2, self.trades = write_generic_day(raw, *GENERIC_DAY, seed=3, seconds=1800)
        self.message, self.orderbook = write_short_lobster_day(raw)
        register_partitions(self.instance, [GENERIC_DAY, LOBSTER_DAY])
        for day in (GENERIC_DAY, LOBSTER_DAY):
            assert self.ingest(day).success
        self.hashes = table_hashes(data_dir / "warehouse.duckdb")

    def ingest(self, day: tuple[str, dt.date]) -> dg.ExecuteInProcessResult:
        return self.job.execute_in_process(
            partition_key=instrument_date_key(*day), instance=self.instance, raise_on_error=False
        )


@pytest.fixture(scope="module")
def landed(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        data_dir = tmp_path_factory.mktemp("malformed") / "data"
        patch.setenv("EXECUTION_DATA_DIR", str(data_dir))
        yield Landed(data_dir)


def _lines(edit: Callable[[list[str]], list[str]]) -> Callable[[bytes], bytes]:
    return lambda content: ("\n".join(edit(content.decode().splitlines())) + "\n").encode()


def _set_field(line: int, field: int, value: str) -> Callable[[bytes], bytes]:
    """Replace one field of one file line (1-based, as an editor numbers them)."""

    def edit(lines: list[str]) -> list[str]:
        fields = lines[line - 1].split(",")
        fields[field] = value
        lines[line - 1] = ",".join(fields)
        return lines

    return _lines(edit)


def _parquet(edit: Callable[[pl.DataFrame], pl.DataFrame]) -> Callable[[bytes], bytes]:
    def rewrite(content: bytes) -> bytes:
        out = io.BytesIO()
        edit(pl.read_parquet(io.BytesIO(content))).write_parquet(out)
        return out.getvalue()

    return rewrite


# (file, corruption, the error it must raise: file name, line where there is one, the rule)
CASES = {
    "parquet: not parquet at all": ("l2", lambda b: b"PAR1 not a parquet file", r"l2\.parquet: unreadable parquet file"),
    "parquet: truncated": ("l2", lambda b: b[: len(b) // 2], r"l2\.parquet: unreadable parquet file"),
    "parquet: column missing": (
        "l2", _parquet(lambda f: f.drop("ts")),
        r"l2\.parquet: columns do not match the raw\.l2_snapshots contract: missing \['ts'\]",
    ),
    "parquet: unexpected column": (
        "l2", _parquet(lambda f: f.with_columns(venue=pl.lit("X"))),
        r"l2\.parquet: columns do not match .*unexpected \['venue'\]",
    ),
    "parquet: value of the wrong type": (
        "l2", _parquet(lambda f: f.with_columns(ask_px_1=f["ask_px_1"].cast(pl.String).scatter(6, "n/a"))),
        r"l2\.parquet, line 7: column 'ask_px_1': cannot read 'n/a'",
    ),
    "parquet: timezone-aware timestamps": (
        "l2", _parquet(lambda f: f.with_columns(ts=pl.col("ts").dt.replace_time_zone("America/New_York"))),
        r"l2\.parquet: column 'ts' is timezone-aware",
    ),
    "csv: empty file": ("trades", lambda b: b"", r"trades\.csv, line 1: unreadable CSV header: empty CSV"),
    "csv: wrong columns": (
        "trades", lambda b: b"a,b,c\n1,2,3\n", r"trades\.csv, line 1: columns do not match the raw\.trades contract",
    ),
    "csv: ragged line": ("trades", _set_field(10, 5, "1,extra"), r"trades\.csv, line 10: 7 fields, expected 6"),
    "csv: unparseable price": (
        "trades", _set_field(4, 3, "12..5"), r"trades\.csv, line 4: column 'price': cannot read '12\.\.5'",
    ),
    "csv: unparseable timestamp": ("trades", _set_field(8, 2, "2024-03-01 25:61:00"), r"trades\.csv, line 8: column 'ts'"),
    "csv: fractional size": ("trades", _set_field(3, 4, "10.5"), r"trades\.csv, line 3: column 'size'"),
    "csv: a row of another instrument": (
        "trades", _set_field(6, 0, "OTHER"),
        r"trades\.csv.*1 trades row\(s\) belong to another instrument-day \(first: OTHER 2024-03-01\)",
    ),
    "csv: binary garbage": (
        "trades", lambda b: bytes(range(256)) * 8, r"trades\.csv, line 1: columns do not match the raw\.trades contract",
    ),
    "lobster message: wrong column count": (
        "message", _lines(lambda lines: [line + ",0" for line in lines]),
        r"message_1\.csv, line 1: 7 columns, a LOBSTER message file has 6",
    ),
    "lobster message: unreadable time": ("message", _set_field(5, 0, "34200.x"), r"message_1\.csv, line 5: column 'time'"),
    "lobster message: time goes backwards": (
        "message", _set_field(50, 0, "34100.0"), r"message_1\.csv, line 50: time goes backwards",
    ),
    "lobster message: ragged line": ("message", _set_field(20, 2, "1,2"), r"message_1\.csv, line 20: 7 fields, expected 6"),
    "lobster orderbook: rows missing": (
        "orderbook", _lines(lambda lines: lines[:-10]), r"message_1\.csv: 3,000 rows but its orderbook file \S*orderbook_1\.csv has 2,990",
    ),
    "lobster orderbook: wrong width": (
        "orderbook", _lines(lambda lines: [line + ",1,2" for line in lines]),
        r"orderbook_1\.csv, line 1: 6 columns, expected 4 x level 1 = 4",
    ),
    "lobster orderbook: unparseable size": (
        "orderbook", _set_field(30, 1, "lots"), r"orderbook_1\.csv, line 30: column 'ask_sz_1'",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_malformed_file_fails_clearly_and_keeps_everything_stored(landed, case):
    which, corrupt, error = CASES[case]
    path = {"l2": landed.l2, "trades": landed.trades, "message": landed.message, "orderbook": landed.orderbook}[which]
    day = LOBSTER_DAY if which in ("message", "orderbook") else GENERIC_DAY
    original = path.read_bytes()
    path.write_bytes(corrupt(original))
    try:
        result = landed.ingest(day)
    finally:
        path.write_bytes(original)
    assert not result.success
    failure = result.failure_data_for_node("raw_market_data")
    assert failure is not None, "the ingest step itself must fail"
    raised = failure.error.cause or failure.error
    assert raised.cls_name == "RawDataError", f"{case}: {raised.cls_name}: {raised.message}"
    assert re.search(error, raised.message), f"{case}: {raised.message}"
    assert table_hashes(landed.data_dir / "warehouse.duckdb") == landed.hashes
