"""Warm starts: a new run that begins from another agent's policy weights (``cheesemaze train --init-from``).

The source is loaded as any agent is (``loading.load_agent``: its run's final or latest checkpoint,
its SHA-256 checked against the manifest), checked against the new run's architecture before the run
directory exists, and recorded in the new run's ``init.json``. Only the policy's weights travel: the
optimizer state, the step counters and the learning-rate schedule start fresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from cheesemaze.agents.config import TrainConfig
from cheesemaze.agents.loading import load_agent
from cheesemaze.agents.policy import build_policy, policy_spaces
from cheesemaze.agents.rundir import code_version
from cheesemaze.envs.files import atomic_write_json

INIT_FILE = "init.json"
"""A warm-started run's record of where its first weights came from."""


@dataclass(frozen=True)
class WarmStart:
    """A source agent's policy weights, checked to fit a config, and where they came from."""

    state: dict[str, torch.Tensor]
    """The source policy's state dict."""
    record: dict[str, Any]
    """What ``init.json`` holds: the spec as given, the run directory, the checkpoint, its SHA-256 and steps."""


def shape_mismatch(ours: dict[str, torch.Tensor], theirs: dict[str, torch.Tensor]) -> str | None:
    """The first difference between two state dicts' keys or tensor shapes, in words; None if none."""
    missing, extra = sorted(ours.keys() - theirs.keys()), sorted(theirs.keys() - ours.keys())
    if missing or extra:
        return f"parameters {missing[:3]} only here, {extra[:3]} only in the source"
    for key, tensor in ours.items():
        if tensor.shape != theirs[key].shape:
            return f"{key} is {tuple(theirs[key].shape)} in the source, {tuple(tensor.shape)} here"
    return None


def load_warm_start(spec: str | Path, config: TrainConfig) -> WarmStart:
    """The policy weights of the agent ``spec`` names (a run directory or a shipped agent's name) for a
    new run of ``config``; ``ValueError`` in one line when it does not exist, sees other observations,
    or its network's parameters do not have this config's shapes."""
    agent = load_agent(spec)
    source = agent.config.env
    theirs, ours = agent.observation_space.shape[0], policy_spaces(config)[0].shape[0]
    if (source.obs_mode, theirs) != (config.env.obs_mode, ours):
        raise ValueError(f"--init-from {spec}: it sees {source.obs_mode} observations with {theirs} channels, this "
                         f"run {config.env.obs_mode} with {ours} (env.obs_mode and env.traps must agree)")
    state = agent.policy.state_dict()
    mismatch = shape_mismatch(build_policy(config).state_dict(), state)
    if mismatch:
        hint = ""
        if source.world_size != config.env.world_size and mismatch.startswith("features_extractor.fc."):
            hint = (f" (a flattened head's fc grows with the world, {source.world_size} there and "
                    f"{config.env.world_size} here: --ppo.pooled-head makes it fit)")
        raise ValueError(f"--init-from {spec}: its network does not fit this config's: {mismatch}{hint}")
    record = {"init_from": str(spec), "run_dir": str(agent.run_dir), "checkpoint": str(agent.checkpoint),
              "checkpoint_sha256": agent.checkpoint_sha256, "num_timesteps": agent.num_timesteps,
              "world_size": source.world_size, "pooled_head": agent.config.ppo.pooled_head,
              "edge_walls": agent.config.ppo.edge_walls, "code_version": code_version()}
    return WarmStart(state=state, record=record)


def record_warm_start(run_dir: Path, warm: WarmStart) -> None:
    """Write ``init.json`` into the new run directory (no later command rewrites it)."""
    atomic_write_json(Path(run_dir) / INIT_FILE, warm.record)
