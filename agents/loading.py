"""Loading a trained agent for analysis: config from ``config.json``, weights from tensors only."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from stable_baselines3.common.policies import ActorCriticCnnPolicy

from cheesemaze.agents.checkpoint import load_checkpoint
from cheesemaze.agents.config import TrainConfig
from cheesemaze.agents.policy import MazePolicy, build_policy, obs_to_tensor, runnable_precision
from cheesemaze.agents.rundir import latest_checkpoint, read_config, resolve_agent_dir
from cheesemaze.envs.maze import check_levels


def choose_actions(probs: np.ndarray, uniforms: np.ndarray | None) -> np.ndarray:
    """Greedy (``uniforms`` None: the most probable action) or inverse-CDF sampling, one per row."""
    if uniforms is None:
        return probs.argmax(axis=1)
    cdf = np.cumsum(probs, axis=1, dtype=np.float64)
    cdf /= cdf[:, -1:]
    return np.minimum((cdf < uniforms[:, None]).sum(axis=1), probs.shape[1] - 1)


@dataclass
class Agent:
    """A trained policy with the config it was trained under."""

    config: TrainConfig
    policy: MazePolicy
    run_dir: Path
    checkpoint: Path | None = None
    """The checkpoint file the weights came from."""
    num_timesteps: int | None = None
    """Training env-steps at that checkpoint (from its manifest)."""
    checkpoint_sha256: str | None = None
    """SHA-256 of the checkpoint file (checked against its manifest when loaded)."""

    @property
    def observation_space(self):
        """The network's observation space: its channel count says whether it sees the trap channel."""
        return self.policy.observation_space

    @torch.no_grad()
    def distribution(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Action probabilities (n, n_actions) and value estimates (n,) for a batch of observations."""
        # One pass through the shared features extractor serves both heads (SB3's get_distribution
        # and predict_values would each run it: twice the cost in rollouts).
        logits, values = self.policy.heads(obs_to_tensor(self.policy, obs))
        return torch.softmax(logits, dim=-1).cpu().numpy(), values.squeeze(-1).cpu().numpy()

    def act(self, obs: np.ndarray, greedy: bool, rng: np.random.Generator) -> np.ndarray:
        """One action per observation: the most probable one, or sampled with ``rng``."""
        probs, _ = self.distribution(obs)
        return choose_actions(probs, None if greedy else rng.random(len(probs)))


def load_policy_weights(policy: ActorCriticCnnPolicy, state: dict, source: Path) -> None:
    """Load a state dict into ``policy``; a mismatch with the config's architecture is a clear error."""
    try:
        policy.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise ValueError(f"checkpoint {source} does not match the architecture in config.json: {err}") from err


def load_agent(spec: str | Path, checkpoint: Path | None = None) -> Agent:
    """Load a shipped agent by name (``"r5"``, ``"control"``) or a run directory by path.

    ``Agent.config`` is the recorded config; the policy runs in its precision where this CPU has
    native bfloat16, else in float32 (``runnable_precision``).
    """
    run_dir = resolve_agent_dir(spec)
    config = read_config(run_dir)
    path = Path(checkpoint) if checkpoint else latest_checkpoint(run_dir)
    tensors, meta = load_checkpoint(path)
    if "policy" not in tensors:
        raise ValueError(f"checkpoint {path} holds no policy weights")
    policy = build_policy(runnable_precision(config))
    load_policy_weights(policy, tensors["policy"], path)
    policy.set_training_mode(False)
    return Agent(config=config, policy=policy, run_dir=run_dir, checkpoint=path,
                 num_timesteps=meta.get("num_timesteps"), checkpoint_sha256=meta.get("sha256"))


def load_checked(spec: str | Path, n: int, level_start: int | None, threads: int,
                 checkpoint: Path | None = None) -> tuple[Agent, int]:
    """The agent and the first held-out level seed, after checking ``n``, ``threads`` and that the
    seeds avoid the training range; ``ValueError`` names the problem."""
    if n < 1:
        raise ValueError(f"--n must be at least 1; got {n}")
    if threads < 1:
        raise ValueError(f"--threads must be at least 1; got {threads}")
    torch.set_num_threads(threads)
    agent = load_agent(spec, checkpoint)
    start = agent.config.test_levels[0] if level_start is None else level_start
    levels = check_levels(start, n, tuple(agent.config.train_levels))
    lo, hi = agent.config.test_levels
    if not (lo <= levels.start and levels.stop <= hi):
        print(f"note: level seeds {levels.start}..{levels.stop - 1} reach outside the agent's held-out range "
              f"{lo}..{hi - 1}: they are not training seeds, but not the seeds its training log's "
              "evaluations drew from either", file=sys.stderr)
    return agent, start
