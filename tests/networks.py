"""Agents built in a test: an untrained policy of a small preset, alone or saved as run directories."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from cheesemaze.agents.checkpoint import save_checkpoint
from cheesemaze.agents.config import CPU_EASY, EnvConfig, TrainConfig
from cheesemaze.agents.loading import Agent
from cheesemaze.agents.policy import build_policy
from cheesemaze.agents.rundir import create_run_dir


SMALL = dataclasses.replace(CPU_EASY, env=EnvConfig(world_size=7, region=5, num_envs=8),
                            ppo=dataclasses.replace(CPU_EASY.ppo, impala_scale=0.5, features_dim=32))
"""cpu-easy's architecture (full-resolution block included) at half width, on a 7x7 world: quick to roll out."""


def untrained_agent(config: TrainConfig = SMALL, precision: str = "float32", seed: int = 0) -> Agent:
    """A freshly initialized policy (weights from ``seed``) in evaluation mode."""
    torch.manual_seed(seed)
    config = config.with_precision(precision)
    policy = build_policy(config)
    policy.set_training_mode(False)
    return Agent(config=config, policy=policy, run_dir=Path("untrained"))


@pytest.fixture
def one_torch_thread():
    """One torch thread for a test: on a busy two-core machine a second, spinning thread stalls the
    small forward passes a rollout makes (hundreds of them) by up to a second each."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def save_runs(folder: Path) -> Path:
    """A folder of two run directories holding untrained SMALL agents, training seeds 0 and 1."""
    for seed in (0, 1):
        config = dataclasses.replace(SMALL, seed=seed).with_precision("float32")
        run = create_run_dir(folder / f"s{seed}", config)
        save_checkpoint(run / "checkpoints" / "final.pt", {"policy": untrained_agent(seed=seed).policy.state_dict()},
                        {"num_timesteps": 0})
    return folder
