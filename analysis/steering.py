"""Steering vectors (Turner et al., "Understanding and controlling a maze-solving policy network"):
the difference in one layer's activations between two observations of the same maze, added with a
coefficient to every forward pass while the agent plays.

- ``cheese``: the maze with its cheese against the same maze with the cheese removed, mouse at the
  start. Subtracting it (a negative coefficient) is the published intervention.
- ``top-right``: the maze with a corridor opened from its top-right cell to the world's top-right
  corner, against the same maze as it is (cheese and mouse untouched), as in the published top-right
  vector (their second post: the pair differs in how close the reachable top-right square comes to
  the absolute top-right). The baseline is the maze
  itself, so the pair differs in nothing but the reachable top-right, and the agent is steered on the
  mazes it is measured on. A maze that fills the world has nothing to open: its vector is zero.

Each coefficient is played three ways on the same held-out decision-square mazes: each maze's own
vector; a random vector of the same norm as that maze's vector (the control); and one source maze's
vector applied to every maze (transfer). Coefficient 0 is the unedited agent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from cheesemaze.agents.activations import Edit, EditedAgent, check_hook_point, hook_points, record
from cheesemaze.agents.loading import Agent
from cheesemaze.analysis.behaviour import PUBLISHED_SIDE
from cheesemaze.analysis.cell_maps import CellMap, cell_map
from cheesemaze.analysis.interventions import (
    branch_moves, condition_summary, decision_mazes, first_alike, key_index, maze_rows, measure, start_observations,
)
from cheesemaze.envs.maze import Maze, check_levels, generate_maze

VECTORS = ("cheese", "top-right")
KINDS = ("maze", "random", "transfer")
"""How a coefficient is applied: each maze's own vector, a random one of the same norm, one source maze's."""
DEFAULT_LAYER = "stacks.1.res0.add"
"""The published site: the first residual addition of the second IMPALA block (their block2.res1)."""

PUBLISHED_SOURCE = ("Turner et al., \"Understanding and controlling a maze-solving policy network\": their r=5 "
                    f"network (procgen hard, {PUBLISHED_SIDE}, IMPALA x4), not ours")
PUBLISHED_TOP_RIGHT_SOURCE = ("Turner et al., \"Maze-solving agents: Add a top-right vector, make the agent go to the "
                              f"top-right\": the same network (procgen hard, {PUBLISHED_SIDE}), not ours")
PUBLISHED = {
    "layer": "block2.res1 (our stacks.1.res0.add)",
    "cheese_move_median_before": 0.81,
    "cheese_move_median_after": 0.03,
    "mazes": "level seeds 0-99",
    "coeff": -1.0,
}
"""The published cheese-vector effect on the policy's probability of the cheese move at the
decision square (median over mazes), subtracting each maze's own vector; they report that adding it
does little, that a vector transfers only to mazes with the cheese within about 2 cells of the
source's, and that a random vector of similar magnitude makes the policy incoherent."""


@dataclass(frozen=True)
class SteerConfig:
    """Which vector, where, how strong, and on which held-out mazes."""

    vector: Literal["cheese", "top-right"] = "cheese"
    """cheese: cheese present minus cheese removed; top-right: top-right corner opened minus the maze as it is."""
    layer: tuple[str, ...] = (DEFAULT_LAYER,)
    """Residual additions to steer at, e.g. stacks.1.res0.add (the published site), or 'all'."""
    coeff: tuple[float, ...] = (-2.0, -1.0, 0.0, 1.0, 2.0)
    """Coefficients the vector is added with (negative subtracts it); 0 is the unedited agent."""
    n: int = 500
    """Held-out cheese-anywhere mazes with a decision square, played once per coefficient and kind."""
    level_start: int | None = None
    """First level seed (default: the start of the agent's held-out range)."""
    seed: int = 0
    """Seed of the action sampling and the random vectors."""
    source_level: int | None = None
    """Level seed of the maze whose vector is applied to all (default: the first played maze whose
    vector is not zero)."""


