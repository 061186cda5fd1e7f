"""What the activation interventions (steering, retargeting) share: the held-out mazes they play,
which maze an observation shows, and how an edited policy is measured on decision-square mazes.

An edit often depends on the maze (its own steering vector), while a rollout hands the policy bare
observations. The maze is read back from the observation itself: the walls and the cheese, with the
mouse left out (:func:`maze_keys`), are the same at every step of an episode.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cheesemaze.agents.rollout import Policy, rollout
from cheesemaze.analysis.cell_maps import next_cell, observations, query
from cheesemaze.analysis.stats import bootstrap_draws, bootstrap_interval, wilson_interval
from cheesemaze.envs.geometry import bfs_distances, decision_square
from cheesemaze.envs.maze import Maze, check_levels, generate_maze
from cheesemaze.envs.render import CHEESE, PALETTE, WALL, check_obs_mode, grid_to_rgb

FLOOR_RGB, MOUSE_RGB = PALETTE[0], PALETTE[3]


def decision_mazes(world_size: int, n: int, level_start: int, train_levels: tuple[int, int]) -> list[Maze]:
    """The first ``n`` cheese-anywhere mazes from ``level_start`` on that have a decision square;
    ``ValueError`` if the seeds this takes reach into the training range."""
    check_levels(level_start, n, train_levels)
    mazes, level = [], level_start
    while len(mazes) < n:
        maze = generate_maze(level, world_size, None)
        level += 1
        if decision_square(maze) is not None:
            mazes.append(maze)
    check_levels(level_start, level - level_start, train_levels)
    return mazes


def start_observations(mazes: Sequence[Maze], obs_mode: str, cheese: bool = True) -> np.ndarray:
    """Each maze's observation with the mouse at its start; ``cheese=False`` leaves the cheese out."""
    check_obs_mode(obs_mode)
    grid = observations(mazes, np.array([m.mouse for m in mazes]), "grid")
    if not cheese:
        grid[:, CHEESE] = 0
    return grid if obs_mode == "grid" else grid_to_rgb(grid)


def maze_keys(obs: np.ndarray, obs_mode: str) -> list[bytes]:
    """One key per observation that names the maze it shows wherever the mouse stands: the grid's
    wall and cheese channels, or the frame with the mouse painted over as floor."""
    check_obs_mode(obs_mode)
    if obs_mode == "grid":
        return [row.tobytes() for row in np.ascontiguousarray(obs[:, [WALL, CHEESE]])]
    frames = obs.copy()
    frames[(frames == MOUSE_RGB).all(axis=-1)] = FLOOR_RGB
    return [row.tobytes() for row in frames]


def key_index(mazes: Sequence[Maze], obs_mode: str) -> dict[bytes, int]:
    """Maze key -> index in ``mazes`` (mazes that look the same share the first one's index)."""
    index: dict[bytes, int] = {}
    for i, key in enumerate(maze_keys(start_observations(mazes, obs_mode), obs_mode)):
        index.setdefault(key, i)
    return index


def first_alike(mazes: Sequence[Maze], obs_mode: str) -> np.ndarray:
    """For each maze, the index of the first maze that looks the same (itself if none before it).

    A policy cannot tell such mazes apart (small mazes repeat often), so an edit gives them one
    maze's setting: whatever is drawn per maze (a target, a random vector) is drawn for the first
    and copied to the others, and what is recorded is what was applied.
    """
    return maze_rows(start_observations(mazes, obs_mode), obs_mode, key_index(mazes, obs_mode))


def maze_rows(obs: np.ndarray, obs_mode: str, index: dict[bytes, int]) -> np.ndarray:
    """The index of the maze each observation shows; ``KeyError`` for a maze not in ``index``."""
    return np.array([index[key] for key in maze_keys(obs, obs_mode)], dtype=np.int64)


