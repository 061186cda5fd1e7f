"""The random training-compatible goal (Krakovna & Kramár 2023), solved exactly per sampled reward.

Model. A state is the mouse's cell on one maze with its cheese. A held-out maze shares no state with
training, so a training-compatible reward is unconstrained there: each state's reward is an i.i.d.
draw from a prior. The agent collects the reward of the cell it arrives in after every step
(NOOP stays and collects again), for ``horizon`` steps; arriving on a terminal cell (the cheese, and
a shutdown cell when one is placed) collects that cell's reward and ends the episode.

Exact solution (undiscounted). In a perfect maze every walk from the start to a cell passes every
cell of the unique simple path between them. Take an optimal walk and the best cell ``m`` it visits
before its end: replacing everything after the first visit of ``m`` by staying there, and everything
before it by the simple path, loses nothing. So an optimal walk either walks the simple path to a
cell ``m`` and stays there (value ``S(m) + (T - depth(m)) R(m)``, ``S`` the reward summed along the
path), or walks to a cell ``m``, waits there (as long as the horizon allows when ``R(m) > 0``), and
walks the simple path from ``m`` to a terminal cell. Both are max-plus expressions over cells,
computed for all samples at once with one matrix product per maze. One consequence of the finite
horizon: stepping onto the cheese on the very last step costs nothing, so a positive-reward goal
still ends on the cheese when its reward beats the cell the mouse would stay on and the cheese is
near that cell. With a discount < 1 the argument
fails (collecting early can beat reaching the best cell), and finite-horizon dynamic programming
(:mod:`finite_horizon`) is used instead.

Outcome probabilities. The value of ending on the focus terminal (the cheese; the shutdown cell in
the shutdown variant) is ``R(focus) + W`` with ``W`` independent of ``R(focus)``, and no other plan
involves ``R(focus)``. So its reward is integrated out exactly: given the other rewards, the focus is
chosen with probability ``P(R > V* - W) + P(R = V* - W) / (m + 1)``, ``V*`` the best other plan and
``m`` the number of other plans tied with it. Ties (possible only under a discrete prior) are broken
uniformly over the tied end states (stay cells and terminals); among walks that reach the same end
state the simple path is taken. Averaging over the K samples of the other rewards gives the
probabilities (an exact zero means no sample admits the outcome).

Power-seeking. ``n`` is the number of non-terminal cells the mouse can reach within the horizon
without passing a terminal cell, the start included: the states it could stay in with NOOP.
Krakovna & Kramár's bound for i.i.d. rewards is P(avoid the terminal) >= n / (n + 1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from cheesemaze.analysis.hypotheses.finite_horizon import dynamic_programming_outcomes
from cheesemaze.analysis.hypotheses.graph import MazeGraph, maze_graphs
from cheesemaze.analysis.hypotheses.priors import parse_prior
from cheesemaze.agents.rollout import ROLLOUT_OUTCOMES
from cheesemaze.envs.game import MAX_STEPS
from cheesemaze.envs.maze import Cell, Maze

CHEESE, TOP_RIGHT, OTHER, SHUTDOWN = (ROLLOUT_OUTCOMES.index(o) for o in ("cheese", "top_right", "other", "shutdown"))
"""Column indices of the solver's outcome probabilities (``ROLLOUT_OUTCOMES`` order)."""


@dataclass(frozen=True)
class CompatibleConfig:
    """The random training-compatible goal hypothesis."""

    samples: int = 256
    """Reward functions sampled per maze (K)."""
    prior: str = "uniform(0,1)"
    """Reward prior per state: uniform(low,high), normal(mean,std) or bernoulli(p)."""
    horizon: int = MAX_STEPS
    """Steps per episode (the game's timeout)."""
    discount: float = 1.0
    """Discount per step; 1 is exact and fast, below 1 uses finite-horizon dynamic programming."""
    seed: int = 0
    """Seed of the reward samples (each maze draws from its own generator keyed by seed and level seed)."""

    def __post_init__(self) -> None:
        parse_prior(self.prior)
        if not isinstance(self.samples, int) or self.samples < 1:
            raise ValueError(f"samples must be a positive integer; got {self.samples!r}")
        if not isinstance(self.horizon, int) or self.horizon < 1:
            raise ValueError(f"horizon must be a positive integer; got {self.horizon!r}")
        if not 0 < self.discount <= 1:
            raise ValueError(f"discount must be in (0, 1]; got {self.discount!r}")


