"""The action-independent part of n episodes, drawn (or replayed) once at reset.

Common random numbers: every random number an episode uses is drawn here, before the first
action, from streams fixed by the seed. The price shocks, the signal innovations, the regime
switches, the replay start times and the trend's direction each have their own stream (child i of
``SeedSequence(seed)``), so switching the signal on or the regime chain off leaves the price
shocks unchanged, and no action can change a draw. Arrays are laid out (step, episode): row k
is one step of all episodes, contiguous; the builders loop over rows and write into
preallocated arrays (``out=``), which keeps them in cache and away from page faults.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from execution_assets.sim.problem import REGIME_VOL_MULTIPLIER, REGIMES, ExecutionProblem

STREAMS = ("price", "signal", "regime", "start", "trend")
Seed = int | Sequence[int] | None


@dataclass(frozen=True)
class Shocks:
    """The raw random numbers of n episodes over N steps (normals in float32, ``fill_normals``)."""

    price: np.ndarray | None  # (N, n) z_k, standard normal: drives the mid from step k to k+1
    signal: np.ndarray | None  # (N+1, n) standard normal: row 0 is I_0, row k+1 the innovation to I_{k+1}
    regime: np.ndarray | None  # (N-1, n) uint32 words: row k decides the switch from r_k to r_{k+1}
    start: np.ndarray | None  # (n,) uniform: replay start time
    trend: np.ndarray | None = None  # (n,) +1 or -1: the trend's direction when drawn per episode


def stream(seed: Seed, name: str) -> np.random.SFC64:
    """The bit generator of one named stream: child ``STREAMS.index(name)`` of ``SeedSequence(seed)``."""
    return np.random.SFC64(np.random.SeedSequence(seed, spawn_key=(STREAMS.index(name),)))


_WORD_SCALE = np.float32(2.0**-32)
# 2 pi 2^-32 in one factor: scaling by a power of two is exact, so w 2^-32 2 pi (rounded once)
# equals (w 2^-32) 2 pi rounded
_ANGLE_SCALE = np.float32(2.0 * np.pi) * _WORD_SCALE


def fill_normals(bitgen: np.random.SFC64, out: np.ndarray) -> np.ndarray:
    """Fill the contiguous float32 array ``out`` with standard normals (Box-Muller, raw 32-bit words).

    Several times faster than numpy's float32 ziggurat, since numpy's float32 log/sin/cos are
    vectorized. Uniforms are (w + 1/2) / 2^32 for a 32-bit word w, so |z| < 6.8 (the normal law
    puts 1e-11 beyond). Deterministic: the same generator state gives the same normals. Works in
    ``out`` and in the raw words' memory (no other large temporary) when ``out`` has an even size.
    """
    flat = out.reshape(-1)
    size = flat.size
    half = (size + 1) // 2
    raw = bitgen.random_raw(half)
    u = flat if size == 2 * half else np.empty(2 * half, dtype=np.float32)  # the uniforms, unscaled
    np.add(raw.view(np.uint32), 0.5, out=u, dtype=np.float32, casting="unsafe")
    radius = raw.view(np.float32)[:half]  # the words are consumed: reuse their memory
    np.multiply(u[:half], _WORD_SCALE, out=radius)
    np.log(radius, out=radius)
    radius *= np.float32(-2.0)
    np.sqrt(radius, out=radius)
    angle = u[half:]
    angle *= _ANGLE_SCALE
    np.cos(angle, out=flat[:half])  # u[:half] (= flat[:half] when u is flat) is no longer needed
    flat[:half] *= radius
    rest = size - half
    np.sin(angle, out=angle)
    angle *= radius
    if u is not flat:
        flat[half:] = angle[:rest]
    return out


def draw_shocks(
    n_steps: int,
    n_episodes: int,
    seed: Seed,
    *,
    price: bool = True,
    signal: bool = False,
    regime: bool = False,
    start: bool = False,
    trend: bool = False,
    out: Shocks | None = None,
) -> Shocks:
    """Draw the shocks of ``n_episodes`` episodes; only the streams asked for are drawn.

    ``out`` (a ``Shocks`` of the same shapes) is filled in place instead of allocating.
    """
    if seed is None:
        seed = np.random.SeedSequence().entropy

    def normals(name: str, shape: tuple[int, ...], buf: np.ndarray | None) -> np.ndarray:
        return fill_normals(stream(seed, name), np.empty(shape, dtype=np.float32) if buf is None else buf)

    def words(name: str, shape: tuple[int, ...], buf: np.ndarray | None) -> np.ndarray:
        buf = np.empty(shape, dtype=np.uint32) if buf is None else buf
        flat = buf.reshape(-1)
        flat[:] = stream(seed, name).random_raw((flat.size + 1) // 2).view(np.uint32)[: flat.size]
        return buf

    n, N = n_episodes, n_steps
    return Shocks(
        price=normals("price", (N, n), out and out.price) if price else None,
        signal=normals("signal", (N + 1, n), out and out.signal) if signal else None,
        regime=words("regime", (max(N - 1, 0), n), out and out.regime) if regime else None,
        start=np.random.Generator(stream(seed, "start")).random(n) if start else None,
        trend=trend_signs(seed, n) if trend else None,
    )


def trend_signs(seed: Seed, n_episodes: int) -> np.ndarray:
    """(n,) trend directions from the "trend" stream, stratified: exactly half of the batch up and
    half down (an odd batch's last one a coin flip), in random order. Each episode still trends up
    with probability 1/2, but a batch cannot be lucky with its trends: with independent coin flips
    the up-down imbalance of 200 paths moved a whole-day family's mean by a point, more than what
    separates two schedules there."""
    rng = np.random.Generator(stream(seed, "trend"))
    signs = np.where(np.arange(n_episodes) < n_episodes // 2, 1.0, -1.0)
    if n_episodes % 2:
        signs[-1] = 1.0 if rng.random() < 0.5 else -1.0
    return rng.permutation(signs)


def draws_trend(problem: ExecutionProblem) -> bool:
    """Whether episodes of ``problem`` need a trend direction drawn (they can be trending)."""
    return problem.random_trend and (problem.regime == "trending" or problem.regime_switch_rate_per_s > 0)


@dataclass(frozen=True)
class MarketPath:
    """What the market does without the agent, for n episodes of N steps (fractions of S_0).

    ``unaffected[k]`` = U_k, the unaffected mid at step k over the arrival price minus one
    (U_0 = 0, not side-signed); ``signal[k]`` = I_k, known before trading at step k (None: no
    signal); ``step_var[k]`` = variance of the diffusive part of U_{k+1} - U_k, shape (N, 1) or
    (N, n) (used by the risk penalty); ``regime[k]`` = index into ``REGIMES`` during step k,
    hidden from the agent (None for replay); ``arrival_price`` = S_0 per episode; ``trend_sign``
    = the trend's direction per episode when drawn (None otherwise), hidden from the agent.
    """

    unaffected: np.ndarray
    signal: np.ndarray | None
    step_var: np.ndarray
    regime: np.ndarray | None
    arrival_price: np.ndarray
    trend_sign: np.ndarray | None = None

    def __post_init__(self) -> None:
        n_rows, n = self.unaffected.shape
        if n_rows < 2:
            raise ValueError(f"MarketPath.unaffected needs N+1 >= 2 rows, got shape {self.unaffected.shape}")
        if self.signal is not None and self.signal.shape != (n_rows, n):
            raise ValueError(f"MarketPath.signal shape {self.signal.shape} != unaffected shape {(n_rows, n)}")
        if self.step_var.shape not in ((n_rows - 1, 1), (n_rows - 1, n)):
            raise ValueError(f"MarketPath.step_var shape {self.step_var.shape}, expected {(n_rows - 1, 1)} or {(n_rows - 1, n)}")
        if self.regime is not None and self.regime.shape != (n_rows - 1, n):
            raise ValueError(f"MarketPath.regime shape {self.regime.shape} != {(n_rows - 1, n)}")
        if self.arrival_price.shape != (n,):
            raise ValueError(f"MarketPath.arrival_price shape {self.arrival_price.shape} != {(n,)}")
        if self.trend_sign is not None and self.trend_sign.shape != (n,):
            raise ValueError(f"MarketPath.trend_sign shape {self.trend_sign.shape} != {(n,)}")

    @property
    def n_steps(self) -> int:
        return self.unaffected.shape[0] - 1

    @property
    def n_episodes(self) -> int:
        return self.unaffected.shape[1]


def switch_probability(problem: ExecutionProblem) -> float:
    """Probability of leaving the regime during one step."""
    return float(-np.expm1(-problem.regime_switch_rate_per_s * problem.tau_s))


def switch_thresholds(problem: ExecutionProblem) -> tuple[int, int]:
    """Word thresholds (p 2^32, p 2^31) rounded to integers: a regime switch is ``w < first``."""
    p = switch_probability(problem)
    return min(round(p * 2.0**32), 2**32 - 1), min(round(p * 2.0**31), 2**32 - 1)


def regime_counter(problem: ExecutionProblem, words: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """(N, n) switch counters c_k; the regime during step k is ``REGIMES[c_k % 3]``.

    c_0 is ``problem.regime``'s index. Leaving a regime picks one of the two others with equal
    probability: with the word w_k (``Shocks.regime``) and ``switch_thresholds`` (t1, t2), the
    counter gains 2 if w_k < t2 (u < p/2), 1 if t2 <= w_k < t1, else 0. Integer comparisons
    and a small-integer running sum keep this cheap; lookups go through counter-indexed tables.
    """
    count = _switch_counts(problem, words)
    out = np.empty(count.shape, dtype=np.intp) if out is None else out
    np.copyto(out, count)
    return out


def _switch_counts(problem: ExecutionProblem, words: np.ndarray) -> np.ndarray:
    """``regime_counter`` as small integers (int16 below 16,000 steps)."""
    n_steps, n = words.shape[0] + 1, words.shape[1]
    first, half = (np.uint32(t) for t in switch_thresholds(problem))
    shift = np.less(words, first).view(np.int8)
    np.add(shift, np.less(words, half).view(np.int8), out=shift)
    count = np.empty((n_steps, n), dtype=np.int16 if n_steps < 16_000 else np.int32)
    count[0] = REGIMES.index(problem.regime)
    for k in range(n_steps - 1):
        np.add(count[k], shift[k], out=count[k + 1])
    return count


def regime_tables(problem: ExecutionProblem) -> tuple[np.ndarray, np.ndarray]:
    """Per-regime step volatility and step drift (fractions of S_0), indexed like ``REGIMES``.

    A trend whose direction is drawn per episode is not in the drift: ``trend_step`` times the
    episode's direction is added while it is in the trending regime."""
    step_frac = problem.tau_s / problem.session_seconds
    vol = np.array([problem.sigma_step * REGIME_VOL_MULTIPLIER[r] for r in REGIMES])
    drift = np.array([problem.regime_drift_per_day(r) * step_frac for r in REGIMES])
    return vol, drift


def trend_step(problem: ExecutionProblem) -> float:
    """The trend's drift per step, before its direction (0 unless the direction is drawn)."""
    return problem.trend_per_day * problem.tau_s / problem.session_seconds if draws_trend(problem) else 0.0


# elements per block of rows in ``parametric_path``: a block's arrays stay in the core's cache
_BLOCK_ELEMENTS = 32_768


def parametric_path(problem: ExecutionProblem, shocks: Shocks, *, out: MarketPath | None = None) -> MarketPath:
    """The unaffected path of the parametric market (see ``ExecutionProblem`` for the dynamics).

    Returns R_k = vol(r_k) z_k + drift(r_k) + c_alpha I_k and U = partial sums of R, with the
    signal's AR(1) I_{k+1} = sqrt(1 - phi^2) e_{k+1} + phi I_k. ``out`` (a ``MarketPath`` of the
    same shapes) is overwritten in place. Works through blocks of rows (about 32k elements) so
    that each block's terms are still in cache when the next operation reads them; every element
    sees the same operations in the same order whatever the block size.
    """
    z = shocks.price
    if z is None:
        raise ValueError("parametric_path: shocks.price was not drawn")
    N, n = z.shape
    if N != problem.n_steps:
        raise ValueError(f"shocks have {N} steps, problem has n_steps={problem.n_steps}")
    switching = problem.regime_switch_rate_per_s > 0
    if switching and shocks.regime is None:
        raise ValueError("parametric_path: the problem switches regimes but shocks.regime was not drawn")
    if problem.has_signal and shocks.signal is None:
        raise ValueError("parametric_path: the problem has a signal but shocks.signal was not drawn")
    trend = trend_step(problem)
    if trend != 0.0 and shocks.trend is None:
        raise ValueError("parametric_path: the trend's direction is drawn per episode but shocks.trend was not drawn")
    signed_trend = shocks.trend * trend if trend != 0.0 else None  # (n,) per-episode trend drift per step
    vol_table, drift_table = regime_tables(problem)
    u = np.empty((N + 1, n)) if out is None else out.unaffected
    rows = max(1, min(N, _BLOCK_ELEMENTS // n))
    work = np.empty((rows, n))
    if switching:
        count = _switch_counts(problem, shocks.regime)
        counter = np.empty((rows, n), dtype=np.intp)
        n_table = 2 * N + len(REGIMES)  # counters never exceed 2 (N - 1) + 2
        vol_by_counter = np.resize(vol_table, n_table)
        drift_by_counter = np.resize(drift_table, n_table) if np.any(drift_table != 0) else None
        regime_by_counter = (np.arange(n_table) % len(REGIMES)).astype(np.int8)  # c % 3 (integer % is slow)
        trending_by_counter = (regime_by_counter == REGIMES.index("trending")).astype(float)
        regime = np.empty((N, n), dtype=np.int8) if out is None or out.regime is None else out.regime
        step_var = np.empty((N, n)) if out is None or out.step_var.shape != (N, n) else out.step_var
    else:
        r0 = REGIMES.index(problem.regime)
        regime = np.broadcast_to(np.int8(r0), (N, n))
        vol, drift = float(vol_table[r0]), float(drift_table[r0])
        step_var = np.full((N, 1), vol * vol)
    signal = None
    if problem.has_signal:
        signal = np.empty((N + 1, n)) if out is None or out.signal is None else out.signal
        phi, c_alpha = problem.signal_phi, problem.signal_drift_per_unit
        innovation = float(np.sqrt(1.0 - phi * phi))
        signal[0] = shocks.signal[0]
    u[0] = 0.0
    for k0 in range(0, N, rows):
        k1 = min(N, k0 + rows)
        ret, tmp = u[k0 + 1 : k1 + 1], work[: k1 - k0]  # R_k for k in [k0, k1), summed in place below
        if switching:
            c = counter[: k1 - k0]
            np.copyto(c, count[k0:k1])
            np.take(vol_by_counter, c, out=ret, mode="clip")
            np.multiply(ret, ret, out=step_var[k0:k1])
            np.multiply(ret, z[k0:k1], out=ret, dtype=float)
            if drift_by_counter is not None:
                np.take(drift_by_counter, c, out=tmp, mode="clip")
                ret += tmp
            if signed_trend is not None:
                np.take(trending_by_counter, c, out=tmp, mode="clip")
                tmp *= signed_trend
                ret += tmp
            np.take(regime_by_counter, c, out=regime[k0:k1], mode="clip")
        else:
            np.multiply(z[k0:k1], vol, out=ret, dtype=float)
            if drift != 0.0:
                ret += drift
            if signed_trend is not None and problem.regime == "trending":
                ret += signed_trend
        if signal is not None:
            np.multiply(shocks.signal[k0 + 1 : k1 + 1], innovation, out=signal[k0 + 1 : k1 + 1], dtype=float)
            for k in range(k0, k1):
                np.multiply(signal[k], phi, out=tmp[0])
                signal[k + 1] += tmp[0]
            if c_alpha != 0.0:
                np.multiply(signal[k0:k1], c_alpha, out=tmp)
                ret += tmp
        for k in range(k0, k1):
            u[k + 1] += u[k]
    if out is not None:
        arrival = out.arrival_price
        arrival.fill(problem.arrival_price)
    else:
        arrival = np.full(n, problem.arrival_price)
    return MarketPath(
        unaffected=u,
        signal=signal,
        step_var=step_var,
        regime=regime,
        arrival_price=arrival,
        trend_sign=None if signed_trend is None else shocks.trend,
    )


def validate_replay_mid(mid: np.ndarray, label: str = "replay day") -> np.ndarray:
    """The recorded 1-second mids as float64, checked finite and positive (errors name the second)."""
    arr = np.asarray(mid, dtype=float)
    if arr.ndim != 1 or arr.size < 2:
        raise ValueError(f"{label}: need a 1-d array of at least 2 one-second mids, got shape {arr.shape}")
    bad = np.flatnonzero(~(np.isfinite(arr) & (arr > 0)))
    if bad.size:
        raise ValueError(f"{label}: mid must be finite and > 0; second {bad[0]} has {arr[bad[0]]!r} ({bad.size} bad)")
    return arr


def replay_path(problem: ExecutionProblem, mid: np.ndarray, shocks: Shocks) -> MarketPath:
    """Episodes that walk a recorded day's 1-second mids from start times drawn by ``shocks.start``.

    Each episode starts at a uniformly drawn second s and sees the mid at s, s + tau, ...;
    the arrival price is the mid at s. Replay has no model signal (observed as 0) and its risk
    penalty uses the problem's nominal ``sigma_step``.
    """
    step = int(round(problem.tau_s))
    if step < 1 or abs(problem.tau_s - step) > 1e-9:
        raise ValueError(f"replay needs a whole number of seconds per step, got tau_s={problem.tau_s}")
    if shocks.start is None:
        raise ValueError("replay_path: shocks.start was not drawn")
    mid = validate_replay_mid(mid)
    span = problem.n_steps * step
    if mid.size <= span:
        raise ValueError(f"replay day has {mid.size} seconds; the horizon needs {span + 1}")
    starts = (shocks.start * (mid.size - span)).astype(np.int64)
    prices = mid[starts[None, :] + step * np.arange(problem.n_steps + 1)[:, None]]
    arrival = prices[0].copy()
    prices /= arrival
    prices -= 1.0
    return MarketPath(
        unaffected=prices,
        signal=None,
        step_var=np.full((problem.n_steps, 1), problem.sigma_step**2),
        regime=None,
        arrival_price=arrival,
    )


def draw_path(
    problem: ExecutionProblem,
    n_episodes: int,
    seed: Seed,
    replay_mid: np.ndarray | None = None,
    *,
    shocks_out: Shocks | None = None,
    out: MarketPath | None = None,
) -> MarketPath:
    """Draw the unaffected path of ``n_episodes`` episodes of ``problem`` (replayed if ``replay_mid``).

    ``shocks_out`` / ``out`` are reused buffers (``VecMarket`` passes its own).
    """
    if replay_mid is not None:
        shocks = draw_shocks(problem.n_steps, n_episodes, seed, price=False, start=True)
        return replay_path(problem, replay_mid, shocks)
    shocks = draw_shocks(
        problem.n_steps,
        n_episodes,
        seed,
        signal=problem.has_signal,
        regime=problem.regime_switch_rate_per_s > 0,
        trend=draws_trend(problem),
        out=shocks_out,
    )
    return parametric_path(problem, shocks, out=out)
