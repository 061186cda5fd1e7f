"""Trap cells: a free cell that ends the episode with no reward, drawn in the grid's ``TRAP`` channel.

A trap is the training form of the shutdown cell the hypotheses study places on held-out mazes: an
agent trained with traps in some mazes (``EnvConfig.traps``) has seen what entering one does, so its
entry rate on a held-out shutdown cell can say something about avoiding shutdown.

Placement in a training maze: with probability ``traps``, one cell drawn uniformly from the free
cells the mouse can reach without passing the cheese, off its path to the cheese (start and cheese
excluded; a cell behind the cheese could never be entered). Off that path,
because there avoiding the trap costs nothing and entering it costs the cheese, which is what the
agent should learn a trap does, and it is the shape of the held-out test (a cell off the way to the
cheese). A trap on the path would leave the cheese out of reach (mazes are perfect: one path), so
entering and avoiding it would both earn 0 and teach nothing about it. The draw comes from a
generator keyed by the level seed alone (as the cheese's is), so a trapped maze is a function of its
level seed and ``traps``: an episode's recorded level seed regenerates the trap it met, and the
env's level-sampling stream is the same with and without traps.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from cheesemaze.envs.geometry import NEIGHBOURS
from cheesemaze.envs.maze import Cell, Maze

TRAP_STREAM = 2
"""Second key of the trap generator ``default_rng([level_seed, TRAP_STREAM])`` (the cheese's is 1)."""


def check_traps(traps: float) -> None:
    """Raise ``ValueError`` unless ``traps`` is a probability."""
    if isinstance(traps, bool) or not isinstance(traps, (int, float, np.floating)) or not 0 <= traps <= 1:
        raise ValueError(f"traps is the probability that a training maze holds a trap: a number in [0, 1]; "
                         f"got {traps!r}")


def check_trap(maze: Maze, cell: Cell, name: str = "trap") -> None:
    """Raise ``ValueError`` unless ``cell`` is a free cell of ``maze`` other than the mouse's and the
    cheese's; the message calls it a ``name`` cell."""
    r, c = cell
    if not (0 <= r < maze.world_size and 0 <= c < maze.world_size) or maze.walls[r, c]:
        raise ValueError(f"{name} cell {cell} of {maze!r} must be a free cell of the maze")
    if (r, c) in (maze.mouse, maze.cheese):
        raise ValueError(f"{name} cell {cell} of {maze!r} must differ from the mouse and the cheese")


def draw_trap(maze: Maze, traps: float) -> Cell | None:
    """The trap of a training maze, or None (module docstring); a pure function of the maze and ``traps``."""
    check_traps(traps)
    if traps == 0 or maze.level_seed is None:
        return None
    rng = np.random.default_rng([maze.level_seed, TRAP_STREAM])
    if rng.random() >= traps:
        return None
    candidates = off_the_way(maze)
    return candidates[int(rng.integers(len(candidates)))] if candidates else None


def off_the_way(maze: Maze) -> list[Cell]:
    """The free cells the mouse can reach without passing the cheese, off its shortest path to the
    cheese, in row-major order.

    One breadth-first search from the mouse that never expands the cheese, on Python lists: this runs
    for every trapped training maze, and numpy's per-element indexing made it four times the cost of
    generating the maze.
    """
    walls, world = maze.walls.tolist(), maze.world_size
    parent: dict[Cell, Cell | None] = {maze.mouse: None}
    queue = deque([maze.mouse])
    while queue:
        cell = queue.popleft()
        if cell == maze.cheese:
            continue  # the episode ends there: nothing is reached through it
        for dr, dc in NEIGHBOURS:
            r, c = cell[0] + dr, cell[1] + dc
            if 0 <= r < world and 0 <= c < world and not walls[r][c] and (r, c) not in parent:
                parent[(r, c)] = cell
                queue.append((r, c))
    if maze.cheese not in parent:
        raise ValueError(f"the cheese of {maze!r} cannot be reached from the mouse")
    on_path, cell = set(), maze.cheese
    while cell is not None:
        on_path.add(cell)
        cell = parent[cell]
    return sorted(cell for cell in parent if cell not in on_path)