@dataclass(frozen=True, eq=False)
class Plans:
    """The reward-independent tables of the closed-form solution for one maze and its terminal cells."""

    graph: MazeGraph
    horizon: int
    ancestors: np.ndarray
    """(n, n) float: 1 where column lies on the path from the start (excluded) to row (included)."""
    stay_ok: np.ndarray
    """(n,) cells the mouse can reach within the horizon without a terminal and stay in."""
    stay_label: np.ndarray
    """(n,) outcome of staying there: TOP_RIGHT if the path entered the top-right square, else OTHER."""
    terminals: tuple[int, ...]
    labels: tuple[int, ...]
    route_ok: np.ndarray
    """(n_terminals, n) cells ``m`` from which a wait-then-walk route to the terminal fits the horizon."""
    lca: np.ndarray
    """(n_terminals, n) where the path from the start to ``m`` leaves the path to the terminal."""
    slack: np.ndarray
    """(n_terminals, n) steps left to wait at ``m`` on that route."""


def plans(graph: MazeGraph, terminals: dict[int, int], horizon: int) -> Plans:
    """Tabulate the plans of ``graph`` with ``terminals`` (cell index -> outcome label)."""
    if graph.start in terminals:
        raise ValueError("a terminal cell cannot be the start")
    marks = graph.ancestors()
    depth = graph.depth
    cells = tuple(terminals)
    blocked_cells = marks[:, list(cells)].any(axis=1)  # a terminal lies on the path to the cell
    stay_ok = ~blocked_cells & (depth <= horizon)
    with_root = marks.copy()
    with_root[:, graph.start] = True
    lcas, slacks, oks = [], [], []
    for t in cells:
        on_path = with_root[t]
        lca = np.where(with_root & on_path[None, :], depth[None, :], -1).argmax(axis=1)
        dist = depth + depth[t] - 2 * depth[lca]
        reachable = not any(marks[t, u] for u in cells if u != t)
        slack = horizon - depth - dist
        lcas.append(lca)
        slacks.append(slack)
        oks.append(~blocked_cells & (slack >= 0) & reachable)
    return Plans(
        graph, horizon, marks.astype(np.float64), stay_ok,
        np.where(graph.path_touches_region(), TOP_RIGHT, OTHER), cells, tuple(terminals.values()),
        np.array(oks), np.array(lcas), np.array(slacks),
    )


def stay_values(p: Plans, rewards: np.ndarray, path_sums: np.ndarray) -> np.ndarray:
    """(K, n) value of walking to each cell and staying there; -inf where impossible."""
    value = path_sums + (p.horizon - p.graph.depth)[None, :] * rewards
    return np.where(p.stay_ok[None, :], value, -np.inf)


def route_values(p: Plans, k: int, rewards: np.ndarray, path_sums: np.ndarray) -> np.ndarray:
    """(K,) best value of ending on terminal ``k`` (its own reward left out), over where to wait."""
    g, lca, t = p.graph, p.lca[k], p.terminals[k]
    wait = np.where(rewards > 0, p.slack[k][None, :], 0) * rewards
    up = np.where(lca != np.arange(g.n), path_sums[:, g.parent] - path_sums[:, lca] + rewards[:, lca], 0.0)
    down = path_sums[:, [g.parent[t]]] - path_sums[:, lca]
    value = path_sums + wait + up + down
    return np.where(p.route_ok[k][None, :], value, -np.inf).max(axis=1)


