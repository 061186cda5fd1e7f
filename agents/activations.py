"""The residual stream of a loaded agent: where it can be read and edited, what it holds for given
observations, and the agent acting with an edit applied.

The hook points are the IMPALA network's residual additions (``stacks.{i}.res{j}.add``, and
``stacks.0.pre{j}.add`` where the config has full-resolution blocks), named relative to the
features extractor, in forward order. Activations cross into numpy as float32 arrays (N, C, H, W),
so the analysis layer never handles tensors: an edit is a numpy function of the observations and
the activations, and what it returns replaces the activations for the rest of the forward pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import torch

from cheesemaze.agents.impala import ResidualAdd
from cheesemaze.agents.loading import Agent
from cheesemaze.agents.policy import MazePolicy, obs_to_tensor

Edit = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``edit(obs, activations) -> activations``: the observations of the batch (as the env gives them)
and the hook point's activations (N, C, H, W) float32; returns an array of the same shape."""


def hook_points(policy: MazePolicy) -> list[str]:
    """The residual additions of the policy's features extractor, in forward order."""
    return [name for name, module in policy.features_extractor.named_modules() if isinstance(module, ResidualAdd)]


def check_hook_point(policy: MazePolicy, name: str) -> str:
    """``name`` if it is one of the policy's hook points, else ``ValueError`` listing them."""
    points = hook_points(policy)
    if name not in points:
        raise ValueError(f"layer {name!r} is not a residual addition of this network; choose from {', '.join(points)}")
    return name


def _module(policy: MazePolicy, name: str) -> torch.nn.Module:
    return policy.features_extractor.get_submodule(check_hook_point(policy, name))


@torch.no_grad()
def record(policy: MazePolicy, obs: np.ndarray, layers: Sequence[str], batch_size: int = 1024) -> dict[str, np.ndarray]:
    """The activations (N, C, H, W, float32) at each of ``layers`` for a batch of observations."""
    found: dict[str, list[np.ndarray]] = {name: [] for name in layers}
    handles = []
    for name in layers:
        def keep(module, inputs, output, name=name):
            found[name].append(output.detach().float().cpu().numpy())
        handles.append(_module(policy, name).register_forward_hook(keep))
    try:
        for lo in range(0, len(obs), batch_size):
            policy.extract_features(obs_to_tensor(policy, obs[lo : lo + batch_size]))
    finally:
        for handle in handles:
            handle.remove()
    return {name: np.ascontiguousarray(np.concatenate(parts)) for name, parts in found.items()}


@contextmanager
def editing(policy: MazePolicy, edits: Sequence[tuple[str, Edit]], obs: np.ndarray) -> Iterator[None]:
    """Forward hooks that pass the activations at each named layer through its edit, for the forward
    passes on ``obs`` run inside the block; edits at one layer apply in the order given."""
    handles = []
    for name, edit in edits:
        def hook(module, inputs, output, edit=edit):
            edited = np.ascontiguousarray(edit(obs, output.detach().float().cpu().numpy()), dtype=np.float32)
            if edited.shape != tuple(output.shape):
                raise ValueError(f"an edit returned shape {edited.shape} for activations of shape {tuple(output.shape)}")
            # empty_like keeps the output's dtype and memory layout, so an edit that changes nothing
            # hands the next layer bit-identical input.
            return torch.empty_like(output).copy_(torch.from_numpy(edited))
        handles.append(_module(policy, name).register_forward_hook(hook))
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


class EditedAgent:
    """An agent whose residual stream is edited in every forward pass it makes while acting.

    ``distribution`` is the agent's, with :func:`editing`'s hooks in place for that call only, so
    the agent itself is never left modified and rollouts (which cache one forward pass per maze and
    cell) see the edit on every pass they make.
    """

    def __init__(self, agent: Agent, edits: Sequence[tuple[str, Edit]]) -> None:
        for name, _ in edits:
            check_hook_point(agent.policy, name)
        self.agent = agent
        self.edits = list(edits)
        self.config = agent.config

    def distribution(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Action probabilities (n, n_actions) and values (n,) with the edits applied."""
        with editing(self.agent.policy, self.edits, obs):
            return self.agent.distribution(obs)

    @torch.no_grad()
    def logits(self, obs: np.ndarray) -> np.ndarray:
        """The action logits (n, n_actions) with the edits applied."""
        with editing(self.agent.policy, self.edits, obs):
            logits, _ = self.agent.policy.heads(obs_to_tensor(self.agent.policy, obs))
        return logits.float().cpu().numpy()
