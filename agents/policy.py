"""Building the actor-critic from a config alone (the architecture is never guessed from tensors)."""

from __future__ import annotations

import warnings
from typing import Any

import gymnasium as gym
import numpy as np
import torch
import torch.nn.functional as F
from stable_baselines3.common.distributions import Distribution
from stable_baselines3.common.policies import ActorCriticCnnPolicy
from stable_baselines3.common.utils import get_device

from cheesemaze.agents.config import PPOConfig, TrainConfig
from cheesemaze.agents.impala import ImpalaCNN
from cheesemaze.envs.actions import COMPACT_STEPS
from cheesemaze.envs.game import action_space, observation_space
from cheesemaze.envs.render import MOUSE, TRAP, WALL
from cheesemaze.envs.symmetry import FLIPPED_ACTIONS


def cpu_has_native_bf16() -> bool:
    """Whether this CPU has bfloat16 dot-product instructions (AVX512-BF16 or AMX tiles).

    Elsewhere bfloat16 convolutions are emulated and can be slower than float32.
    """
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)


def resolve_precision(config: TrainConfig) -> TrainConfig:
    """``config`` with ``ppo.precision="auto"`` made concrete for this machine and ``config.device``."""
    if config.ppo.precision != "auto":
        return config
    native = get_device(config.device).type == "cpu" and cpu_has_native_bf16()
    return config.with_precision("bfloat16" if native else "float32")


def runnable_precision(config: TrainConfig) -> TrainConfig:
    """``config`` as this machine's CPU should run a trained agent: float32 where a bfloat16 agent would
    run on a CPU without native bfloat16 (emulated there, 2-10x slower than float32). The weights are
    float32 either way; the outputs differ only by rounding."""
    if config.ppo.precision != "bfloat16" or cpu_has_native_bf16():
        return config
    warnings.warn("this agent was trained with bfloat16 convolutions; this CPU has no native bfloat16, "
                  "so it runs in float32", stacklevel=2)
    return config.with_precision("float32")


def moving_actions(obs: torch.Tensor) -> torch.Tensor:
    """Which compact actions move the mouse, (n, 5) bool, from grid observations (n, 3, W, W).

    A move into a wall or off the world leaves the mouse where it is, as NOOP always does. A row
    with no mouse drawn (never an env's observation) allows the four moves.
    """
    walls = F.pad(obs[:, WALL] > 0, (1, 1, 1, 1), value=True)  # the world's edge as wall
    mouse = obs[:, MOUSE] > 0
    w = obs.shape[-1]
    moving = [~(mouse & walls[:, 1 + dr : 1 + dr + w, 1 + dc : 1 + dc + w]).flatten(1).any(1)
              if (dr, dc) != (0, 0) else torch.zeros(len(obs), dtype=torch.bool, device=obs.device)
              for dr, dc in COMPACT_STEPS.tolist()]
    return torch.stack(moving, dim=1)


