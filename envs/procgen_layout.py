"""procgen's own ``maze`` level for a level seed, reproduced in numpy without procgen.

procgen seeds a ``std::mt19937`` with the level seed (``Game::reset``) and draws, in order
(``BasicAbstractGame::game_reset``, ``MazeGame::game_reset``, ``mazegen.cpp``):

1. ``bg_pct_x = rand01()`` and ``background_index = randn(9)`` (the background's look);
2. the maze side ``randn((world - 1) / 2) * 2 + 3``;
3. Kruskal: the candidate walls in a fixed order, then repeatedly ``randn(len(walls))`` picks one,
   which is opened when it joins two components and removed from the list either way; opened cells
   are appended to a free-cell list in the order they open;
4. the cheese: ``randn(n_free)`` into that list, redrawn while it hits the start cell.

Maze-relative ``(x, y)`` (y up) sits at world ``(margin + x, margin + y)``. The result is checked
against procgen's own states in the tests, down to the generator's final state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cheesemaze.envs.maze import Maze, Region, check_region, check_world_size, draw_cheese
from cheesemaze.envs.procgen_state import NUM_BACKGROUNDS


class MersenneTwister:
    """``std::mt19937`` seeded like ``seed(level_seed)``, yielding its raw 32-bit outputs.

    numpy's legacy ``RandomState(seed)`` uses the same initialisation as the C++ standard, and its
    ``MT19937`` bit generator the same recurrence and tempering.
    """

    CHUNK = 1024

    def __init__(self, seed: int) -> None:
        self.bits = np.random.MT19937()
        self.bits.state = {
            "bit_generator": "MT19937",
            "state": np.random.RandomState(seed).get_state(legacy=False)["state"],
        }
        self.buffer: list[int] = []
        self.used = 0
        self.draws = 0

    def next(self) -> int:
        """The next raw output, an integer in 0 .. 2**32 - 1."""
        if self.used == len(self.buffer):
            self.buffer, self.used = self.bits.random_raw(self.CHUNK).tolist(), 0
        self.used += 1
        self.draws += 1
        return self.buffer[self.used - 1]

    def randn(self, high: int) -> int:
        """procgen's ``RandGen::randn``: the raw output modulo ``high``."""
        return self.next() % high


@dataclass(frozen=True)
class ProcgenLevel:
    """One procgen maze level: the maze with procgen's own cheese, and its background's look."""

    maze: Maze
    """Walls, start, procgen's cheese, maze size and level seed."""
    background_index: int
    """Which of procgen's topdown backgrounds the level shows (state field ``background_index``)."""
    bg_pct_x: float
    """Horizontal offset of the background image (state field ``bg_pct_x``)."""
    draws: int
    """How many outputs of the level's generator the layout used (to compare with procgen's)."""


def kruskal_cells(size: int, rng: MersenneTwister) -> list[int]:
    """Run procgen's Kruskal on a ``size`` x ``size`` maze; the open cells ``size * y + x`` in the
    order they opened."""
    walls = [(x - 1, y, x + 1, y) for x in range(1, size - 1, 2) for y in range(0, size, 2)]
    walls += [(x, y - 1, x, y + 1) for x in range(0, size, 2) for y in range(1, size - 1, 2)]
    # Like mazegen.cpp, every cell carries the label of its component; a merge relabels one side.
    labels = np.arange(size * size)
    opened: list[int] = []
    seen: set[int] = set()
    while walls:
        x1, y1, x2, y2 = walls.pop(rng.randn(len(walls)))
        a, b = size * y1 + x1, size * y2 + x2
        if labels[a] == labels[b]:
            continue
        labels[labels == labels[a]] = labels[b]
        for cell in (a, size * ((y1 + y2) // 2) + (x1 + x2) // 2, b):
            if cell not in seen:
                seen.add(cell)
                opened.append(cell)
    return opened


def procgen_level(level_seed: int, world_size: int = 25) -> ProcgenLevel:
    """procgen's ``maze`` level ``level_seed`` in a ``world_size`` world (15 easy, 25 hard)."""
    check_world_size(world_size)
    if not isinstance(level_seed, (int, np.integer)) or not 0 <= level_seed < 2**31:
        raise ValueError(f"a procgen level seed is an integer in 0 .. 2**31 - 1; got {level_seed!r}")
    rng = MersenneTwister(int(level_seed))
    bg_pct_x = float(np.float32(rng.next() / 2.0**32))
    background_index = rng.randn(NUM_BACKGROUNDS)
    size = rng.randn((world_size - 1) // 2) * 2 + 3
    opened = kruskal_cells(size, rng)
    # The start cell is maze cell 0, which place_objects refuses.
    pick = rng.randn(len(opened))
    while opened[pick] == 0:
        pick = rng.randn(len(opened))
    margin = (world_size - size) // 2

    def world_cell(cell: int) -> tuple[int, int]:
        x, y = cell % size, cell // size
        return (world_size - 1 - (margin + y), margin + x)

    walls = np.ones((world_size, world_size), dtype=bool)
    walls[tuple(np.array([world_cell(c) for c in opened]).T)] = False
    maze = Maze(walls, world_cell(0), world_cell(opened[pick]), size, int(level_seed))
    return ProcgenLevel(maze, background_index, bg_pct_x, rng.draws)


def procgen_maze(level_seed: int, world_size: int = 25, region: Region = None) -> Maze:
    """The maze of procgen level ``level_seed``; with ``region`` the cheese is moved by the native
    rule (:func:`~cheesemaze.envs.maze.draw_cheese`), with ``None`` it stays where procgen put it."""
    check_region(region, world_size)
    maze = procgen_level(level_seed, world_size).maze
    if region is None:
        return maze
    return maze.with_cheese(draw_cheese(maze.walls, maze.size, region, int(level_seed)))
