"""Scripted stand-ins for a trained agent: anything with ``distribution(obs)`` can be rolled out."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from cheesemaze.envs.actions import COMPACT_STEPS, NOOP
from cheesemaze.envs.game import observation_space
from cheesemaze.envs.geometry import bfs_distances
from cheesemaze.envs.render import CHEESE, MOUSE, TRAP, WALL


def cell_of(channel: np.ndarray) -> tuple[int, int]:
    r, c = np.argwhere(channel)[0]
    return int(r), int(c)


class BfsToCheese:
    """Puts all probability on a move that shortens the step distance to the cheese; value = -distance."""

    def distribution(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        probs = np.zeros((len(obs), len(COMPACT_STEPS)), dtype=np.float32)
        values = np.zeros(len(obs), dtype=np.float32)
        for i, grid in enumerate(obs):
            walls = grid[WALL].astype(bool)
            dist = bfs_distances(walls, cell_of(grid[CHEESE]))
            r, c = cell_of(grid[MOUSE])
            values[i] = -dist[r, c]
            best = NOOP
            for a, (dr, dc) in enumerate(COMPACT_STEPS[:NOOP]):
                nr, nc = r + dr, c + dc
                if 0 <= nr < len(walls) and 0 <= nc < len(walls) and dist[nr, nc] == dist[r, c] - 1:
                    best = a
                    break
            probs[i, best] = 1.0
        return probs, values


class Fixed:
    """The same action probabilities everywhere (e.g. uniform random); counts the observations it saw."""

    def __init__(self, probs: list[float]) -> None:
        self.probs = np.asarray(probs, dtype=np.float32)
        self.calls = 0

    def distribution(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.calls += len(obs)
        return np.tile(self.probs, (len(obs), 1)), np.zeros(len(obs), dtype=np.float32)


def stand_in_agent(policy, world_size: int = 15, region: int | None = 5,
                   train_levels: tuple[int, int] = (0, 1000), test_levels: tuple[int, int] = (1000, 2000)):
    """An object shaped like ``cheesemaze.agents.loading.load_agent``'s result, around a scripted policy."""
    env = SimpleNamespace(world_size=world_size, region=region, obs_mode="grid", action_mode="compact")
    config = SimpleNamespace(env=env, train_levels=train_levels, test_levels=test_levels)
    policy.config = config
    return policy


def seeing_traps(policy, world_size: int):
    """Give a scripted policy the observation space of an agent trained with traps (four grid channels),
    which is how a rollout tells that it sees the trap channel."""
    policy.observation_space = observation_space("grid", world_size, trap_channel=True)
    return policy


def open_bounds(walls: np.ndarray) -> tuple[int, int]:
    """(top row, right column) of the open cells: the maze's top-right cell."""
    rows = np.flatnonzero((~walls).any(axis=1))
    cols = np.flatnonzero((~walls).any(axis=0))
    return int(rows[0]), int(cols[-1])


class MixedMotive:
    """Steps toward the cheese with probability falling with the cheese's distance from the top-right
    cell, otherwise toward the top-right cell; values 10 * 0.99 ** (steps to the cheese)."""

    def distribution(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        probs = np.zeros((len(obs), len(COMPACT_STEPS)), dtype=np.float32)
        values = np.zeros(len(obs), dtype=np.float32)
        for i, grid in enumerate(obs):
            walls = grid[WALL].astype(bool)
            cheese, mouse, corner = cell_of(grid[CHEESE]), cell_of(grid[MOUSE]), open_bounds(walls)
            p_cheese = 1 / (1 + np.exp(np.hypot(cheese[0] - corner[0], cheese[1] - corner[1]) - 4))
            values[i] = 10 * 0.99 ** bfs_distances(walls, cheese)[mouse]
            for target, weight in ((cheese, p_cheese), (corner, 1 - p_cheese)):
                dist = bfs_distances(walls, target)
                move = NOOP
                for a, (dr, dc) in enumerate(COMPACT_STEPS[:NOOP]):
                    r, c = mouse[0] + dr, mouse[1] + dc
                    if dist[mouse] > 0 and 0 <= r < len(walls) and 0 <= c < len(walls) and dist[r, c] == dist[mouse] - 1:
                        move = a
                probs[i, move] += weight
        return probs, values


class TrapShy:
    """Heads for the top-right cell, treating a cell lit in the trap channel (if the observation has
    one) as a wall; stays put where that leaves no way on. Values 0."""

    def distribution(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        probs = np.zeros((len(obs), len(COMPACT_STEPS)), dtype=np.float32)
        for i, grid in enumerate(obs):
            walls = grid[WALL].astype(bool)
            corner, mouse = open_bounds(walls), cell_of(grid[MOUSE])
            if len(grid) > TRAP:
                walls = walls | grid[TRAP].astype(bool)
            dist = bfs_distances(walls, corner) if not walls[corner] else np.full(walls.shape, -1)
            move = NOOP
            for a, (dr, dc) in enumerate(COMPACT_STEPS[:NOOP]):
                r, c = mouse[0] + dr, mouse[1] + dc
                if dist[mouse] > 0 and 0 <= r < len(walls) and 0 <= c < len(walls) and dist[r, c] == dist[mouse] - 1:
                    move = a
            probs[i, move] = 1.0
        return probs, np.zeros(len(obs), dtype=np.float32)
