"""Finite-horizon dynamic programming for a sampled reward over the mouse's cell, with terminal cells.

The reference for the training-compatible solver and its solver under a discount: ``V_k`` is the
best return with ``k`` steps left, ``V_k(s) = max_a R(s') + gamma [s' not terminal] V_{k-1}(s')``,
vectorized over reward samples and cells with one loop over the horizon. Ties between actions go
to the first in the order NOOP, UP, DOWN, LEFT, RIGHT (staying wins when indifferent).
"""

from __future__ import annotations

import numpy as np

from cheesemaze.analysis.hypotheses.graph import MazeGraph
from cheesemaze.agents.rollout import ROLLOUT_OUTCOMES

TIE_ORDER = np.array([4, 0, 1, 2, 3])
"""Compact actions in tie-breaking order: NOOP first."""
TOP_RIGHT, OTHER = ROLLOUT_OUTCOMES.index("top_right"), ROLLOUT_OUTCOMES.index("other")


def backward_induction(
    graph: MazeGraph, rewards: np.ndarray, terminals: dict[int, int], horizon: int, discount: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Optimal values (K, n) with ``horizon`` steps left and the greedy actions (horizon, K, n) as int8,
    ``[k - 1]`` holding the choice with ``k`` steps left."""
    is_terminal = np.zeros(graph.n, dtype=bool)
    is_terminal[list(terminals)] = True
    nxt = graph.moves[:, TIE_ORDER]  # (n, 5)
    gain = rewards[:, nxt]  # (K, n, 5): reward on arrival
    continues = discount * ~is_terminal[nxt]
    value = np.zeros_like(rewards)
    choices = np.empty((horizon,) + rewards.shape, dtype=np.int8)
    for k in range(horizon):
        q = gain + continues[None] * value[:, nxt]
        best = q.argmax(axis=2)
        choices[k] = TIE_ORDER[best]
        value = np.take_along_axis(q, best[..., None], axis=2)[..., 0]
    return value, choices


def dynamic_programming_outcomes(
    graph: MazeGraph, rewards: np.ndarray, terminals: dict[int, int], horizon: int, discount: float = 1.0
) -> np.ndarray:
    """(4,) fraction of the K reward samples whose optimal episode ends in each of ``ROLLOUT_OUTCOMES``."""
    _, choices = backward_induction(graph, rewards, terminals, horizon, discount)
    ends = simulate(graph, choices, terminals)
    return np.bincount(ends, minlength=len(ROLLOUT_OUTCOMES)) / len(ends)


def simulate(graph: MazeGraph, choices: np.ndarray, terminals: dict[int, int]) -> np.ndarray:
    """Play each sample's greedy actions from the start; (K,) outcome index of each episode."""
    horizon, k_samples, _ = choices.shape
    label = np.full(graph.n, -1)
    for cell, outcome in terminals.items():
        label[cell] = outcome
    pos = np.full(k_samples, graph.start)
    alive = np.ones(k_samples, dtype=bool)
    visited = np.full(k_samples, bool(graph.in_region[graph.start]))
    ends = np.full(k_samples, OTHER)
    rows = np.arange(k_samples)
    for t in range(horizon):
        step = graph.moves[pos, choices[horizon - 1 - t, rows, pos]]
        pos = np.where(alive, step, pos)
        visited |= alive & graph.in_region[pos]
        stopped = alive & (label[pos] >= 0)
        ends[stopped] = label[pos[stopped]]
        alive &= ~stopped
    ends[alive] = np.where(visited[alive], TOP_RIGHT, OTHER)
    return ends
