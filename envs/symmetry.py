"""The maze game's one symmetry: reflection across the diagonal through the bottom-left corner (the
start) and the top-right corner (the training goal).

A maze is centred in the world, so the reflection maps the world's cell ``(r, c)`` to
``(W - 1 - c, W - 1 - r)`` and every maze onto a maze of the same size with the same start; it maps
the top-right ``r`` x ``r`` cheese region onto itself, and randomized Kruskal draws a layout and its
reflection with the same probability. So a reflected training episode is an episode of the same
training distribution (of the generator; with few training level seeds, a reflected maze is
usually not one of them), with UP and RIGHT, DOWN and LEFT swapped. Compact actions only: procgen's
diagonal buttons (LEFT+UP and the like) all act as their horizontal part in the maze, which the
reflection does not preserve.
"""

from __future__ import annotations

import numpy as np

from cheesemaze.envs.actions import DOWN, LEFT, NOOP, RIGHT, UP
from cheesemaze.envs.maze import Cell, Maze

FLIPPED_ACTIONS = np.array([RIGHT, LEFT, DOWN, UP, NOOP])
"""``FLIPPED_ACTIONS[a]``: the compact action that moves as the reflection of ``a``."""


def flip_cell(cell: Cell, world_size: int) -> Cell:
    """The reflection of a world cell."""
    r, c = cell
    return (world_size - 1 - c, world_size - 1 - r)


def flip_grid(grid: np.ndarray) -> np.ndarray:
    """Reflect square grids over their last two axes (``out[..., r, c] = grid[..., W-1-c, W-1-r]``)."""
    if grid.ndim < 2 or grid.shape[-1] != grid.shape[-2]:
        raise ValueError(f"grids must be square over their last two axes; got shape {grid.shape}")
    return np.flip(np.swapaxes(grid, -1, -2), axis=(-2, -1))


def flip_maze(maze: Maze) -> Maze:
    """The reflected maze: same size and start, layout, mouse and cheese reflected. It is no level
    seed's maze, so it has no ``level_seed``."""
    world = maze.world_size
    return Maze(flip_grid(maze.walls), flip_cell(maze.mouse, world), flip_cell(maze.cheese, world), maze.size)
