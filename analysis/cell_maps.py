"""The actor and the critic over the cells of a maze: place the mouse in each open cell and ask.

:func:`cell_map` gives a maze's action probabilities (as compact moves) and values at every open
cell, for the vector-field and value-map plots. :func:`fork_comparison` asks, at each maze's decision
square, which branch the actor prefers and which branch's next cell the critic values more: where the
actor heads for the top-right while the critic rates the cheese branch higher, the two heads
disagree about the goal (Langosco et al.'s actor-critic inconsistency).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cheesemaze.analysis.features import maze_features
from cheesemaze.agents.rollout import Policy
from cheesemaze.envs.actions import COMPACT_NAMES, COMPACT_STEPS, PROCGEN_TO_COMPACT, check_action_mode
from cheesemaze.envs.geometry import bfs_distances
from cheesemaze.envs.maze import Cell, Maze
from cheesemaze.envs.render import CHEESE, MOUSE, WALL, check_obs_mode, grid_to_rgb


def observations(mazes: Sequence[Maze], cells: np.ndarray, obs_mode: str = "grid") -> np.ndarray:
    """The observation of ``mazes[i]`` with the mouse at ``cells[i]`` (one row per pair)."""
    check_obs_mode(obs_mode)
    world = mazes[0].world_size
    grid = np.zeros((len(mazes), 3, world, world), dtype=np.uint8)
    for i, maze in enumerate(mazes):
        grid[i, WALL] = maze.walls
        grid[i, CHEESE][maze.cheese] = 1
    index = np.arange(len(mazes))
    grid[index, MOUSE, cells[:, 0], cells[:, 1]] = 1
    return grid if obs_mode == "grid" else grid_to_rgb(grid)


def compact_probs(probs: np.ndarray, action_mode: str) -> np.ndarray:
    """Action probabilities summed into the compact moves UP, DOWN, LEFT, RIGHT, NOOP."""
    check_action_mode(action_mode)
    if action_mode == "compact":
        return np.asarray(probs, dtype=np.float64)
    onehot = np.eye(len(COMPACT_NAMES))[PROCGEN_TO_COMPACT]
    return np.asarray(probs, dtype=np.float64) @ onehot


def query(policy: Policy, mazes: Sequence[Maze], cells: np.ndarray, obs_mode: str, action_mode: str,
          batch_size: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Compact action probabilities (n, 5) and values (n,) with the mouse at ``cells[i]`` of ``mazes[i]``."""
    probs, values = [], []
    for lo in range(0, len(mazes), batch_size):
        p, v = policy.distribution(observations(mazes[lo : lo + batch_size], cells[lo : lo + batch_size], obs_mode))
        probs.append(compact_probs(p, action_mode))
        values.append(np.asarray(v, dtype=np.float64).reshape(-1))
    return np.concatenate(probs), np.concatenate(values)


@dataclass(frozen=True)
class CellMap:
    """The actor and critic at every open cell of one maze except the cheese (an episode ends there).

    ``probs`` is (W, W, 5) over UP, DOWN, LEFT, RIGHT, NOOP and ``values`` (W, W); both NaN elsewhere.
    """

    maze: Maze
    probs: np.ndarray
    values: np.ndarray

    @property
    def mean_step(self) -> np.ndarray:
        """Expected (row, col) displacement per cell, (W, W, 2): the vector field's arrows."""
        return np.einsum("rca,ad->rcd", self.probs, COMPACT_STEPS.astype(np.float64))


def cell_map(policy: Policy, maze: Maze, obs_mode: str = "grid", action_mode: str = "compact") -> CellMap:
    """Query ``policy`` with the mouse on every open cell of ``maze`` other than the cheese."""
    cells = maze.free_cells()
    cells = cells[(cells[:, 0] != maze.cheese[0]) | (cells[:, 1] != maze.cheese[1])]
    probs, values = query(policy, [maze] * len(cells), cells, obs_mode, action_mode)
    world = maze.world_size
    prob_grid = np.full((world, world, len(COMPACT_NAMES)), np.nan)
    value_grid = np.full((world, world), np.nan)
    prob_grid[cells[:, 0], cells[:, 1]] = probs
    value_grid[cells[:, 0], cells[:, 1]] = values
    return CellMap(maze, prob_grid, value_grid)


