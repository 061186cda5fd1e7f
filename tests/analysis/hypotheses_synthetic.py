"""Synthetic behaviour for the hypotheses' tests: agents whose behaviour is known exactly.

``play`` samples episodes of a tabular policy (N, 5) on mazes, with the game's rules, and lays them
out like ``cheesemaze evaluate``'s table, so the hypotheses can be fitted and scored on data whose
generating model is known. ``TwoMotivations`` is a scripted agent for the rollout-based pipeline.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd

from cheesemaze.analysis.evaluation import COLUMNS, format_path, maze_columns
from cheesemaze.analysis.hypotheses.graph import GraphBatch
from cheesemaze.agents.rollout import ACTION_LETTERS
from cheesemaze.envs.actions import COMPACT_STEPS, NOOP
from cheesemaze.envs.geometry import bfs_distances
from cheesemaze.envs.maze import region_text
from cheesemaze.envs.render import CHEESE, MOUSE, WALL


def play(batch: GraphBatch, policy: np.ndarray, seed: int, horizon: int = 500) -> pd.DataFrame:
    """One sampled episode per maze of ``batch`` under the flat ``policy`` (N, 5); an episode table
    (cheese anywhere, sampled actions)."""
    rng = np.random.default_rng(seed)
    n_b = len(batch)
    pos = batch.start.copy()
    alive = np.ones(n_b, dtype=bool)
    visited = batch.in_region[pos].copy()
    paths, actions = [pos.copy()], []
    for _ in range(horizon):
        cdf = policy[pos].cumsum(axis=1)
        a = np.minimum((cdf < rng.random((n_b, 1))).sum(axis=1), 4)
        pos = np.where(alive, batch.moves[pos, a], pos)
        actions.append(a)
        paths.append(pos.copy())
        visited |= alive & batch.in_region[pos]
        alive &= pos != batch.cheese
    paths, actions = np.array(paths).T, np.array(actions).T
    flat_cells = np.concatenate([g.cells for g in batch.graphs])
    rows = []
    for b, g in enumerate(batch.graphs):
        hit = np.flatnonzero(paths[b] == batch.cheese[b])
        steps = int(hit[0]) if len(hit) else horizon
        outcome = "cheese" if len(hit) else ("top_right" if visited[b] else "other")
        cells = flat_cells[paths[b, : steps + 1]]
        rows.append({
            **maze_columns(g.maze), "level_seed": g.maze.level_seed, "distribution": "anywhere",
            "region": region_text(None), "policy": "sampled", "outcome": outcome, "steps": steps,
            "final_r": int(cells[-1, 0]), "final_c": int(cells[-1, 1]),
            "actions": "".join(ACTION_LETTERS[actions[b, :steps]]), "path": format_path(cells),
        })
    return pd.DataFrame(rows)[list(COLUMNS)]


class TwoMotivations:
    """A stand-in agent with a known shard-like rule: heads for the cheese when it lies within ``reach``
    (Euclidean) of the top-right cell, else for the top-right cell; ``noise`` of its probability is
    spread uniformly over the five actions. Works on grid observations; needs no network."""

    def __init__(self, reach: float = 6.0, noise: float = 0.1) -> None:
        self.reach, self.noise = reach, noise

    def distribution(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        probs = np.full((len(obs), len(COMPACT_STEPS)), self.noise / len(COMPACT_STEPS))
        for i, grid in enumerate(obs):
            walls = grid[WALL].astype(bool)
            open_cells = np.argwhere(~walls)
            corner = (int(open_cells[:, 0].min()), int(open_cells[:, 1].max()))
            cheese = tuple(int(v) for v in np.argwhere(grid[CHEESE])[0])
            mouse = tuple(int(v) for v in np.argwhere(grid[MOUSE])[0])
            near = np.hypot(cheese[0] - corner[0], cheese[1] - corner[1]) <= self.reach
            dist = bfs_distances(walls, cheese if near else corner)
            best = NOOP
            for a, (dr, dc) in enumerate(COMPACT_STEPS[:NOOP]):
                r, c = mouse[0] + dr, mouse[1] + dc
                if 0 <= r < len(walls) and 0 <= c < len(walls) and dist[r, c] == dist[mouse] - 1:
                    best = a
            probs[i, best] += 1 - self.noise
        return probs, np.zeros(len(obs))


def stand_in(policy, world_size: int = 15, region: int | None = 5):
    """Give a scripted policy the ``config`` an agent has (held-out seeds from 1000)."""
    env = SimpleNamespace(world_size=world_size, region=region, obs_mode="grid", action_mode="compact")
    policy.config = SimpleNamespace(env=env, train_levels=(0, 1000), test_levels=(1000, 100_000))
    policy.run_dir = Path("stand-in")
    return policy
