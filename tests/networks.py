"""Agents built in a test: an untrained policy of a preset, with the config a run would record."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

from cheesemaze.agents.config import CPU_EASY, EnvConfig, TrainConfig
from cheesemaze.agents.loading import Agent
from cheesemaze.agents.policy import build_policy


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
