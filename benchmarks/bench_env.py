"""Environment throughput: agent-steps per second, resets and observations included.

Run: ``python -m benchmarks.bench_env [--seconds 1.0] [--no-write]``. Markets: (a) linear
Almgren-Chriss (linear impact, no signal, static normal regime, lambda = 0), (b) full (OU
signal, transient impact, hidden regime switching, risk penalty). Interfaces: the raw scalar
``ExecutionEnv.step`` (no gymnasium wrappers); ``VecMarket.step_fraction`` + ``observe`` + the
per-step reward (the loop a vectorized evaluator runs); ``ExecutionVecEnv.step`` (SB3's
interface: float32 rewards, dones, infos, terminal observations, auto-reset). Actions are a
fixed 10% of the remainder, so the policy costs nothing; episodes have 30 steps. Replay: the
full market's problem traded on one recorded day (a synthetic instrument-day with 10 book levels,
ingested into an in-memory warehouse) by ``ReplayMarket`` and ``ExecutionVecEnv(replay=...)``.

Each rate is reported twice: by wall clock and by the process's CPU time. On a shared machine
the wall clock counts time the process waited for a core; CPU time does not (it still suffers
from other jobs' cache and memory traffic), so it is the closer estimate of a quiet machine.
Each configuration is timed ``--repeats`` times (about ``--seconds`` each) and the best rate of
each clock is kept, so that a burst of other jobs' work does not decide the number.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time

import duckdb
import numpy as np

from benchmarks.results import write_section
from execution_assets.env import ExecutionEnv, ExecutionVecEnv
from execution_assets.impact import ImpactParams
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.sim.replay import load_replay_book
from execution_assets.sim.replay_book import ReplayBook
from execution_assets.sim.replay_market import ReplayMarket
from execution_assets.sim.vec_market import VecMarket
from execution_assets.features import write_book_features
from execution_assets.market.synthetic import simulate_market_day
from execution_assets.warehouse import ensure_tables, insert_frame

MARKETS = {
    "linear AC": ExecutionProblem(),
    "full": ExecutionProblem(
        impact=ImpactParams(kappa=0.1, transient_decay_per_s=1 / 300),
        risk_aversion=1e-3,
        signal_mean_reversion_per_s=1 / 60,
        signal_alpha_bps_per_s=0.05,
        regime_switch_rate_per_s=1 / 900,
    ),
}
SIZES = (1, 64, 1024, 4096)
TARGET_STEPS_PER_S = 15e6  # full market, 4096 episodes, vectorized
TARGET_SCALAR_US = 20.0  # full market, scalar env, per step
TARGET_REPLAY_STEPS_PER_S = 5e6  # replay market, 4096 episodes, vectorized


def best_of(measure, repeats: int) -> tuple[float, float]:
    """The best (wall, cpu) rates of ``repeats`` calls of ``measure() -> (wall, cpu)``."""
    rates = [measure() for _ in range(repeats)]
    return max(r[0] for r in rates), max(r[1] for r in rates)


def _timed(run_batch, steps_per_call: int, seconds: float) -> tuple[float, float]:
    """(wall, cpu) agent-steps per second of ``run_batch`` repeated for about ``seconds``."""
    run_batch()
    calls, wall0, cpu0 = 0, time.perf_counter(), time.process_time()
    while True:
        run_batch()
        calls += 1
        wall = time.perf_counter() - wall0
        if wall >= seconds:
            return calls * steps_per_call / wall, calls * steps_per_call / (time.process_time() - cpu0)


def scalar_env(problem: ExecutionProblem, seconds: float, with_resets: bool) -> tuple[float, float]:
    env = ExecutionEnv(problem)
    action = np.array([0.1], dtype=np.float32)
    env.reset(seed=0)
    n = problem.n_steps
    step = env.step
    if with_resets:

        def episode():
            env.reset()
            for _ in range(n):
                step(action)

        return _timed(episode, n, seconds)
    wall = cpu = 0.0
    steps = 0
    while wall < seconds:
        env.reset()
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(n):
            step(action)
        wall += time.perf_counter() - w0
        cpu += time.process_time() - c0
        steps += n
    return steps / wall, steps / cpu


def recorded_day() -> ReplayBook:
    """One synthetic instrument-day (10 levels) through features, as the replay market reads it."""
    day = simulate_market_day("SYNTH_LIQ", dt.date(2024, 1, 2), seed=1)
    con = duckdb.connect()
    ensure_tables(con)
    insert_frame(con, "raw.l2_snapshots", day.snapshots)
    insert_frame(con, "raw.trades", day.trades)
    write_book_features(con, "SYNTH_LIQ", dt.date(2024, 1, 2))
    return load_replay_book(con, "SYNTH_LIQ")


def vec_market(
    problem: ExecutionProblem, n_episodes: int, seconds: float, book: ReplayBook | None = None
) -> tuple[float, float]:
    market = VecMarket(problem, n_episodes) if book is None else ReplayMarket(problem, n_episodes, book)
    frac = np.full(n_episodes, 0.1)
    reward = np.empty(n_episodes, dtype=np.float32)
    seeds = iter(range(10**9))

    def episode():
        market.reset(next(seeds))
        market.observe()
        while not market.done:
            res = market.step_fraction(frac)
            np.add(res.cost_bps, res.risk_bps, out=reward)
            market.observe()

    return _timed(episode, n_episodes * problem.n_steps, seconds)


def vec_env(problem: ExecutionProblem, n_envs: int, seconds: float, book: ReplayBook | None = None) -> tuple[float, float]:
    env = ExecutionVecEnv(problem, n_envs, seed=0, replay=book)
    env.reset()
    actions = np.full((n_envs, 1), 0.1, dtype=np.float32)

    def episode():
        for _ in range(problem.n_steps):
            env.step(actions)

    return _timed(episode, n_envs * problem.n_steps, seconds)


def _verdict(met: bool) -> str:
    return "met" if met else "missed"


def _rate(steps_per_s: float) -> str:
    return f"{steps_per_s / 1e6:.2f} M" if steps_per_s >= 1e5 else f"{steps_per_s / 1e3:.1f} k"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="timing per run")
    parser.add_argument("--repeats", type=int, default=3, help="runs per configuration (best kept)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    secs, reps = args.seconds, args.repeats
    lines = [
        "Agent-steps per second, resets and observations included (30-step episodes, fixed actions),",
        f"best of {reps} runs of about {secs:g} s each per row.",
        f"Taken while other jobs shared the {os.cpu_count()} cores (1-minute load average {load:.1f} at the start):",
        "wall-clock rates are lower bounds; CPU-time rates approximate a quiet machine.",
        "",
        "| market | interface | episodes | wall: agent-steps/s | CPU: agent-steps/s | CPU: us per step call |",
        "|---|---|---|---|---|---|",
    ]
    full: dict[tuple[str, int], tuple[float, float]] = {}
    for name, problem in MARKETS.items():
        rows = [
            ("scalar env, step only", 1, best_of(lambda: scalar_env(problem, secs, with_resets=False), reps)),
            ("scalar env, with resets", 1, best_of(lambda: scalar_env(problem, secs, with_resets=True), reps)),
        ]
        rows += [("VecMarket", n, best_of(lambda: vec_market(problem, n, secs), reps)) for n in SIZES]
        rows += [("ExecutionVecEnv (SB3)", n, best_of(lambda: vec_env(problem, n, secs), reps)) for n in SIZES]
        for interface, n, (wall, cpu) in rows:
            lines.append(f"| {name} | {interface} | {n} | {_rate(wall)} | {_rate(cpu)} | {1e6 * n / cpu:.1f} |")
            print(lines[-1], flush=True)
            if name == "full":
                full[interface, n] = (wall, cpu)
    book = recorded_day()
    replay = MARKETS["full"]
    for interface, run in (("ReplayMarket", vec_market), ("ExecutionVecEnv (SB3)", vec_env)):
        for n in SIZES[1:]:
            wall, cpu = best_of(lambda: run(replay, n, secs, book), reps)
            lines.append(f"| replay ({book.n_levels} levels) | {interface} | {n} | {_rate(wall)} | {_rate(cpu)} | {1e6 * n / cpu:.1f} |")
            print(lines[-1], flush=True)
            full["replay " + interface, n] = (wall, cpu)
    n = SIZES[-1]
    lines += [
        "",
        f"Targets (full market, 2 cores): vectorized above {TARGET_STEPS_PER_S / 1e6:.0f} M agent-steps/s "
        f"at {n} episodes, scalar env under {TARGET_SCALAR_US:.0f} us per step.",
    ]
    for interface in ("VecMarket", "ExecutionVecEnv (SB3)"):
        wall, cpu = full[interface, n]
        lines.append(
            f"- {interface}, {n} episodes: {_rate(cpu)} by CPU time ({_verdict(cpu >= TARGET_STEPS_PER_S)}), "
            f"{_rate(wall)} by wall clock ({_verdict(wall >= TARGET_STEPS_PER_S)})."
        )
    for interface in ("ReplayMarket", "ExecutionVecEnv (SB3)"):
        wall, cpu = full["replay " + interface, n]
        lines.append(
            f"- replay, {interface}, {n} episodes: {_rate(cpu)} by CPU time "
            f"({_verdict(cpu >= TARGET_REPLAY_STEPS_PER_S)} the {TARGET_REPLAY_STEPS_PER_S / 1e6:.0f} M target), "
            f"{_rate(wall)} by wall clock ({_verdict(wall >= TARGET_REPLAY_STEPS_PER_S)})."
        )
    for interface in ("scalar env, step only", "scalar env, with resets"):
        us_cpu, us_wall = (1e6 / rate for rate in reversed(full[interface, 1]))
        lines.append(
            f"- {interface}: {us_cpu:.1f} us per step by CPU time ({_verdict(us_cpu < TARGET_SCALAR_US)}), "
            f"{us_wall:.1f} us by wall clock ({_verdict(us_wall < TARGET_SCALAR_US)})."
        )
    body = "\n".join(lines)
    if not args.no_write:
        write_section("env_steps", body)
    print(body)


if __name__ == "__main__":
    main()
