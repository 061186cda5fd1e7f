"""Building the actor-critic from a config alone (the architecture is never guessed from tensors)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3.common.policies import ActorCriticCnnPolicy

from cheesemaze.agents.config import PPOConfig, TrainConfig
from cheesemaze.agents.impala import ImpalaCNN
from cheesemaze.envs.native import action_space, observation_space


def policy_kwargs(ppo: PPOConfig) -> dict[str, Any]:
    """SB3 ``policy_kwargs``: IMPALA features, linear policy and value heads, Adam with ``adam_eps``."""
    return {
        "features_extractor_class": ImpalaCNN,
        "features_extractor_kwargs": {
            "scale": ppo.impala_scale, "features_dim": ppo.features_dim, "upsample": ppo.upsample,
        },
        "net_arch": [],
        "normalize_images": True,
        # foreach: one batched update over all tensors instead of a Python loop (~4% of a CPU update)
        "optimizer_kwargs": {"eps": ppo.adam_eps, "foreach": True},
    }


def policy_spaces(config: TrainConfig) -> tuple[gym.spaces.Box, gym.spaces.Discrete]:
    """Observation and action spaces as the policy sees them (RGB transposed to channels-first)."""
    obs = observation_space(config.env.obs_mode, config.env.world_size)
    if config.env.obs_mode == "rgb":
        obs = gym.spaces.Box(0, 255, (obs.shape[2], obs.shape[0], obs.shape[1]), np.uint8)
    return obs, action_space(config.env.action_mode)


def build_policy(config: TrainConfig) -> ActorCriticCnnPolicy:
    """A freshly initialized policy with the architecture ``config`` describes."""
    obs, act = policy_spaces(config)
    return ActorCriticCnnPolicy(obs, act, lambda _: config.ppo.learning_rate, **policy_kwargs(config.ppo))


def obs_to_tensor(policy: ActorCriticCnnPolicy, obs: np.ndarray) -> torch.Tensor:
    """Observations from an env (RGB channels-last or grid channels-first) as the policy's input."""
    expected = policy.observation_space.shape
    if obs.shape[1:] != expected:
        if obs.shape[1:] != (expected[1], expected[2], expected[0]):
            raise ValueError(f"observations of shape {obs.shape[1:]} do not fit the policy's {expected}")
        obs = np.transpose(obs, (0, 3, 1, 2))
    return torch.as_tensor(obs, device=policy.device)
