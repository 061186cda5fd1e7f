"""Training: stable-baselines3 PPO on the maze, with run directories, checkpoints and held-out evals.

``train(config, run_dir)`` starts a run; ``resume(run_dir)`` continues one from its last checkpoint
with the same step counters. Ctrl-C (SIGINT) or SIGTERM saves a checkpoint and returns cleanly, also
for a run started in the background (``nohup ... &``), where the shell would otherwise ignore SIGINT.
"""

from __future__ import annotations

import ctypes
import platform
import shutil
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import CSVOutputFormat, Logger, TensorBoardOutputFormat
from stable_baselines3.common.utils import get_device
from stable_baselines3.common.vec_env.base_vec_env import VecEnv
from tqdm.auto import tqdm

from cheesemaze.agents.checkpoint import load_checkpoint, save_checkpoint
from cheesemaze.agents.config import TrainConfig
from cheesemaze.agents.loading import Agent, load_policy_weights
from cheesemaze.agents.policy import MazePolicy, policy_kwargs, resolve_precision
from cheesemaze.agents.rundir import CHECKPOINT_DIR, create_run_dir, read_config
from cheesemaze.envs.native import MAX_STEPS

CHEESE_WINDOW = 500
"""Episodes behind the live cheese rate on the progress bar and in ``rollout/cheese_rate``. The rate
is shown and logged only once this many episodes have ended and every env has ended one: the first
episodes to end are the short ones, which are the cheese-finding ones, so an earlier rate reads high
(1.0 at first)."""


def keep_freed_memory() -> bool:
    """Let glibc's malloc keep freed memory for reuse instead of handing it back to the OS.

    A PPO update allocates and frees the same multi-megabyte activations for every minibatch; by
    default glibc serves blocks this large from fresh ``mmap`` pages, whose first-touch page faults
    cost 10-18% of a CPU update here on one thread (benchmarks/bench_training.py times the baseline
    with and without it).
    Process-wide; returns whether it was applied (not where the C library is not glibc).
    """
    if platform.libc_ver()[0] != "glibc":
        return False
    libc = ctypes.CDLL("libc.so.6")
    m_trim_threshold, m_mmap_threshold = -1, -3  # mallopt parameters from glibc's malloc.h
    # 32 MiB is the largest mmap threshold 64-bit glibc accepts; mallopt returns 1 on success.
    return bool(libc.mallopt(m_mmap_threshold, 32 << 20)) and bool(libc.mallopt(m_trim_threshold, 1 << 30))


def make_vec_env(
    config: TrainConfig,
    levels: tuple[int, int],
    seed: int,
    num_envs: int | None = None,
    region: int | None | str = "config",
    sample_levels: bool = True,
    max_steps: int = MAX_STEPS,
) -> VecEnv:
    """The config's backend as a VecEnv over ``levels`` (``region="config"`` keeps the config's region).

    ``max_steps`` is the episodes' time limit: the game's 500 unless a training env passes the config's.
    """
    env = config.env
    region = env.region if region == "config" else region
    n = num_envs or env.num_envs
    if env.backend == "native":
        from cheesemaze.envs.native import NativeMazeVecEnv

        return NativeMazeVecEnv(
            n, env.world_size, region, range(*levels), sample_levels, env.obs_mode, env.action_mode,
            max_steps=max_steps, seed=seed,
        )
    from cheesemaze.envs.procgen_env import ProcgenMazeVecEnv

    return ProcgenMazeVecEnv(
        num_envs=n, distribution_mode={15: "easy", 25: "hard"}[env.world_size], region=region,
        level_seeds=range(*levels), sample_levels=sample_levels, seed=seed,
    )


def make_training_env(config: TrainConfig, seed: int) -> VecEnv:
    """The env a run trains on: the config's training levels, with its training time limit."""
    return make_vec_env(config, config.train_levels, seed, max_steps=config.env.max_steps)