def open_top_right(maze: Maze) -> Maze:
    """The maze with a corridor carved from its top-right cell up to the world's top row and along it
    to the world's top-right corner (the maze itself if it fills the world)."""
    walls = maze.walls.copy()
    top, right = maze.top_right
    walls[: top + 1, right] = False
    walls[0, right:] = False
    return Maze(walls, maze.mouse, maze.cheese, maze.size, maze.level_seed)


def vector_pairs(mazes: list[Maze], vector: str, obs_mode: str) -> tuple[np.ndarray, np.ndarray]:
    """The two observations each maze's vector is the difference of, mouse at the start."""
    if vector == "cheese":
        return start_observations(mazes, obs_mode), start_observations(mazes, obs_mode, cheese=False)
    if vector == "top-right":
        return start_observations([open_top_right(m) for m in mazes], obs_mode), start_observations(mazes, obs_mode)
    raise ValueError(f"vector must be one of {VECTORS}; got {vector!r}")


def steering_vectors(agent: Agent, mazes: list[Maze], vector: str, layers: list[str]) -> dict[str, np.ndarray]:
    """Each maze's vector (M, C, H, W) at each layer."""
    first, second = vector_pairs(mazes, vector, agent.config.env.obs_mode)
    a, b = record(agent.policy, first, layers), record(agent.policy, second, layers)
    return {layer: a[layer] - b[layer] for layer in layers}


def random_like(vectors: np.ndarray, seed: int) -> np.ndarray:
    """Gaussian directions scaled to the norm of each maze's vector (zero stays zero)."""
    noise = np.random.default_rng([seed, 1]).standard_normal(vectors.shape).astype(np.float32)
    axes = tuple(range(1, vectors.ndim))
    scale = np.sqrt((vectors**2).sum(axis=axes, keepdims=True) / (noise**2).sum(axis=axes, keepdims=True))
    return noise * scale


def per_maze_edit(vectors: np.ndarray, index: dict[bytes, int], coeff: float, obs_mode: str) -> Edit:
    """Add ``coeff`` times the vector of the maze each observation shows."""
    return lambda obs, acts: acts + np.float32(coeff) * vectors[maze_rows(obs, obs_mode, index)]


def shared_edit(vector: np.ndarray, coeff: float) -> Edit:
    """Add ``coeff`` times one vector to every observation's activations."""
    return lambda obs, acts: acts + np.float32(coeff) * vector[None]


def check_layers(agent: Agent, layers: tuple[str, ...]) -> list[str]:
    """The layers named, 'all' expanded to every residual addition; ``ValueError`` for an unknown one."""
    if not layers:
        raise ValueError("give at least one --layer")
    if "all" in layers:
        return hook_points(agent.policy)
    return [check_hook_point(agent.policy, layer) for layer in dict.fromkeys(layers)]


def field_coeff(vector: str, coeffs: tuple[float, ...]) -> float:
    """The coefficient drawn in the before/after field: the strongest in the published direction
    (subtract the cheese vector, add the top-right vector), else the strongest."""
    sign = -1 if vector == "cheese" else 1
    strongest = max(coeffs, key=lambda c: (c * sign > 0, abs(c)))
    return float(strongest)


@dataclass(frozen=True)
class SteerResult:
    """One agent steered: per maze and condition, per condition, the vectors' sizes, and the field."""

    rows: pd.DataFrame
    summary: pd.DataFrame
    norms: pd.DataFrame
    source_level: int
    field: tuple[CellMap, CellMap, str, float]
    """The unedited and the steered actor on one maze (the first with a vector whose unedited policy
    favours the cheese move), the layer (the published site where it was run) and the coefficient."""