class MazePolicy(ActorCriticCnnPolicy):
    """SB3's actor-critic over the IMPALA features, with the optional diagonal-flip augmentation and
    the optional restriction to moving actions.

    :param diagonal_flip: probability that each sample of a training minibatch is reflected
        (``ppo.diagonal_flip``). PPO's importance ratio divides the reflected sample's new probability
        by the rollout probability of the original action: the reflected episode is what the
        reflected rollout policy would have played, with the same returns. Where the rollout policy
        is not itself symmetric, a reflected sample starts the update at a ratio other than 1, so
        some are clipped from the first epoch on, and the logged ``clip_fraction`` and
        ``approx_kl`` count that asymmetry too. Only the loss of a PPO update (``evaluate_actions``
        in training mode) sees reflections; acting never does.
    :param moves_only: give the actions that leave the mouse where it is (NOOP, a move into a wall or
        off the world; ``moving_actions``) probability zero (``ppo.moves_only``). The mask is a
        function of the observation, so it is part of the policy: acting, PPO's log-probabilities and
        entropy, and every analysis see the same distribution.
    """

    def __init__(self, *args, diagonal_flip: float = 0.0, moves_only: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not 0 <= diagonal_flip <= 1:
            raise ValueError(f"diagonal_flip must be a probability in [0, 1]; got {diagonal_flip}")
        grid = len(self.observation_space.shape) == 3 and self.observation_space.high.max() == 1
        compact = self.action_space.n == len(FLIPPED_ACTIONS)
        for name, on in (("diagonal_flip", diagonal_flip), ("moves_only", moves_only)):
            if on and not (compact and grid):
                raise ValueError(f"{name} needs compact actions and grid observations (0/1 channels)")
        if not self.share_features_extractor:
            raise ValueError("MazePolicy's heads read one features extractor shared by the actor and critic")
        self.diagonal_flip = diagonal_flip
        self.moves_only = moves_only
        self.register_buffer("flipped_actions", torch.as_tensor(FLIPPED_ACTIONS), persistent=False)

    def heads(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Action logits (n, n_actions; masked where ``moves_only``) and values (n, 1), from one pass
        through the shared features extractor."""
        latent_pi, latent_vf = self.mlp_extractor(self.extract_features(obs))
        logits = self.action_net(latent_pi)
        if self.moves_only:
            logits = logits.masked_fill(~moving_actions(obs), torch.finfo(logits.dtype).min)
        return logits, self.value_net(latent_vf)

    def _distribution(self, obs: torch.Tensor) -> tuple[Distribution, torch.Tensor]:
        logits, values = self.heads(obs)
        return self.action_dist.proba_distribution(action_logits=logits), values

    def forward(self, obs: torch.Tensor, deterministic: bool = False) -> tuple[torch.Tensor, ...]:
        """Actions, values and log-probabilities, as SB3's, from ``heads``."""
        distribution, values = self._distribution(obs)
        actions = distribution.get_actions(deterministic=deterministic)
        return actions, values, distribution.log_prob(actions)

    def get_distribution(self, obs: torch.Tensor) -> Distribution:
        """The action distribution, as SB3's, from ``heads``."""
        return self._distribution(obs)[0]

    def evaluate_actions(
        self, obs: torch.Tensor, actions: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """SB3's values, log-probabilities and entropy (of the masked distribution where ``moves_only``),
        of reflected pairs where ``flip_some`` says."""
        if self.training and self.diagonal_flip:
            obs, actions = self.flip_some(obs, actions)
        distribution, values = self._distribution(obs)
        return values, distribution.log_prob(actions), distribution.entropy()

    def flip_some(self, obs: torch.Tensor, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Reflect each (observation, action) pair with probability ``diagonal_flip`` (torch's RNG)."""
        flip = torch.rand(len(actions), device=actions.device) < self.diagonal_flip
        flipped_obs = obs.transpose(-1, -2).flip((-2, -1))  # envs.symmetry.flip_grid's map, on tensors
        obs = torch.where(flip.view(-1, 1, 1, 1), flipped_obs, obs)
        actions = torch.where(flip, self.flipped_actions[actions.long()], actions.long())
        return obs, actions


def policy_kwargs(ppo: PPOConfig) -> dict[str, Any]:
    """SB3 ``policy_kwargs``: IMPALA features, linear policy and value heads, Adam with ``adam_eps``."""
    if ppo.precision == "auto":
        raise ValueError("ppo.precision 'auto' must be resolved for a machine first (resolve_precision)")
    return {
        "features_extractor_class": ImpalaCNN,
        "features_extractor_kwargs": {
            "scale": ppo.impala_scale, "features_dim": ppo.features_dim, "upsample": ppo.upsample,
            "precision": ppo.precision, "full_res_blocks": ppo.full_res_blocks,
            "full_res_width": ppo.full_res_width, "pooled_head": ppo.pooled_head,
            "edge_walls": ppo.edge_walls,
        },
        "diagonal_flip": ppo.diagonal_flip,
        "moves_only": ppo.moves_only,
        "net_arch": [],
        "normalize_images": True,
        # fused: one kernel over all tensors (0.2 ms per step on the CPU, against 0.7 ms for foreach's
        # batched ops and more for the default per-tensor loop; ~1.5% of a cpu-easy update)
        "optimizer_kwargs": {"eps": ppo.adam_eps, "fused": True},
    }


def policy_spaces(config: TrainConfig) -> tuple[gym.spaces.Box, gym.spaces.Discrete]:
    """Observation and action spaces as the policy sees them (RGB transposed to channels-first)."""
    obs = observation_space(config.env.obs_mode, config.env.world_size, config.env.traps > 0)
    if config.env.obs_mode == "rgb":
        obs = gym.spaces.Box(0, 255, (obs.shape[2], obs.shape[0], obs.shape[1]), np.uint8)
    return obs, action_space(config.env.action_mode)


def build_policy(config: TrainConfig) -> MazePolicy:
    """A freshly initialized policy with the architecture ``config`` describes."""
    obs, act = policy_spaces(config)
    ppo = resolve_precision(config).ppo
    return MazePolicy(obs, act, lambda _: ppo.learning_rate, **policy_kwargs(ppo))


TRAP_CHANNEL_UNSEEN = ("this grid has the trap channel (4 channels), which this policy never saw (3 channels: "
                       "trained with env.traps = 0); give it the maze without the channel")


def obs_to_tensor(policy: ActorCriticCnnPolicy, obs: np.ndarray) -> torch.Tensor:
    """Observations from an env (RGB channels-last or grid channels-first) as the policy's input."""
    expected = policy.observation_space.shape
    if expected[0] == TRAP + 1 and obs.shape[1:] == (TRAP, *expected[1:]):
        # A grid without the trap channel shows a maze without a trap: the channel is dark, as the
        # agent saw it in training on such mazes. So evaluations, cell maps and probes run an agent
        # trained with traps on ordinary mazes unchanged.
        obs = np.concatenate([obs, np.zeros_like(obs[:, :1])], axis=1)
    if expected[0] == TRAP and obs.shape[1:] == (TRAP + 1, *expected[1:]):
        raise ValueError(TRAP_CHANNEL_UNSEEN)
    if obs.shape[1:] != expected:
        if obs.shape[1:] != (expected[1], expected[2], expected[0]):
            raise ValueError(f"observations of shape {obs.shape[1:]} do not fit the policy's {expected}")
        obs = np.transpose(obs, (0, 3, 1, 2))
    return torch.as_tensor(obs, device=policy.device)