def held_out_outcomes(agent: Agent, region: int | None, n: int, seed: int) -> dict[int, str]:
    """The outcome of one episode of sampled actions on each of the first ``n`` held-out level seeds.

    Episodes are counted by level seed, not by finishing order, so long episodes are not left out.
    The env deals seeds in order from the whole held-out range, so no counted seed is ever played a
    second time: a replay that ended before the first play would favour quick (cheese) episodes.
    Only the envs playing a counted seed ask the agent for actions (the others idle on action 0):
    the evaluation ends waiting for its longest episodes, which a full batch would spend most of its
    forward passes on.
    """
    config = agent.config
    start, stop = config.test_levels
    if not 1 <= n <= stop - start:
        raise ValueError(f"n must be in 1 .. {stop - start} (the held-out level seeds); got {n}")
    env = make_vec_env(config, (start, stop), seed, min(n, 256), region, sample_levels=False)
    rng = np.random.default_rng(seed)
    outcomes: dict[int, str] = {}
    obs = env.reset()
    actions = np.zeros(env.num_envs, dtype=np.int64)
    while len(outcomes) < n:
        counted = env.level_seeds_playing < start + n
        actions[:] = 0
        actions[counted] = agent.act(obs[counted], greedy=False, rng=rng)
        obs, _, _, infos = env.step(actions)
        for info in infos:
            if "outcome" in info and info["level_seed"] < start + n:
                outcomes[info["level_seed"]] = info["outcome"]
    env.close()
    return dict(sorted(outcomes.items()))


def evaluate_outcomes(agent: Agent, region: int | None, n: int, seed: int) -> dict[str, float]:
    """Outcome rates over :func:`held_out_outcomes`."""
    values = list(held_out_outcomes(agent, region, n, seed).values())
    return {k: values.count(k) / n for k in ("cheese", "top_right", "other")}


