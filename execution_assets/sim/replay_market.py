"""Replay market: n episodes of one ``ExecutionProblem`` traded against recorded order books.

Same interface, state and impact bookkeeping as ``VecMarket`` (it is one), with the market
taken from a ``ReplayBook`` instead of the parametric model:

- Episodes start at decision seconds drawn uniformly among those of the book's days whose
  horizon fits in the day (the "start" stream: the same seed gives every strategy the same
  starts). Decision k is the second t_k = t_0 + k tau (tau a whole number of seconds); the
  unaffected mid is the recorded one, U_k = mid(t_k) / mid(t_0) - 1.
- A child order of q_k shares walks the displayed depth of second t_k on the opposite side
  (asks for a buy, bids for a sell), every level the source has, paying each level's price for
  the shares it shows; shares beyond the displayed depth pay the deepest level's price plus the
  calibrated temporary impact of the excess, eta (excess / ADV * D / tau)^beta. The recorded
  book is shifted by the agent's own permanent and transient impact (calibrated, as in
  ``VecMarket``), which moves the mid it sees for the rest of the episode; its own past fills
  do not deplete later seconds' depth (that is what the transient impact stands for).
- The observation's market fields come from second t_k and earlier only: spread, level-1
  (``imbalance``) and level-5 imbalance standardized by ``book.imbalance_scale``, microprice
  offset, the volume and signed volume printed over the last step against the average rate,
  participation against the volume printed since arrival; volatility and momentum are the
  ``VecMarket`` EWMAs of the recorded step returns.
- The summary's VWAP slippage is against the recorded mid weighted by the recorded volume
  over (t_0, t_N] (the mean recorded mid when nothing printed). The risk penalty uses the
  problem's nominal step variance.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from execution_assets.sim.market_path import MarketPath, stream
from execution_assets.sim.observation import OBS_HIGH, OBS_INDEX, OBS_LOW, PARTICIPATION_SCALE
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.sim.replay_book import ReplayBook
from execution_assets.sim.vec_market import FinishedBatch, VecMarket

BPS = 1e4


def replay_step_seconds(problem: ExecutionProblem) -> int:
    """tau in whole seconds (replay decisions fall on recorded seconds)."""
    step = int(round(problem.tau_s))
    if step < 1 or abs(problem.tau_s - step) > 1e-9:
        raise ValueError(f"replay needs a whole number of seconds per step, got tau_s={problem.tau_s}")
    return step


def draw_starts(book: ReplayBook, problem: ExecutionProblem, n_episodes: int, seed) -> np.ndarray:
    """(n,) flat rows t_0 of the book, uniform over the decision seconds whose horizon fits its day."""
    span = problem.n_steps * replay_step_seconds(problem)
    valid = np.maximum(book.day_seconds() - span, 0)
    total = int(valid.sum())
    if total == 0:
        raise ValueError(
            f"replay {book.instrument}: no stored day is long enough for a {span}-second horizon "
            f"(longest day {int(book.day_seconds().max())} s)"
        )
    u = np.random.Generator(stream(seed, "start")).random(n_episodes)
    flat = np.minimum((u * total).astype(np.int64), total - 1)
    ends = np.cumsum(valid)
    day = np.searchsorted(ends, flat, side="right")
    return book.day_start[day] + flat - (ends[day] - valid[day])


class ReplayMarket(VecMarket):
    """n episodes of ``problem`` on ``book``'s recorded days (module docstring)."""

    def __init__(
        self,
        problem: ExecutionProblem,
        n_episodes: int,
        book: ReplayBook,
        *,
        mark_to_market: bool = False,
        track_levels: bool = False,
    ):
        super().__init__(problem, n_episodes, mark_to_market=mark_to_market)
        self.book = book
        self._step_s = replay_step_seconds(problem)
        self._depth = book.depth_table(problem.side)
        self._levels = book.n_levels
        self._cum_volume = np.concatenate([[0.0], np.cumsum(book.volume)])
        self._cum_signed = np.concatenate([[0.0], np.cumsum(book.signed_volume)])
        self._cum_mid_volume = np.concatenate([[0.0], np.cumsum(book.mid * book.volume)])
        self._rate = problem.adv_shares * self._step_s / problem.session_seconds  # average shares per step
        self.starts = np.zeros(self.n_episodes, dtype=np.int64)
        self._rows = np.empty((self.n_steps + 1, self.n_episodes), dtype=np.int64)
        self._book_obs: dict[int, np.ndarray] = {}
        self._printed = np.empty((self.n_steps + 1, self.n_episodes))  # recorded volume since arrival
        self._market_vwap = np.empty(self.n_episodes)
        # (n, L + 1) shares each episode took from book level 1..L and beyond the displayed depth
        self.level_fills = np.zeros((self.n_episodes, self._levels + 1)) if track_levels else None

    @property
    def episode_dates(self) -> list:
        """The recorded date of each episode."""
        day = np.searchsorted(self.book.day_start, self.starts, side="right") - 1
        return [self.book.dates[d] for d in day]

    def reset(self, seed: int | Sequence[int] | None = None, *, path: MarketPath | None = None) -> None:
        if path is not None:
            raise ValueError("ReplayMarket.reset: the path is the recorded one; give a seed")
        if seed is None:
            seed = np.random.SeedSequence().entropy
        book, N, side = self.book, self.n_steps, self.side
        self.starts = draw_starts(book, self.problem, self.n_episodes, seed)
        rows = self._rows
        np.add(self.starts[None, :], self._step_s * np.arange(N + 1)[:, None], out=rows)
        mid = book.mid[rows]
        arrival = mid[0].copy()
        unaffected = mid / arrival - 1.0
        scale_1, scale_5 = book.imbalance_scale
        path = MarketPath(
            unaffected=unaffected,
            signal=book.imbalance_1[rows] / scale_1,
            step_var=np.full((N, 1), self.problem.sigma_step**2),
            regime=None,
            arrival_price=arrival,
        )
        super().reset(path=path)
        if self.level_fills is not None:
            self.level_fills.fill(0.0)
        self._book_obs = self._book_fields(rows, mid, side, scale_5)
        cum = self._cum_volume
        np.subtract(cum[rows + 1], cum[rows[0] + 1], out=self._printed)
        printed = self._printed[N]
        mid_volume = self._cum_mid_volume[rows[N] + 1] - self._cum_mid_volume[rows[0] + 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            vwap = np.where(printed > 0, mid_volume / printed / arrival - 1.0, unaffected[:N].mean(axis=0))
        np.multiply(vwap, side, out=self._market_vwap)

    def _book_fields(self, rows: np.ndarray, mid: np.ndarray, side: int, scale_5: float) -> dict[int, np.ndarray]:
        """The recorded-book observation fields per step, (N + 1, n) each, clipped to their bounds."""
        book = self.book
        day_first = book.day_start[np.searchsorted(book.day_start, rows[0], side="right") - 1]
        last_step_from = np.maximum(rows - self._step_s, day_first[None, :])  # (from, to] within the day
        seconds = rows - last_step_from
        with np.errstate(invalid="ignore", divide="ignore"):
            expected = np.where(seconds > 0, self._rate * seconds / self._step_s, np.inf)
            volume = (self._cum_volume[rows + 1] - self._cum_volume[last_step_from + 1]) / expected
            signed = side * (self._cum_signed[rows + 1] - self._cum_signed[last_step_from + 1]) / expected
            half_spread = book.spread_bps[rows] / 2.0 / BPS * mid
            micro = np.where(half_spread > 0, side * (book.microprice[rows] - mid) / half_spread, 0.0)
        fields = {
            "spread": book.spread_bps[rows] / 10.0,
            "imbalance_5": side * book.imbalance_5[rows] / scale_5,
            "microprice": micro,
            "volume_rate": volume,
            "signed_volume_rate": signed,
        }
        out = {}
        for name, value in fields.items():
            i = OBS_INDEX[name]
            out[i] = np.clip(value, OBS_LOW[i], OBS_HIGH[i]).astype(np.float32)
        return out

    def _fill_offset(self, q: np.ndarray, out: np.ndarray) -> None:
        """Walk second t_k's displayed depth; the excess pays the deepest level plus temporary impact."""
        rows = self._rows[self.k]
        table, levels = self._depth, self._levels
        padded = np.take(table.cum_size, rows, axis=0)  # (n, L + 1), column 0 = 0
        full = np.count_nonzero(padded <= q[:, None], axis=1)
        full -= 1  # levels the order takes whole (column 0 always counts)
        if self.level_fills is not None:
            taken = np.minimum(np.maximum(q[:, None] - padded[:, :-1], 0.0), np.diff(padded, axis=1))
            self.level_fills[:, :levels] += taken
            self.level_fills[:, levels] += np.maximum(q - padded[:, -1], 0.0)
        at = rows * (levels + 1) + full
        done_size = np.take(table.cum_size.ravel(), at)
        cost = np.take(table.cum_cost.ravel(), at).astype(float)
        rest = q - done_size
        price = np.take(table.offset.ravel(), rows * levels + np.minimum(full, levels - 1))
        cost += rest * price
        cost *= 1.0 + self._u[self.k]  # offsets are fractions of the second's mid: to fractions of S_0
        beyond = full == levels  # the order outgrew the displayed depth
        if beyond.any():
            excess = rest[beyond]
            temp = excess * self._temp_coef if self._beta == 1.0 else np.power(excess, self._beta) * self._temp_coef
            cost[beyond] += excess * temp
        idle = q <= 0
        with np.errstate(invalid="ignore", divide="ignore"):
            np.divide(cost, q, out=out)
        if idle.any():  # nothing traded: the price the first share would have paid
            out[idle] = table.offset[rows[idle], 0] * (1.0 + self._u[self.k][idle])

    def observe(self) -> np.ndarray:
        obs = super().observe()
        k, fields = self.k, obs.T
        for i, values in self._book_obs.items():
            fields[i] = values[k]
        part = fields[OBS_INDEX["participation"]]
        if k > 0:
            executed = self.total_shares - self.remaining
            with np.errstate(invalid="ignore", divide="ignore"):
                value = np.where(self._printed[k] > 0, executed / self._printed[k], np.where(executed > 0, np.inf, 0.0))
            np.clip(value * PARTICIPATION_SCALE, 0.0, OBS_HIGH[OBS_INDEX["participation"]], out=part, casting="unsafe")
        return obs

    def _finished_batch(self, caller: str, copy: bool) -> FinishedBatch:
        batch = super()._finished_batch(caller, copy)
        vwap = self._market_vwap.copy() if copy else self._market_vwap
        return FinishedBatch(**{**batch.__dict__, "market_vwap": vwap})