def next_cell(dist: np.ndarray, cell: Cell) -> tuple[Cell, int]:
    """The neighbour of ``cell`` one step closer under the distance map ``dist``, and the move to it."""
    for action, (dr, dc) in enumerate(COMPACT_STEPS[:4]):
        r, c = cell[0] + dr, cell[1] + dc
        if 0 <= r < len(dist) and 0 <= c < len(dist) and dist[cell] > 0 and dist[r, c] == dist[cell] - 1:
            return (r, c), action
    raise ValueError(f"cell {cell} has no neighbour closer to the target")


def fork_comparison(policy: Policy, mazes: Sequence[Maze], obs_mode: str = "grid",
                    action_mode: str = "compact") -> pd.DataFrame:
    """Actor and critic at the decision square of each maze that has one; one row per such maze.

    Mazes whose decision square is the top-right cell itself (the cheese lies beyond it) have no
    top-right branch and are left out.

    Columns: level_seed, p_cheese_move and p_top_right_move (the actor's probability, at the decision
    square, of the move onto each branch), v_dsq, v_cheese_branch and v_top_right_branch (the critic
    at the next cell of each branch), actor_prefers and critic_prefers ("cheese" or "top_right"),
    disagree, cheese_adjacent. Where the cheese is next to the decision square the cheese branch's
    next cell is terminal and has no value: v_cheese_branch is NaN and critic_prefers is "none".
    """
    rows: list[dict[str, Any]] = []
    queries: list[tuple[Maze, Cell]] = []
    for maze in mazes:
        _, dsq = maze_features(maze)
        if dsq is None or dsq == maze.top_right:
            continue
        to_cheese, cheese_move = next_cell(bfs_distances(maze.walls, maze.cheese), dsq)
        to_corner, corner_move = next_cell(bfs_distances(maze.walls, maze.top_right), dsq)
        rows.append({"level_seed": maze.level_seed, "cheese_move": cheese_move, "corner_move": corner_move,
                     "cheese_adjacent": to_cheese == maze.cheese})
        queries += [(maze, dsq), (maze, to_corner), (maze, to_cheese)]
    columns = ["level_seed", "p_cheese_move", "p_top_right_move", "v_dsq", "v_cheese_branch",
               "v_top_right_branch", "actor_prefers", "critic_prefers", "disagree", "cheese_adjacent"]
    if not rows:
        return pd.DataFrame(columns=columns)
    probs, values = query(policy, [m for m, _ in queries], np.array([c for _, c in queries]), obs_mode, action_mode)
    table = pd.DataFrame(rows)
    n = len(table)
    p_dsq, values = probs[0::3], values.reshape(n, 3)
    table["p_cheese_move"] = p_dsq[np.arange(n), table["cheese_move"]]
    table["p_top_right_move"] = p_dsq[np.arange(n), table["corner_move"]]
    table["v_dsq"] = values[:, 0]
    table["v_top_right_branch"] = values[:, 1]
    adjacent = table["cheese_adjacent"].to_numpy()
    table["v_cheese_branch"] = np.where(adjacent, np.nan, values[:, 2])
    table["actor_prefers"] = np.where(table["p_cheese_move"] > table["p_top_right_move"], "cheese", "top_right")
    critic_cheese = table["v_cheese_branch"] > table["v_top_right_branch"]
    table["critic_prefers"] = np.where(adjacent, "none", np.where(critic_cheese, "cheese", "top_right"))
    table["disagree"] = ~adjacent & (table["actor_prefers"] != table["critic_prefers"])
    return table[columns]


def fork_summary(table: pd.DataFrame) -> dict[str, Any]:
    """Fractions of the actor's and critic's branch preferences over the mazes of ``table`` whose
    cheese is not next to the decision square (there the critic has no cheese-branch value)."""
    excluded = int(table["cheese_adjacent"].sum())
    table = table[~table["cheese_adjacent"].astype(bool)]
    n = len(table)
    actor_tr = table["actor_prefers"] == "top_right"
    critic_cheese = table["critic_prefers"] == "cheese"

    def frac(mask: pd.Series) -> float | None:
        return float(mask.mean()) if n else None

    return {
        "mazes": n,
        "actor_prefers_top_right": frac(actor_tr),
        "critic_prefers_cheese": frac(critic_cheese),
        "actor_top_right_critic_cheese": frac(actor_tr & critic_cheese),
        "actor_cheese_critic_top_right": frac(~actor_tr & ~critic_cheese),
        "critic_prefers_cheese_when_actor_top_right": float(critic_cheese[actor_tr].mean()) if actor_tr.any() else None,
        "cheese_adjacent_excluded": excluded,
    }