class RunCallback(BaseCallback):
    """Progress bar with the live cheese rate, periodic held-out evaluation and checkpoints."""

    def __init__(self, config: TrainConfig, run_dir: Path, wall_offset: float) -> None:
        super().__init__()
        self.config, self.run_dir, self.wall_offset = config, run_dir, wall_offset
        self.cheese = deque(maxlen=CHEESE_WINDOW)
        self.envs_ended: set[int] = set()
        self.next_eval = self.next_checkpoint = 0
        self.bar: tqdm | None = None
        self.started = time.time()
        self.last_eval_step = -1

    def wall_seconds(self) -> float:
        return self.wall_offset + time.time() - self.started

    def _on_training_start(self) -> None:
        step = self.num_timesteps
        self.bar = tqdm(total=self.config.total_timesteps, initial=step, unit="step", unit_scale=True,
                        dynamic_ncols=True, desc="train", mininterval=1.0)
        every = self.config.eval_every
        self.next_eval = (step // every + 1) * every if every else float("inf")
        self.next_checkpoint = (step // self.config.checkpoint_every + 1) * self.config.checkpoint_every

    def cheese_rate(self) -> float | None:
        """The training episodes' rolling cheese rate, None while it would be biased (CHEESE_WINDOW)."""
        full = len(self.cheese) == self.cheese.maxlen and len(self.envs_ended) == self.training_env.num_envs
        return float(np.mean(self.cheese)) if full else None

    def _on_step(self) -> bool:
        for i, info in enumerate(self.locals["infos"]):
            if "outcome" in info:
                self.cheese.append(info["outcome"] == "cheese")
                self.envs_ended.add(i)
        self.bar.update(self.training_env.num_envs)
        if self.n_calls % 50 == 0:
            rate = self.cheese_rate()
            shown = f"{rate:.3f}" if rate is not None else f"({len(self.cheese)} episodes)"
            self.bar.set_postfix(cheese=shown, refresh=False)
        return True

    def _on_rollout_end(self) -> None:
        self.logger.record("time/wall_seconds", round(self.wall_seconds(), 1))
        rate = self.cheese_rate()
        if rate is not None:
            self.logger.record("rollout/cheese_rate", rate)
        if self.num_timesteps >= self.next_eval:
            self.next_eval += self.config.eval_every
            self.evaluate()
        if self.num_timesteps >= self.next_checkpoint:
            self.next_checkpoint += self.config.checkpoint_every
            save_run_checkpoint(self.model, self.run_dir, "latest", self.wall_seconds())

    def evaluate(self) -> dict[str, float]:
        self.last_eval_step = self.num_timesteps
        agent = Agent(self.config, self.model.policy, self.run_dir)
        was_training = self.model.policy.training
        self.model.policy.set_training_mode(False)
        rates = {}
        for name, region in (("train", self.config.env.region), ("anywhere", None)):
            result = evaluate_outcomes(agent, region, self.config.eval_episodes, self.config.seed)
            rates[name] = result["cheese"]
            for outcome, rate in result.items():
                self.logger.record(f"eval/{name}_{outcome}", rate)
        self.model.policy.set_training_mode(was_training)
        self.bar.write(f"[{self.num_timesteps:,} steps, {self.wall_seconds():.0f}s] held-out cheese: "
                       f"train {rates['train']:.3f}, anywhere {rates['anywhere']:.3f}")
        return rates

    def _on_training_end(self) -> None:
        if self.bar is not None:
            self.bar.close()


def save_run_checkpoint(model: PPO, run_dir: Path, name: str, wall_seconds: float) -> Path:
    """Save the policy, optimizer and step counters as ``checkpoints/<name>.pt``."""
    path = Path(run_dir) / CHECKPOINT_DIR / f"{name}.pt"
    tensors = {"policy": model.policy.state_dict(), "optimizer": model.policy.optimizer.state_dict()}
    meta = {"num_timesteps": int(model.num_timesteps), "n_updates": int(model._n_updates),
            "wall_seconds": round(wall_seconds, 1)}
    save_checkpoint(path, tensors, meta)
    return path


def lr_schedule(config: TrainConfig) -> Callable[[float], float]:
    """SB3's learning-rate schedule (a function of the fraction of ``total_timesteps`` left): linear
    from ``ppo.learning_rate`` to ``lr_final_fraction`` of it over ``lr_decay_steps``, then flat."""
    ppo, total = config.ppo, config.total_timesteps
    lr0, lr1 = ppo.learning_rate, ppo.learning_rate * ppo.lr_final_fraction
    decay_steps = ppo.lr_decay_steps or total

    def schedule(progress_remaining: float) -> float:
        done = min((1.0 - progress_remaining) * total / decay_steps, 1.0)
        return lr0 + (lr1 - lr0) * done

    return schedule


def build_model(config: TrainConfig, env: VecEnv) -> PPO:
    """SB3 PPO with the IMPALA policy, seeded from the config (``ppo.precision`` resolved here)."""
    ppo = resolve_precision(config).ppo
    return PPO(
        MazePolicy, env, learning_rate=lr_schedule(config), n_steps=ppo.n_steps, batch_size=ppo.batch_size,
        n_epochs=ppo.n_epochs, gamma=ppo.gamma, gae_lambda=ppo.gae_lambda, clip_range=ppo.clip_range,
        ent_coef=ppo.ent_coef, vf_coef=ppo.vf_coef, max_grad_norm=ppo.max_grad_norm,
        policy_kwargs=policy_kwargs(ppo), seed=config.seed, device=get_device(config.device), verbose=0,
    )


def run_logger(run_dir: Path, part: int) -> Logger:
    """CSV and TensorBoard logs; a resumed run writes ``progress.<part>.csv`` beside the first file."""
    name = "progress.csv" if part == 0 else f"progress.{part}.csv"
    return Logger(str(run_dir), [CSVOutputFormat(str(run_dir / name)), TensorBoardOutputFormat(str(run_dir / "tb"))])


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextmanager
def _stop_signal_handler(handler):
    """SIGINT and SIGTERM go to ``handler`` inside the block (main thread only: elsewhere Python
    cannot set handlers), and back to the previous handlers after it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def stop_signals_interrupt():
    """While training, SIGINT and SIGTERM raise ``KeyboardInterrupt`` (so the run saves and exits)."""
    return _stop_signal_handler(_interrupt)


@contextmanager
def signals_held():
    """SIGINT and SIGTERM wait until the block ends (a checkpoint is written whole), then raise
    ``KeyboardInterrupt``. Python runs signal handlers in the main thread only, so swapping the
    handler holds them whichever thread the kernel delivers them to."""
    pending = []
    with _stop_signal_handler(lambda signum, frame: pending.append(signum)):
        yield
    if pending:
        raise KeyboardInterrupt(f"signal {pending[0]}")


def _learn(model: PPO, config: TrainConfig, run_dir: Path, wall_offset: float, part: int) -> PPO:
    """Train to ``config.total_timesteps`` under :func:`stop_signals_interrupt`: a stop signal saves
    ``latest`` and returns; the end of training saves ``latest`` and ``final`` with the signals held
    off, then evaluates once more (a stop signal skips that evaluation only)."""
    callback = RunCallback(config, run_dir, wall_offset)
    try:
        model.set_logger(run_logger(run_dir, part))
        model.learn(config.total_timesteps - model.num_timesteps, callback=callback, reset_num_timesteps=False)
    except KeyboardInterrupt:
        with signals_held():
            path = save_run_checkpoint(model, run_dir, "latest", callback.wall_seconds())
        print(f"\ninterrupted at {model.num_timesteps:,} steps; saved {path}; continue with --resume")
        return model
    try:
        with signals_held():
            save_run_checkpoint(model, run_dir, "latest", callback.wall_seconds())
            save_run_checkpoint(model, run_dir, "final", callback.wall_seconds())
        if config.eval_every and callback.last_eval_step != model.num_timesteps:
            callback.evaluate()
            model.logger.dump(model.num_timesteps)
    except KeyboardInterrupt:
        print("\ninterrupted after training; the final checkpoint is saved, the last evaluation skipped")
    return model


def check_device_available(config: TrainConfig) -> None:
    """Raise ``ValueError`` when the config asks for a CUDA device this machine does not have
    (stable-baselines3 would quietly train on the CPU instead)."""
    if not config.device.startswith("cuda"):
        return
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    index = int(config.device.partition(":")[2] or 0)
    if index >= count:
        raise ValueError(f"device {config.device!r}: torch sees {count} CUDA device(s) here; "
                         "use device cpu or auto (for a run directory: its config.json's device)")


def _set_up_process(config: TrainConfig) -> None:
    """Process-wide settings a training run needs: torch's thread count and the allocator's."""
    torch.set_num_threads(config.torch_threads)
    keep_freed_memory()


class InterruptedBeforeTraining(Exception):
    """A stop signal arrived before the first training step: nothing was trained, nothing saved."""


def train(config: TrainConfig, run_dir: Path) -> PPO:
    """Train a new agent into the new run directory ``run_dir``.

    SIGINT and SIGTERM save a checkpoint once training has begun; one during the setup before it
    removes the new run directory and raises :class:`InterruptedBeforeTraining`.
    """
    check_device_available(config)
    config = resolve_precision(config)
    with stop_signals_interrupt():
        run_dir = create_run_dir(run_dir, config)
        try:
            print(f"run directory: {run_dir}")
            _set_up_process(config)
            env = make_training_env(config, config.seed)
            model = build_model(config, env)
        except KeyboardInterrupt:
            shutil.rmtree(run_dir)
            raise InterruptedBeforeTraining(f"interrupted before the first step; removed {run_dir}") from None
        return _learn(model, config, run_dir, 0.0, 0)


def load_optimizer_state(optimizer: torch.optim.Optimizer, state: dict) -> None:
    """Load a saved optimizer state but keep this build's implementation choice (fused, foreach):
    ``load_state_dict`` would restore the one the checkpoint was saved with, which for older runs is
    the slow per-tensor loop. The choice goes into the state before loading, because torch places
    each saved step counter by it (the fused kernel needs them on the parameters' device)."""
    chosen = [{k: group[k] for k in ("fused", "foreach")} for group in optimizer.param_groups]
    groups = [{**saved, **ours} for saved, ours in zip(state["param_groups"], chosen)]
    optimizer.load_state_dict({**state, "param_groups": groups})


def resume(run_dir: Path) -> PPO:
    """Continue a run from ``checkpoints/latest.pt`` with its step counters."""
    run_dir = Path(run_dir)
    config = read_config(run_dir)
    check_device_available(config)
    path = run_dir / CHECKPOINT_DIR / "latest.pt"
    tensors, meta = load_checkpoint(path)
    if meta["num_timesteps"] >= config.total_timesteps:
        raise ValueError(f"{run_dir} has trained {meta['num_timesteps']:,} of its {config.total_timesteps:,} "
                         "steps; to train on, raise total_timesteps in its config.json")
    with stop_signals_interrupt():
        try:
            _set_up_process(config)
            env = make_training_env(config, config.seed + meta["num_timesteps"])
            model = build_model(config, env)
            load_policy_weights(model.policy, tensors["policy"], path)
            load_optimizer_state(model.policy.optimizer, tensors["optimizer"])
        except KeyboardInterrupt:
            raise InterruptedBeforeTraining(f"interrupted before the first step; {run_dir} is as it was") from None
        model.num_timesteps, model._n_updates = meta["num_timesteps"], meta["n_updates"]
        part = len(list(run_dir.glob("progress*.csv")))
        return _learn(model, config, run_dir, meta["wall_seconds"], part)