def end_values(p: Plans, rewards: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stay values (K, n), each terminal's value without its own reward (K, n_terminals), path sums."""
    path_sums = rewards @ p.ancestors.T
    stays = stay_values(p, rewards, path_sums)
    routes = np.stack([route_values(p, k, rewards, path_sums) for k in range(len(p.terminals))], axis=1)
    return stays, routes, path_sums


def optimal_values(p: Plans, rewards: np.ndarray) -> np.ndarray:
    """(K,) the optimal return from the start for each reward sample (K, n)."""
    stays, routes, _ = end_values(p, rewards)
    own = rewards[:, list(p.terminals)]
    return np.maximum(stays.max(axis=1), (routes + own).max(axis=1))


def outcome_probabilities(p: Plans, rewards: np.ndarray, focus: int, prior) -> np.ndarray:
    """(4,) probabilities over ``ROLLOUT_OUTCOMES``: the focus terminal's reward integrated out exactly,
    the other rewards averaged over the K samples (see the module docstring)."""
    stays, routes, _ = end_values(p, rewards)
    others = [k for k in range(len(p.terminals)) if k != focus]
    candidates = np.concatenate([stays] + [routes[:, [k]] + rewards[:, [p.terminals[k]]] for k in others], axis=1)
    labels = np.concatenate([p.stay_label, np.array([p.labels[k] for k in others], dtype=np.int64)])
    best = candidates.max(axis=1)
    tied = candidates == best[:, None]
    n_tied = tied.sum(axis=1)
    threshold = best - routes[:, focus]  # the focus wins when its reward exceeds this
    below, at = prior.below(threshold), prior.mass(threshold)
    p_focus = 1.0 - below - at + at / (n_tied + 1)
    share = np.zeros((len(rewards), len(ROLLOUT_OUTCOMES)))
    for label in np.unique(labels):
        share[:, label] = (tied & (labels == label)[None, :]).sum(axis=1) / n_tied
    probs = share * (1.0 - p_focus)[:, None]
    probs[:, p.labels[focus]] += p_focus
    return probs.mean(axis=0)


@dataclass(frozen=True)
class CompatibleResult:
    """Per-maze predictions of the training-compatible goal."""

    probabilities: np.ndarray
    """(n_mazes, 4) over ``ROLLOUT_OUTCOMES`` (cheese, top_right, other, shutdown)."""
    stay_states: np.ndarray
    """(n_mazes,) ``n``: non-terminal cells reachable within the horizon that the mouse can stay in."""

    @property
    def bound(self) -> np.ndarray:
        """Krakovna & Kramár's lower bound n / (n + 1) on avoiding the terminal cell."""
        return self.stay_states / (self.stay_states + 1.0)


def reward_generator(seed: int, maze: Maze, position: int) -> np.random.Generator:
    """The generator of one maze's rewards: keyed by the level seed (or the maze's position if it has none),
    so a maze's rewards do not depend on which other mazes are solved with it."""
    key = maze.level_seed if maze.level_seed is not None else 2**40 + position
    return np.random.default_rng([seed, key])


def solve(
    mazes: Sequence[Maze], config: CompatibleConfig, shutdowns: Sequence[Cell | None] | None = None
) -> CompatibleResult:
    """Outcome probabilities and stay-state counts for each maze (optionally with a shutdown cell each).

    The focus (the terminal whose avoidance is measured) is the shutdown cell where one is given,
    else the cheese.
    """
    if shutdowns is not None and len(shutdowns) != len(mazes):
        raise ValueError(f"got {len(shutdowns)} shutdown cells for {len(mazes)} mazes; give one per maze")
    prior = parse_prior(config.prior)
    probs = np.zeros((len(mazes), len(ROLLOUT_OUTCOMES)))
    stay_states = np.zeros(len(mazes), dtype=np.int64)
    for i, graph in enumerate(maze_graphs(mazes)):
        terminals = {graph.cheese: CHEESE}
        cell = shutdowns[i] if shutdowns is not None else None
        if cell is not None:
            terminals[graph.index(cell)] = SHUTDOWN
        p = plans(graph, terminals, config.horizon)
        rewards = prior.sample(reward_generator(config.seed, mazes[i], i), (config.samples, graph.n))
        focus = len(terminals) - 1
        if config.discount < 1:
            probs[i] = dynamic_programming_outcomes(graph, rewards, terminals, config.horizon, config.discount)
        else:
            probs[i] = outcome_probabilities(p, rewards, focus, prior)
        stay_states[i] = int(p.stay_ok.sum())
    return CompatibleResult(probs, stay_states)


class CompatibleGoal:
    """Hypothesis 2: the agent optimizes a random training-compatible reward (no parameters to fit)."""

    name = "compatible"

    def __init__(self, config: CompatibleConfig = CompatibleConfig()) -> None:
        self.config = config
        self.result: CompatibleResult | None = None
        """The full result of the last ``predict`` (with the power-seeking counts)."""

    def fit(self, rows: pd.DataFrame, mazes: Sequence[Maze]) -> None:
        """Nothing to fit: the hypothesis is fixed before any behaviour is seen."""

    def predict(self, mazes: Sequence[Maze]) -> np.ndarray:
        self.result = solve(mazes, self.config)
        return self.result.probabilities[:, :SHUTDOWN]

    def parameters(self) -> dict[str, Any]:
        return asdict(self.config)
