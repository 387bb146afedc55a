"""Train one agent (DQN, PPO or SAC) on a scenario family, with curriculum and checkpoint selection.

``train_agent(algo, family, profile)`` resolves the YAML config, builds the vectorized training
env, trains with stable-baselines3 (``monitor.TrainingMonitor`` validates, advances the
curriculum and selects the checkpoint on validation seeds) and writes the run folder
(``artifacts``). Test seeds are touched once, after selection, by the selected checkpoint.

Reproducibility: SB3's seed fixes torch, numpy and the env groups; validation and test seeds
are fixed per split; torch runs with ``training.torch_threads`` threads (1 by default), so two
runs of the same config on the same machine give the same model and numbers.

Device: ``training.device: auto`` takes CUDA when torch sees it, else the CPU. The policies are
64x64 MLPs fed by a numpy simulator: a GPU gains nothing there, so the YAML files pin ``cpu``
and ``auto`` is for larger networks.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from collections.abc import Mapping
from typing import Any, Iterator

import gymnasium
import numpy as np
import polars as pl
import stable_baselines3
import torch
from stable_baselines3 import DQN, PPO, SAC
from stable_baselines3.common.base_class import BaseAlgorithm

from execution_assets.agents.actions import GRID_KINDS, ActionMap
from execution_assets.agents.artifacts import curves_png, normalization_stats, write_json, write_yaml
from execution_assets.agents.config import AgentConfig, resolve_config
from execution_assets.agents.curriculum import Curriculum
from execution_assets.agents.envs import ReplayTraining, make_training_env
from execution_assets.agents.monitor import Logger, TrainingMonitor
from execution_assets.agents.policy import ALGORITHM_CLASSES, load_checkpoint
from execution_assets.agents.run_folder import (
    CONFIG_FILE,
    CURVES_CSV,
    CURVES_PNG,
    NORMALIZATION_JSON,
    SPECIALISTS_JSON,
    SUMMARY_JSON,
    models_dir,
    read_summary,
)
from execution_assets.agents.scenarios import (
    Calibrations,
    family_problems,
    market_parameters,
    replay_problems,
    router_problems,
)
from execution_assets.agents.validation import Benchmark, Comparison
from execution_assets.sim.problem import ExecutionProblem
from execution_assets.sim.replay_book import ReplayBook

_ACTIVATIONS = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}


@dataclass(frozen=True)
class RunResult:
    run_dir: Path
    algo: str
    family: str
    profile: str
    timesteps: int
    selected_timestep: int | str  # a router of specialists: each one's, as text
    wall_s: float
    train_timesteps_per_s: float  # environment + learning, validation time excluded
    validation: list[Comparison]  # the selected checkpoint on the target family's validation seeds
    test: list[Comparison]  # the same checkpoint on the test seeds
    stage_history: list[tuple[int, str, str]]
    curves: pl.DataFrame

    @property
    def curves_png(self) -> Path:
        return self.run_dir / CURVES_PNG


def resolve_device(name: str) -> str:
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name not in ("cpu", "cuda"):
        raise ValueError(f"training.device must be auto, cpu or cuda, got {name!r}")
    return name


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def model_kwargs(config: AgentConfig) -> dict[str, Any]:
    """SB3 constructor arguments from the ``model`` section (schedules and activations resolved)."""
    kwargs = dict(config.model)
    schedule = kwargs.pop("lr_schedule", "constant")
    lr = float(kwargs.get("learning_rate", 3e-4))
    if schedule == "linear":
        kwargs["learning_rate"] = lambda progress_remaining: lr * progress_remaining
    elif schedule != "constant":
        raise ValueError(f"{config.algo}: model.lr_schedule must be constant or linear, got {schedule!r}")
    policy_kwargs = dict(kwargs.pop("policy_kwargs", None) or {})
    if "activation_fn" in policy_kwargs:
        name = policy_kwargs["activation_fn"]
        if name not in _ACTIVATIONS:
            raise ValueError(f"{config.algo}: policy_kwargs.activation_fn must be one of {tuple(_ACTIVATIONS)}")
        policy_kwargs["activation_fn"] = _ACTIVATIONS[name]
    if "train_freq" in kwargs and isinstance(kwargs["train_freq"], list):
        kwargs["train_freq"] = tuple(kwargs["train_freq"])
    kwargs["policy_kwargs"] = policy_kwargs
    return kwargs


def start_at_reference(model: BaseAlgorithm, action_map: ActionMap) -> None:
    """Make the initial policy trade the reference schedule (action 0, or the grid's 1x multiple):
    the scenario's static optimal plan for the ``plan_*`` actions, TWAP for the ``twap_*`` ones.

    The output layer's weights are zeroed, so the deterministic action is exactly the reference in
    every state (gradients still reach those weights, and through them the layers below, from the
    first update): PPO's and SAC's mean action is 0, DQN's greedy action the 1x multiple (a small
    edge in its bias; the target network is synced). SB3's default inits start near the reference
    (PPO, gain 0.01) or at an arbitrary schedule (SAC, DQN), whose small state-dependent deviations
    are noise a validation can mistake for skill.
    """
    with torch.no_grad():
        if isinstance(model, PPO):
            model.policy.action_net.weight.zero_()
            model.policy.action_net.bias.zero_()
        elif isinstance(model, SAC):
            model.actor.mu.weight.zero_()
            model.actor.mu.bias.zero_()
        elif isinstance(model, DQN):
            if action_map.kind not in GRID_KINDS or 1.0 not in action_map.multiples:
                raise ValueError(f"init_at_reference for DQN needs action {' or '.join(GRID_KINDS)} with the multiple 1.0")
            head = model.q_net.q_net[-1]
            head.weight.zero_()
            head.bias.zero_()
            head.bias[action_map.multiples.index(1.0)] = 0.01
            model.q_net_target.load_state_dict(model.q_net.state_dict())
        else:
            raise ValueError(f"init_at_reference applies to PPO, SAC and DQN, not {type(model).__name__}")


def replay_training(
    config: AgentConfig, books: Mapping[str, ReplayBook], log: Logger, calibrations: Calibrations | None = None
) -> list[ReplayTraining]:
    """The recorded days ``config.env.market`` asks for, each with the problems its days can hold."""
    market = config.env.get("market", "parametric")
    if market == "parametric":
        return []
    if not books:
        if market == "replay":
            raise ValueError(f"{config.algo}: env.market is replay but no recorded days were given (ingest some days)")
        log(f"[{config.algo} {config.family}] env.market is both but no recorded days were given: parametric market only")
        return []
    out = []
    for instrument, book in sorted(books.items()):
        problems = replay_problems(config.family, instrument, int(book.day_seconds().max()), "train", calibrations)
        log(f"[{config.algo} {config.family}] replay {instrument}: {book.n_days} train days, {len(problems)} problems")
        out.append(ReplayTraining(book, problems))
    return out


def replay_validation(
    config: AgentConfig, books: Mapping[str, ReplayBook], calibrations: Calibrations | None = None
) -> list[tuple[ExecutionProblem, ReplayBook]]:
    """(problem, book) of the family's validation problems that each instrument's validation days hold."""
    return [
        (problem, book)
        for instrument, book in sorted(books.items())
        for problem in replay_problems(config.family, instrument, int(book.day_seconds().max()), "validation", calibrations)
    ]


def _router_slots(comparisons: list[Comparison], offset: int, n_scope: int, n_all: int, replay_offset: int) -> list[Comparison]:
    """A specialist's comparisons renumbered as slots of its router's ``router_problems``: its
    problems after the earlier specialists' (``offset``), its recorded validation days after all
    the specialists' problems (``n_all``) and the earlier specialists' days (``replay_offset``)."""
    return [
        replace(c, slot=offset + c.slot if c.slot < n_scope else n_all + replay_offset + c.slot - n_scope)
        for c in comparisons
    ]


def _combine_specialists(config: AgentConfig, run_dir: Path, parts: list[RunResult], log: Logger) -> RunResult:
    """The run folder of a router of horizon specialists: each specialist is a complete run in
    its own subfolder; this folder holds their list, the joint curves and summary, and the
    config (written last, as for any run)."""
    validation, test, curves, offset_steps, replay_offset = [], [], [], 0, 0
    scopes = [p.family for p in parts]
    n_val, n_test = (len(router_problems(config.family, scopes, split)) for split in ("validation", "test"))
    val_offset = test_offset = 0
    for part in parts:
        n_scope, n_scope_test = (len(family_problems(part.family, split)) for split in ("validation", "test"))
        validation += _router_slots(part.validation, val_offset, n_scope, n_val, replay_offset)
        test += _router_slots(part.test, test_offset, n_scope_test, n_test, 0)
        replay_offset += sum(c.slot >= n_scope for c in part.validation)
        val_offset += n_scope
        test_offset += n_scope_test
        curves.append(part.curves.with_columns(pl.col("timesteps") + offset_steps, stage=pl.lit(part.family)))
        offset_steps += part.timesteps
    joint = pl.concat(curves, how="diagonal_relaxed")
    joint.write_csv(run_dir / CURVES_CSV)
    title = f"{config.algo.upper()} on {config.family} ({config.profile}): " + " then ".join(p.family for p in parts)
    (run_dir / CURVES_PNG).write_bytes(curves_png(joint, title, None))
    selected = "; ".join(f"{p.family} {p.selected_timestep:,}" for p in parts)
    wall = sum(p.wall_s for p in parts)
    rate = sum(p.timesteps for p in parts) / max(sum(p.timesteps / p.train_timesteps_per_s for p in parts), 1e-9)
    result = RunResult(
        run_dir=run_dir,
        algo=config.algo,
        family=config.family,
        profile=config.profile,
        timesteps=offset_steps,
        selected_timestep=selected,
        wall_s=wall,
        train_timesteps_per_s=rate,
        validation=validation,
        test=test,
        stage_history=[h for p in parts for h in p.stage_history],
        curves=joint,
    )
    write_json(run_dir / SPECIALISTS_JSON, {p.family: p.run_dir.name for p in parts})
    write_json(
        run_dir / SUMMARY_JSON,
        {
            "algo": config.algo,
            "family": config.family,
            "profile": config.profile,
            "specialists": {p.family: read_summary(p.run_dir) for p in parts},
            "timesteps": result.timesteps,
            "selected_timestep": selected,
            "wall_s": wall,
            "validation": [c.as_dict() for c in validation],
            "test": [c.as_dict() for c in test],
        },
    )
    write_yaml(run_dir / CONFIG_FILE, config.as_dict())
    log(f"[{config.algo} {config.family}] run folder {run_dir} (specialists: {', '.join(p.family for p in parts)})")
    return result


def new_batch_id() -> str:
    """A training batch's id: the UTC time it started (run folders sort by it)."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")


