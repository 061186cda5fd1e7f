"""The stable-baselines3 PPO model of a config: learning-rate schedule, model and logger."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from stable_baselines3 import PPO
from stable_baselines3.common.logger import CSVOutputFormat, Logger, TensorBoardOutputFormat
from stable_baselines3.common.utils import get_device
from stable_baselines3.common.vec_env.base_vec_env import VecEnv

from cheesemaze.agents.config import TrainConfig
from cheesemaze.agents.policy import MazePolicy, policy_kwargs, resolve_precision


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