def branch_moves(mazes: Sequence[Maze]) -> pd.DataFrame:
    """Per maze: the decision square and the compact move from it toward the cheese and toward the
    top-right cell (-1 where the decision square is the top-right cell: no top-right branch)."""
    rows = []
    for maze in mazes:
        dsq = decision_square(maze)
        _, cheese_move = next_cell(bfs_distances(maze.walls, maze.cheese), dsq)
        top_right_move = -1
        if dsq != maze.top_right:
            _, top_right_move = next_cell(bfs_distances(maze.walls, maze.top_right), dsq)
        rows.append({"level_seed": maze.level_seed, "dsq_r": dsq[0], "dsq_c": dsq[1], "cheese_move": cheese_move,
                     "top_right_move": top_right_move})
    return pd.DataFrame(rows)


def measure(policy: Policy, mazes: Sequence[Maze], moves: pd.DataFrame, obs_mode: str, action_mode: str,
            seed: int) -> pd.DataFrame:
    """One sampled episode per maze, and the policy's move probabilities at the decision square.

    Columns: level_seed, outcome, steps, final_r, final_c, p_cheese_move and p_top_right_move (the
    probability of the move onto each branch at the decision square, with the mouse standing there;
    NaN where there is no top-right branch).
    """
    episodes = rollout(policy, mazes, seed=seed, obs_mode=obs_mode, action_mode=action_mode)
    probs, _ = query(policy, mazes, moves[["dsq_r", "dsq_c"]].to_numpy(), obs_mode, action_mode)
    index = np.arange(len(mazes))
    tr_moves = moves["top_right_move"].to_numpy()
    return pd.DataFrame({
        "level_seed": [m.level_seed for m in mazes],
        "outcome": [e.outcome for e in episodes],
        "steps": [e.steps for e in episodes],
        "final_r": [e.final_cell[0] for e in episodes],
        "final_c": [e.final_cell[1] for e in episodes],
        "p_cheese_move": probs[index, moves["cheese_move"].to_numpy()],
        "p_top_right_move": np.where(tr_moves >= 0, probs[index, np.maximum(tr_moves, 0)], np.nan),
    })


def rate_columns(hits: np.ndarray, name: str) -> dict[str, float]:
    """``p_<name>`` with its Wilson 95% interval, from a boolean array."""
    k, n = int(hits.sum()), len(hits)
    low, high = wilson_interval(k, n)
    return {f"p_{name}": k / n if n else float("nan"), f"p_{name}_low": low, f"p_{name}_high": high}


def condition_summary(rows: pd.DataFrame, baseline: pd.DataFrame, resamples: int = 1000, seed: int = 0) -> dict:
    """P(cheese | decision square) and P(top-right) with Wilson intervals; the mean and median of
    the policy's probability of the cheese move at the decision square (bootstrap intervals of both);
    and the change in P(cheese) from ``baseline`` on the same mazes (paired bootstrap).

    ``rows`` and ``baseline`` are :func:`measure` tables of the same mazes in the same order.
    """
    cheese = (rows["outcome"] == "cheese").to_numpy()
    base = (baseline["outcome"] == "cheese").to_numpy()
    draws = bootstrap_draws(len(rows), resamples, seed)
    move = rows["p_cheese_move"].to_numpy(float)
    diff = cheese.astype(float) - base
    move_low, move_high = bootstrap_interval(move, draws)
    effect_low, effect_high = bootstrap_interval(diff, draws)
    return {"mazes": len(rows), **rate_columns(cheese, "cheese"),
            **rate_columns((rows["outcome"] == "top_right").to_numpy(), "top_right"),
            "cheese_move_mean": float(move.mean()), "cheese_move_mean_low": move_low, "cheese_move_mean_high": move_high,
            "cheese_move_median": float(np.median(move)),
            **dict(zip(("cheese_move_median_low", "cheese_move_median_high"), bootstrap_interval(move, draws, np.median))),
            "effect": float(diff.mean()), "effect_low": effect_low, "effect_high": effect_high}