def _new_run_dir(config: AgentConfig, batch: str | None) -> Path:
    run_dir = models_dir(config.algo) / f"{batch or new_batch_id()}-{config.family}-{config.profile}-s{config.seed}"
    run_dir.mkdir(parents=True, exist_ok=False)
    return run_dir


def train_agent(
    algo: str,
    family: str = "mixed",
    profile: str = "quick",
    *,
    overrides: dict[str, Any] | None = None,
    run_dir: str | Path | None = None,
    batch: str | None = None,
    log: Logger | None = None,
    progress: bool = True,
    evaluate_test: bool = True,
    replay_books: Mapping[str, ReplayBook] | None = None,
    replay_validation_books: Mapping[str, ReplayBook] | None = None,
    calibrations: Calibrations | None = None,
) -> RunResult:
    """Train ``algo`` on scenario ``family`` with the ``profile`` budget; write and return the run.

    ``overrides`` is merged last into the YAML config (e.g. ``{"training": {"seed": 3}}``).
    ``run_dir`` defaults to a new folder under ``artifacts_dir()/models/<algo>/``, named after
    ``batch`` (the seeds of one ``trained_agent`` run share it) or the current time.
    ``log`` receives one line per validation and curriculum event (default: print).
    ``replay_books`` (instrument -> its train days) feed the replay groups of ``env.market:
    replay | both``; without them ``both`` trains on the parametric market alone (and says so).
    ``replay_validation_books`` (its validation days) join the checkpoint selection's problems.
    ``calibrations`` are the market a grid family's problems are built on (``grid_calibrations``:
    the warehouse's; None: the built-in instruments' true parameters).
    """
    config = resolve_config(algo, family, profile, overrides)
    log = log or print
    run_dir = Path(run_dir) if run_dir is not None else _new_run_dir(config, batch)
    run_dir.mkdir(parents=True, exist_ok=True)
    if config.specialists:
        specialists = [
            train_agent(
                algo,
                scope,
                profile,
                overrides=overrides,
                run_dir=run_dir / scope,
                log=log,
                progress=progress,
                evaluate_test=evaluate_test,
                replay_books=replay_books,
                replay_validation_books=replay_validation_books,
                calibrations=calibrations,
            )
            for scope in config.specialists
        ]
        return _combine_specialists(config, run_dir, specialists, log)
    device = resolve_device(str(config.training["device"]))
    stages = config.stages()
    curriculum = Curriculum(stages)
    replay = replay_training(config, replay_books or {}, log, calibrations)
    env = make_training_env(family_problems(stages[0].family, "train", calibrations), config.env, config.seed, replay)
    started = time.perf_counter()
    with torch_threads(int(config.training.get("torch_threads", 1))):
        model = ALGORITHM_CLASSES[algo](
            "MlpPolicy", env.venv, seed=config.seed, device=device, verbose=0, **model_kwargs(config)
        )
        if config.training.get("init_at_reference", False):
            start_at_reference(model, ActionMap.from_env_config(config.env))
        validation = replay_validation(config, replay_validation_books or {}, calibrations) if replay else []
        monitor = TrainingMonitor(config, env, curriculum, run_dir, log, progress, validation, calibrations)
        model.learn(total_timesteps=config.total_timesteps, callback=monitor)
        wall = time.perf_counter() - started
        env.venv.close()
        agent = load_checkpoint(run_dir, algo, config.env, device=device)
        test: list[Comparison] = []
        if evaluate_test:
            test_problems = family_problems(family, "test", calibrations)
            test = Benchmark(test_problems, "test", int(config.training["n_test_episodes"])).compare(agent)
    curves = pl.DataFrame(monitor.rows)
    curves.write_csv(run_dir / CURVES_CSV)
    (run_dir / CURVES_PNG).write_bytes(
        curves_png(curves, f"{algo.upper()} on {family} ({profile})", monitor.selected_timestep)
    )
    if agent.normalizer is not None:
        write_json(run_dir / NORMALIZATION_JSON, normalization_stats(agent.normalizer))
    train_rate = model.num_timesteps / max(wall - monitor.eval_seconds, 1e-9)
    result = RunResult(
        run_dir=run_dir,
        algo=algo,
        family=family,
        profile=profile,
        timesteps=model.num_timesteps,
        selected_timestep=monitor.selected_timestep,
        wall_s=wall,
        train_timesteps_per_s=train_rate,
        validation=monitor.selected_validation,
        test=test,
        stage_history=list(curriculum.history),
        curves=curves,
    )
    write_json(
        run_dir / SUMMARY_JSON,
        {
            "algo": algo,
            "family": family,
            "profile": profile,
            "timesteps": result.timesteps,
            "selected_timestep": result.selected_timestep,
            "wall_s": wall,
            "validation_seconds": monitor.eval_seconds,
            "train_timesteps_per_s": train_rate,
            "device": device,
            "stage_history": [list(h) for h in curriculum.history],
            "market": config.env.get("market", "parametric") if replay else "parametric",
            "replay_days": {r.book.instrument: [str(d) for d in r.book.dates] for r in replay},
            "replay_problems": {r.book.instrument: len(r.problems) for r in replay},
            "market_parameters": market_parameters(calibrations),
            "validation": [c.as_dict() for c in result.validation],
            "test": [c.as_dict() for c in result.test],
        },
    )
    # written last: a folder with config.yaml and model.zip is a finished run (evaluation.agents)
    write_yaml(
        run_dir / CONFIG_FILE,
        {
            **config.as_dict(),
            "device": device,
            "stages": [vars(s) for s in stages],
            "versions": {
                "stable_baselines3": stable_baselines3.__version__,
                "torch": str(torch.__version__),
                "gymnasium": gymnasium.__version__,
                "numpy": np.__version__,
            },
        },
    )
    log(f"[{algo} {family}] run folder {run_dir}")
    return result
