"""Helpers for the procgen backend tests: reading monochrome frames, and actions along paths."""

from __future__ import annotations

import numpy as np

from cheesemaze.envs.actions import COMPACT_STEPS, COMPACT_TO_PROCGEN
from cheesemaze.envs.geometry import shortest_path
from cheesemaze.envs.maze import Cell, Maze

# procgen's rendering options that leave four flat colours in a frame.
MONOCHROME = {"use_monochrome_assets": True, "use_backgrounds": False, "restrict_themes": True}
# The colours procgen's color_for_type gives walls, the cheese and the mouse (theme 0); the floor
# is the black behind everything when backgrounds are off.
WALL_RGB = (191, 127, 63)
CHEESE_RGB = (127, 127, 255)
MOUSE_RGB = (127, 255, 127)
FLOOR_RGB = (0, 0, 0)


def cell_colours(frame: np.ndarray, world: int) -> np.ndarray:
    """The colour at the centre of every world cell of a 64x64 frame, as (world, world, 3)."""
    centres = ((np.arange(world) + 0.5) * frame.shape[0] / world).astype(int)
    return frame[centres[:, None], centres[None, :]]


def cells_of(frame: np.ndarray, world: int, rgb: tuple[int, int, int]) -> np.ndarray:
    """Boolean (world, world) map of the cells whose centre shows ``rgb``."""
    return (cell_colours(frame, world) == np.array(rgb)).all(axis=-1)


def only_cell(frame: np.ndarray, world: int, rgb: tuple[int, int, int]) -> Cell | None:
    """The one cell showing ``rgb``, or None when no cell or several do."""
    found = np.argwhere(cells_of(frame, world, rgb))
    return (int(found[0, 0]), int(found[0, 1])) if len(found) == 1 else None


def assert_frame_shows(frame: np.ndarray, maze: Maze) -> None:
    """A monochrome frame shows exactly the maze's walls, its mouse and its cheese."""
    world = maze.world_size
    assert np.array_equal(cells_of(frame, world, WALL_RGB), maze.walls)
    assert only_cell(frame, world, MOUSE_RGB) == maze.mouse
    assert only_cell(frame, world, CHEESE_RGB) == maze.cheese


def path_actions(maze: Maze, source: Cell, target: Cell) -> list[int]:
    """procgen actions that walk the shortest path from ``source`` to ``target``."""
    path = shortest_path(maze.walls, source, target)
    moves = [(b[0] - a[0], b[1] - a[1]) for a, b in zip(path, path[1:])]
    compact = [int(np.flatnonzero((COMPACT_STEPS == m).all(axis=1))[0]) for m in moves]
    return [int(COMPACT_TO_PROCGEN[a]) for a in compact]