def steer_agent(agent: Agent, config: SteerConfig, level_start: int,
                progress: Callable[[int], None] | None = None) -> SteerResult:
    """Compute the vectors and play every condition on the same held-out decision-square mazes."""
    env = agent.config.env
    layers = check_layers(agent, config.layer)
    coeffs = [float(c) for c in dict.fromkeys(config.coeff) if c != 0]
    mazes = decision_mazes(env.world_size, config.n, level_start, tuple(agent.config.train_levels))
    moves = branch_moves(mazes)
    index = key_index(mazes, env.obs_mode)
    alike = first_alike(mazes, env.obs_mode)
    vectors = steering_vectors(agent, mazes, config.vector, layers)
    defined = np.all([np.abs(v).reshape(len(mazes), -1).max(axis=1) > 0 for v in vectors.values()], axis=0)
    first = int(np.argmax(defined))  # the first maze with a vector (a top-right vector is zero in a full maze)
    if config.source_level is None:
        source = mazes[first]
    else:
        check_levels(config.source_level, 1, tuple(agent.config.train_levels))
        source = generate_maze(config.source_level, env.world_size, None)
    source_vectors = steering_vectors(agent, [source], config.vector, layers)

    def play(policy, **condition) -> pd.DataFrame:
        rows = measure(policy, mazes, moves, env.obs_mode, env.action_mode, config.seed).assign(**condition)
        if progress is not None:
            progress(1)
        return rows

    frames = [play(agent, layer="-", kind="none", coeff=0.0)]
    norms = []
    for layer in layers:
        own, noise = vectors[layer], random_like(vectors[layer], config.seed)[alike]
        flat = own.reshape(len(mazes), -1)
        norms.append({"layer": layer, "vector_norm_mean": float(np.linalg.norm(flat, axis=1).mean()),
                      "zero_vectors": int((np.abs(flat).max(axis=1) == 0).sum()),
                      "source_norm": float(np.linalg.norm(source_vectors[layer]))})
        for coeff in coeffs:
            edits = {"maze": per_maze_edit(own, index, coeff, env.obs_mode),
                     "random": per_maze_edit(noise, index, coeff, env.obs_mode),
                     "transfer": shared_edit(source_vectors[layer][0], coeff)}
            for kind in KINDS:
                frames.append(play(EditedAgent(agent, [(layer, edits[kind])]), layer=layer, kind=kind, coeff=coeff))
    rows = pd.concat(frames, ignore_index=True)
    near = np.array([max(abs(m.cheese[0] - source.cheese[0]), abs(m.cheese[1] - source.cheese[1])) <= 2 for m in mazes])
    rows["cheese_near_source"] = np.tile(near, len(frames))
    rows["vector_zero"] = np.tile(~defined, len(frames))  # nothing added: a top-right vector in a full maze
    baseline = frames[0]
    summary = pd.DataFrame([{"layer": f["layer"].iat[0], "kind": f["kind"].iat[0], "coeff": f["coeff"].iat[0],
                             **condition_summary(f, baseline, seed=config.seed)} for f in frames])
    shown = DEFAULT_LAYER if DEFAULT_LAYER in layers else layers[0]
    coeff = field_coeff(config.vector, tuple(coeffs) or (0.0,))
    steered = EditedAgent(agent, [(shown, per_maze_edit(vectors[shown], index, coeff, env.obs_mode))])
    drawn = mazes[field_maze(mazes, defined, baseline["p_cheese_move"].to_numpy(float))]
    field = (cell_map(agent, drawn, env.obs_mode, env.action_mode),
             cell_map(steered, drawn, env.obs_mode, env.action_mode), shown, coeff)
    return SteerResult(rows, summary, pd.DataFrame(norms), int(source.level_seed), field)


def field_maze(mazes: list[Maze], defined: np.ndarray, p_cheese_move: np.ndarray) -> int:
    """Which maze the vector-field figure is drawn on: the largest with a vector whose unedited policy
    favours the cheese move, where a cheese vector has something to undo (the largest with a vector
    where none does), the first of those sizes. The largest, because in a small maze the top-right
    region covers the whole maze and the figure shows little of the world."""
    candidates = defined & (p_cheese_move > 0.5)
    if not candidates.any():
        candidates = np.asarray(defined, dtype=bool)
    sizes = np.array([maze.size if ok else -1 for maze, ok in zip(mazes, candidates)])
    return int(np.argmax(sizes))


def condition_count(config: SteerConfig, agent: Agent) -> int:
    """How many conditions :func:`steer_agent` plays (for a progress bar)."""
    coeffs = [c for c in dict.fromkeys(config.coeff) if c != 0]
    return 1 + len(check_layers(agent, config.layer)) * len(coeffs) * len(KINDS)
