"""Recorded instrument-days for the replay market: the 1-second book, its depth and its prints.

A ``ReplayBook`` holds one instrument's stored days laid end to end on a 1-second grid (flat
arrays; ``day_start`` marks where each day begins), in the units the replay market needs:

- ``mid``, ``spread_bps``, ``microprice``: level 1 of the second (``features.book_1s``);
- ``imbalance_1`` / ``imbalance_5``: level-1 and level-1..5 depth imbalance in [-1, 1];
- ``volume`` / ``signed_volume``: shares printed during the second, signed by the aggressor;
- ``ask_offset`` / ``bid_offset`` (T, L): each displayed level's distance from the mid as a
  fraction of the mid (ask_px / mid - 1, 1 - bid_px / mid), float32; ``ask_size`` / ``bid_size``
  (T, L) its displayed shares. A level the source does not have carries the last displayed
  level's offset with size 0, so "the last level's price" is always the deepest one shown.

``imbalance_scale`` standardizes the two imbalances for the observation (their std over the
calibration window, ``signal_params``; by default over the book's own days). Days are
split by date (``split_days``): first 60% train, next 20% validation, last 20% test.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
import polars as pl

SPLITS = ("train", "validation", "test")
SPLIT_FRACTIONS = (0.6, 0.2, 0.2)
UNLIMITED_DEPTH = 1e30  # shares: a level no order can exhaust (tests, mid-only replay)


@dataclass(frozen=True)
class ReplayBook:
    instrument: str
    dates: tuple[dt.date, ...]
    day_start: np.ndarray  # (D + 1,) offsets of each day's first second in the flat arrays
    mid: np.ndarray  # (T,)
    spread_bps: np.ndarray  # (T,)
    microprice: np.ndarray  # (T,) the mid where the source has no level-1 sizes
    imbalance_1: np.ndarray  # (T,)
    imbalance_5: np.ndarray  # (T,)
    volume: np.ndarray  # (T,)
    signed_volume: np.ndarray  # (T,)
    ask_offset: np.ndarray  # (T, L) float32
    ask_size: np.ndarray  # (T, L) float32
    bid_offset: np.ndarray  # (T, L) float32
    bid_size: np.ndarray  # (T, L) float32
    imbalance_scale: tuple[float, float] = (1.0, 1.0)

    def __post_init__(self) -> None:
        t = self.mid.size
        if self.day_start.size != len(self.dates) + 1 or self.day_start[0] != 0 or self.day_start[-1] != t:
            raise ValueError(f"ReplayBook {self.instrument}: day_start must run 0..{t} with one entry per date + 1")
        if not np.all(np.diff(self.day_start) > 0):
            raise ValueError(f"ReplayBook {self.instrument}: every day needs at least one second")
        bad = np.flatnonzero(~(np.isfinite(self.mid) & (self.mid > 0)))
        if bad.size:
            day, second = self.locate(int(bad[0]))
            raise ValueError(
                f"ReplayBook {self.instrument} {day}: second {second} has mid {self.mid[bad[0]]!r}; "
                f"mids must be finite and > 0 ({bad.size} bad)"
            )
        for name in ("ask_size", "bid_size", "ask_offset", "bid_offset"):
            if getattr(self, name).shape[0] != t:
                raise ValueError(f"ReplayBook {self.instrument}: {name} has {getattr(self, name).shape[0]} rows, mid {t}")
        if min(self.imbalance_scale) <= 0:
            raise ValueError(f"ReplayBook {self.instrument}: imbalance_scale must be > 0, got {self.imbalance_scale}")

    @property
    def n_days(self) -> int:
        return len(self.dates)

    @property
    def n_levels(self) -> int:
        return self.ask_offset.shape[1]

    def day_seconds(self) -> np.ndarray:
        return np.diff(self.day_start)

    def locate(self, row: int) -> tuple[dt.date, int]:
        """(date, second of that day) of a flat row."""
        d = int(np.searchsorted(self.day_start, row, side="right") - 1)
        return self.dates[d], row - int(self.day_start[d])

    def select(self, dates: Sequence[dt.date]) -> ReplayBook:
        """The book restricted to ``dates`` (in this book's order); unknown dates are an error."""
        wanted = set(dates)
        unknown = wanted - set(self.dates)
        if unknown:
            raise ValueError(f"ReplayBook {self.instrument}: no stored day {sorted(unknown)[0]}")
        keep = [i for i, d in enumerate(self.dates) if d in wanted]
        if not keep:
            raise ValueError(f"ReplayBook {self.instrument}: no day selected")
        rows = np.concatenate([np.arange(self.day_start[i], self.day_start[i + 1]) for i in keep])
        sizes = np.diff(self.day_start)[keep]
        arrays = {name: getattr(self, name)[rows] for name in _ROW_ARRAYS}
        return replace(
            self,
            dates=tuple(self.dates[i] for i in keep),
            day_start=np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
            **arrays,
        )

    def with_imbalance_scale(self, level_1: float, level_5: float) -> ReplayBook:
        return replace(self, imbalance_scale=(float(level_1), float(level_5)))

    def depth_table(self, side: int) -> DepthTable:
        """The side an order of ``side`` takes (asks for a buy, bids for a sell), cumulated once."""
        if side == 1:
            return self._ask_table
        return self._bid_table

    @cached_property
    def _ask_table(self) -> DepthTable:
        return DepthTable.of(self.ask_offset, self.ask_size)

    @cached_property
    def _bid_table(self) -> DepthTable:
        return DepthTable.of(self.bid_offset, self.bid_size)


@dataclass(frozen=True)
class DepthTable:
    """One side's levels cumulated, so that walking the book is a count and three lookups.

    ``cum_size[t, j]`` = shares shown on levels 1..j of second t and ``cum_cost[t, j]`` = their
    sum of size x offset (fractions of the second's mid), both with a leading 0 column (L + 1).
    """

    offset: np.ndarray  # (T, L) float32
    cum_size: np.ndarray  # (T, L + 1) float32
    cum_cost: np.ndarray  # (T, L + 1) float32

    @classmethod
    def of(cls, offset: np.ndarray, size: np.ndarray) -> DepthTable:
        t, levels = size.shape
        cum_size = np.zeros((t, levels + 1), dtype=np.float32)
        np.cumsum(size, axis=1, out=cum_size[:, 1:])
        cum_cost = np.zeros((t, levels + 1), dtype=np.float32)
        np.cumsum(size.astype(float) * offset, axis=1, out=cum_cost[:, 1:], dtype=np.float32)
        return cls(offset=offset, cum_size=cum_size, cum_cost=cum_cost)


_ROW_ARRAYS = (
    "mid", "spread_bps", "microprice", "imbalance_1", "imbalance_5", "volume", "signed_volume",
    "ask_offset", "ask_size", "bid_offset", "bid_size",
)  # fmt: skip


def _std_or_one(values: np.ndarray) -> float:
    std = float(np.std(values)) if values.size > 1 else 0.0
    return std if std > 0 and np.isfinite(std) else 1.0


def book_from_frame(instrument: str, frame: pl.DataFrame, n_levels: int | None = None) -> ReplayBook:
    """A ``ReplayBook`` from stored seconds sorted by (date, ts).

    Columns: date, ts, mid, spread_bps, microprice, imbalance_1, imbalance_5, volume_1s,
    signed_volume_1s and bid_px_j / bid_sz_j / ask_px_j / ask_sz_j for j = 1..L (``sql/sim/
    replay_book.sql`` gives them). Each day is laid on its 1-second grid from its first to its
    last second: a second without a row carries the last book forward and prints nothing.
    ``n_levels`` keeps the first levels only (default: every level any row displays).
    """
    if frame.is_empty():
        raise ValueError(f"replay book {instrument}: no rows")
    frame = _on_second_grid(frame)
    levels = sorted(int(c.rsplit("_", 1)[1]) for c in frame.columns if c.startswith("ask_px_"))
    shown = [j for j in levels if frame[f"ask_px_{j}"].is_not_null().any() or frame[f"bid_px_{j}"].is_not_null().any()]
    if not shown:
        raise ValueError(f"replay book {instrument}: no row displays a price level (bid_px_1 / ask_px_1 all null)")
    depth = max(shown) if n_levels is None else min(n_levels, max(shown))
    mid = frame["mid"].to_numpy().astype(float)
    dates_col = frame["date"]
    boundaries = np.flatnonzero(dates_col.ne(dates_col.shift(1)).fill_null(True).to_numpy())
    day_start = np.concatenate([boundaries, [frame.height]]).astype(np.int64)
    dates = tuple(dates_col.gather(boundaries).to_list())

    def levels_of(side: str) -> tuple[np.ndarray, np.ndarray]:
        px = np.column_stack([frame[f"{side}_px_{j}"].to_numpy().astype(float) for j in range(1, depth + 1)])
        sz = np.column_stack([frame[f"{side}_sz_{j}"].fill_null(0).to_numpy().astype(float) for j in range(1, depth + 1)])
        offset = px / mid[:, None] - 1.0 if side == "ask" else 1.0 - px / mid[:, None]
        missing = ~np.isfinite(offset)
        sz[missing] = 0.0
        offset = _forward_fill_columns(offset)  # a level not shown: the deepest shown level's offset, no size
        return offset.astype(np.float32), sz.astype(np.float32)

    ask_offset, ask_size = levels_of("ask")
    bid_offset, bid_size = levels_of("bid")
    imb1 = frame["imbalance_1"].fill_null(0.0).fill_nan(0.0).to_numpy().astype(float)
    imb5 = frame["imbalance_5"].fill_null(0.0).fill_nan(0.0).to_numpy().astype(float)
    micro = frame["microprice"].fill_nan(None).to_numpy().astype(float)
    micro = np.where(np.isfinite(micro), micro, mid)
    return ReplayBook(
        instrument=instrument,
        dates=dates,
        day_start=day_start,
        mid=mid,
        spread_bps=frame["spread_bps"].fill_null(0.0).to_numpy().astype(float),
        microprice=micro,
        imbalance_1=imb1,
        imbalance_5=imb5,
        volume=frame["volume_1s"].fill_null(0.0).to_numpy().astype(float),
        signed_volume=frame["signed_volume_1s"].fill_null(0.0).to_numpy().astype(float),
        ask_offset=ask_offset,
        ask_size=ask_size,
        bid_offset=bid_offset,
        bid_size=bid_size,
        imbalance_scale=(_std_or_one(imb1), _std_or_one(imb5)),
    )


def _on_second_grid(frame: pl.DataFrame) -> pl.DataFrame:
    """Every second of each day from its first to its last row: missing books carried forward
    from the day's previous second, volume 0."""
    seconds = frame.group_by("date").agg(first=pl.col("ts").min(), last=pl.col("ts").max())
    expected = int((seconds["last"] - seconds["first"]).dt.total_seconds().sum()) + seconds.height
    if expected == frame.height:
        return frame
    grid = seconds.select("date", ts=pl.datetime_ranges("first", "last", interval="1s")).explode("ts")
    flow = ["volume_1s", "signed_volume_1s"]
    book = [c for c in frame.columns if c not in ("date", "ts", *flow)]
    filled = grid.join(frame, on=["date", "ts"], how="left").sort("date", "ts")
    return filled.with_columns(
        pl.col(book).forward_fill().over("date"), pl.col(flow).fill_null(0.0)
    ).filter(pl.col("mid").is_not_null())


def _forward_fill_columns(values: np.ndarray) -> np.ndarray:
    """NaN entries take the value of the nearest finite column to their left (the first column stays)."""
    out = values.copy()
    for j in range(1, out.shape[1]):
        gap = ~np.isfinite(out[:, j])
        out[gap, j] = out[gap, j - 1]
    out[~np.isfinite(out)] = 0.0
    return out


def book_from_mids(
    mids: Sequence[np.ndarray],
    dates: Sequence[dt.date] | None = None,
    instrument: str = "MIDS",
    volume: Sequence[np.ndarray] | None = None,
) -> ReplayBook:
    """Days of recorded mids as a book with zero spread and unlimited depth at the mid.

    Replay on it pays exactly the recorded mid (plus the agent's own impact): the
    mid-only replay of earlier versions, and the reference the depth-walking replay is tested
    against.
    """
    mids = [np.asarray(m, dtype=float) for m in mids]
    dates = tuple(dates) if dates is not None else tuple(dt.date(2000, 1, 3) + dt.timedelta(days=i) for i in range(len(mids)))
    mid = np.concatenate(mids)
    t = mid.size
    zeros = np.zeros(t)
    vol = np.concatenate([np.asarray(v, dtype=float) for v in volume]) if volume is not None else zeros
    depth = np.full((t, 1), UNLIMITED_DEPTH, dtype=np.float32)
    offset = np.zeros((t, 1), dtype=np.float32)
    return ReplayBook(
        instrument=instrument,
        dates=dates,
        day_start=np.concatenate([[0], np.cumsum([m.size for m in mids])]).astype(np.int64),
        mid=mid,
        spread_bps=zeros,
        microprice=mid,
        imbalance_1=zeros,
        imbalance_5=zeros,
        volume=vol,
        signed_volume=zeros,
        ask_offset=offset,
        ask_size=depth,
        bid_offset=offset.copy(),
        bid_size=depth.copy(),
    )


def split_days(
    dates: Sequence[dt.date], *, real: bool = False, fractions: tuple[float, float, float] = SPLIT_FRACTIONS
) -> dict[str, list[dt.date]]:
    """Dates by split in date order: the first 60% train, the next 20% validation, the last 20%
    test (rounded so that every split with a positive share gets a day once there are 3).

    Recorded real days are test-only (``real=True``): an agent is never judged on a day it
    trained on, and real days are too few to train on.
    """
    ordered = sorted(set(dates))
    if real:
        return {"train": [], "validation": [], "test": ordered}
    n = len(ordered)
    n_train = int(round(fractions[0] * n))
    n_val = int(round(fractions[1] * n))
    if n >= 3:
        n_train = min(max(n_train, 1), n - 2)
        n_val = min(max(n_val, 1), n - n_train - 1)
    else:
        n_train, n_val = n, 0  # too few to split: all train, nothing held out
    return {
        "train": ordered[:n_train],
        "validation": ordered[n_train : n_train + n_val],
        "test": ordered[n_train + n_val :],
    }
