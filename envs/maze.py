"""The maze as plain data, and its generation from a level seed.

Facts reproduced from procgen's ``maze`` game (``maze.cpp``, ``mazegen.cpp``):

- the world is ``world_size`` x ``world_size`` (15 in ``easy``, 25 in ``hard``);
- the maze size ``d`` is odd and uniform over 3, 5, ..., ``world_size``; the maze is centred and the
  rest of the world is wall;
- the maze is a randomized-Kruskal perfect maze: in maze-relative coordinates cells with both
  coordinates even are open, cells with both odd are walls, and the open cells form a tree;
- the mouse starts in the maze's bottom-left cell;
- the cheese is uniform over free cells other than the start, or, in the corner variant
  (procgenAISC ``rand_region``), uniform over free cells of the maze-relative top-right
  ``r`` x ``r`` square (``r = 0``: exactly the top-right cell).

Coordinates are ``(row, col)`` in world cells, row 0 at the top.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Cell = tuple[int, int]

WORLD_SIZES = {"easy": 15, "hard": 25}
# The 64x64 RGB observation shows the whole world, so it needs at least one pixel per cell.
MAX_WORLD_SIZE = 63

TRAIN_LEVELS = range(0, 1_000_000_000)
"""Level seeds for training: [0, 1e9). The default of every env and of every training config."""
TEST_LEVELS = range(1_000_000_000, 2_000_000_000)
"""Held-out level seeds: [1e9, 2e9), disjoint from ``TRAIN_LEVELS``; procgen accepts seeds below 2**31."""


def check_levels(level_start: int, n: int, train_levels: tuple[int, int]) -> range:
    """The level seeds ``level_start .. level_start + n - 1``, or ``ValueError`` if any is a training seed."""
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"the number of mazes must be at least 1; got {n!r}")
    if not isinstance(level_start, (int, np.integer)) or level_start < 0:
        raise ValueError(f"the first level seed must be a non-negative integer; got {level_start!r}")
    levels = range(int(level_start), int(level_start) + int(n))
    lo, hi = train_levels
    if levels.start < hi and lo < levels.stop:
        raise ValueError(
            f"level seeds {levels.start}..{levels.stop - 1} overlap the agent's training seeds "
            f"{lo}..{hi - 1}; held-out evaluation must use seeds outside that range"
        )
    return levels


def check_world_size(world_size: int) -> None:
    """Raise ``ValueError`` unless ``world_size`` is an odd integer from 3 to ``MAX_WORLD_SIZE``."""
    if (
        not isinstance(world_size, (int, np.integer))
        or isinstance(world_size, bool)
        or not 3 <= world_size <= MAX_WORLD_SIZE
        or world_size % 2 == 0
    ):
        raise ValueError(
            f"world_size must be an odd integer from 3 to {MAX_WORLD_SIZE} (procgen uses 15 for "
            f"easy, 25 for hard); got {world_size!r}"
        )


Region = int | None
"""Where the cheese is placed: an integer ``r >= 0``, the maze's top-right ``r`` x ``r`` square
(``0``: exactly the top-right cell); None, anywhere in the maze. As text (flags, the episodes
table): ``"5"`` or ``"anywhere"`` (:func:`region_text`, :func:`parse_region`)."""

Distribution = Literal["train", "anywhere"]
DISTRIBUTIONS: tuple[Distribution, ...] = ("train", "anywhere")
"""The cheese placements an agent is evaluated on: ``train``, its training region; ``anywhere``,
uniform over the maze (see :func:`distribution_region`)."""


def region_text(region: Region) -> str:
    """The region as text: ``"5"``, or ``"anywhere"`` for None."""
    return "anywhere" if region is None else str(int(region))


def parse_region(text: str) -> Region:
    """The region a text names: an integer >= 0, or ``anywhere`` (None); ``ValueError`` otherwise."""
    if text.strip().lower() == "anywhere":
        return None
    try:
        region = int(text)
    except ValueError:
        region = -1
    if region < 0:
        raise ValueError(f"region must be an integer >= 0, or 'anywhere'; got {text!r}")
    return region


def distribution_region(distribution: Distribution, trained_region: Region) -> Region:
    """The cheese region of a distribution for an agent trained on ``trained_region``: ``train`` is
    that region, ``anywhere`` is None."""
    if distribution == "train":
        return trained_region
    if distribution == "anywhere":
        return None
    raise ValueError(f"distribution must be one of {DISTRIBUTIONS}; got {distribution!r}")


def placement(region: Region) -> int | None:
    """The cheese placement a region stands for, as the side of its top-right square (None: anywhere).
    Regions 0 and 1 are one placement, the top-right cell alone."""
    return None if region is None else max(int(region), 1)


def placement_text(region: Region) -> str:
    """Where a region puts the cheese, in words: ``top-right 5x5``, ``top-right 1x1`` (regions 0 and 1),
    or ``anywhere``."""
    side = placement(region)
    return "anywhere" if side is None else f"top-right {side}x{side}"


def check_region(region: Region, world_size: int) -> None:
    """Raise ``ValueError`` unless ``region`` is None (cheese anywhere) or in 0..world_size."""
    if region is None:
        return
    if (
        not isinstance(region, (int, np.integer))
        or isinstance(region, bool)
        or not 0 <= region <= world_size
    ):
        raise ValueError(
            f"region must be None (cheese anywhere) or an integer from 0 to the world size "
            f"{world_size}; got {region!r}"
        )


@dataclass(frozen=True, eq=False)
class Maze:
    """One level: a wall grid over the whole world, the mouse, the cheese and the maze's placement.

    ``walls[r, c]`` is True where the world has a wall. ``size`` is the maze's side ``d``; the maze
    occupies rows and columns ``offset .. offset + size - 1``.
    """

    walls: np.ndarray
    mouse: Cell
    cheese: Cell
    size: int
    level_seed: int | None = None
    offset: int = field(init=False)

    def __post_init__(self) -> None:
        walls = np.asarray(self.walls, dtype=bool)
        if walls.ndim != 2 or walls.shape[0] != walls.shape[1]:
            raise ValueError(f"walls must be a square 2-D grid; got shape {walls.shape}")
        check_world_size(walls.shape[0])
        world = walls.shape[0]
        if not isinstance(self.size, (int, np.integer)) or self.size % 2 == 0 or not 1 <= self.size <= world:
            raise ValueError(f"maze size must be an odd integer from 1 to the world size {world}; got {self.size!r}")
        # Another maze's frozen grid can be shared; anything else is copied so the maze stays immutable.
        if walls.flags.writeable or walls.base is not None:
            walls = walls.copy()
            walls.setflags(write=False)
        object.__setattr__(self, "walls", walls)
        object.__setattr__(self, "size", int(self.size))
        object.__setattr__(self, "mouse", (int(self.mouse[0]), int(self.mouse[1])))
        object.__setattr__(self, "cheese", (int(self.cheese[0]), int(self.cheese[1])))
        object.__setattr__(self, "offset", (world - self.size) // 2)
        for name in ("mouse", "cheese"):
            r, c = getattr(self, name)
            if not (0 <= r < world and 0 <= c < world):
                raise ValueError(f"{name} cell {(r, c)} lies outside the {world}x{world} world")
            if walls[r, c]:
                raise ValueError(f"{name} cell {(r, c)} is a wall")

    @property
    def world_size(self) -> int:
        return int(self.walls.shape[0])

    @property
    def start(self) -> Cell:
        """The maze's bottom-left cell, where the mouse starts."""
        return (self.offset + self.size - 1, self.offset)

    @property
    def top_right(self) -> Cell:
        """The maze's top-right cell."""
        return (self.offset, self.offset + self.size - 1)

    def region_cells(self, region: int) -> np.ndarray:
        """Free cells in the maze-relative top-right ``region`` x ``region`` square, as (n, 2)."""
        mask = region_mask(self.walls, self.size, region)
        return np.argwhere(mask)

    def in_region(self, cell: Cell, region: int) -> bool:
        """Whether ``cell`` lies in the maze's top-right ``region`` x ``region`` square."""
        r, c = cell
        top, right = self.top_right
        side = region_side(region, self.size)
        return top <= r < top + side and right - side < c <= right

    def free_cells(self) -> np.ndarray:
        """All open cells of the world, as an (n, 2) array in row-major order."""
        return np.argwhere(~self.walls)

    def with_cheese(self, cell: Cell) -> "Maze":
        """The same maze with the cheese moved to ``cell``."""
        return Maze(self.walls, self.mouse, cell, self.size, self.level_seed)

    def with_mouse(self, cell: Cell) -> "Maze":
        """The same maze with the mouse moved to ``cell``."""
        return Maze(self.walls, cell, self.cheese, self.size, self.level_seed)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Maze):
            return NotImplemented
        return (
            np.array_equal(self.walls, other.walls)
            and self.mouse == other.mouse
            and self.cheese == other.cheese
            and self.size == other.size
            and self.level_seed == other.level_seed
        )

    def __hash__(self) -> int:
        return hash((self.walls.tobytes(), self.mouse, self.cheese, self.size, self.level_seed))

    def __repr__(self) -> str:
        return (
            f"Maze(world={self.world_size}, size={self.size}, mouse={self.mouse}, "
            f"cheese={self.cheese}, level_seed={self.level_seed})"
        )


def region_side(region: int, size: int) -> int:
    """Side of the maze's top-right ``region`` x ``region`` square: ``region = 0`` is the top-right
    cell alone (procgenAISC), and the square never exceeds the maze."""
    return min(placement(region), size)


def region_mask(walls: np.ndarray, size: int, region: int) -> np.ndarray:
    """Boolean mask of free cells in the maze-relative top-right ``region`` x ``region`` square.

    ``region = 0`` selects exactly the top-right cell (procgenAISC semantics); a region at least as
    large as the maze selects every free cell.
    """
    world = walls.shape[0]
    offset = (world - size) // 2
    side = region_side(region, size)
    mask = np.zeros_like(walls, dtype=bool)
    mask[offset : offset + side, offset + size - side : offset + size] = True
    return mask & ~walls


def carve_kruskal(size: int, rng: np.random.Generator) -> np.ndarray:
    """A ``size`` x ``size`` perfect maze (True = wall) by randomized Kruskal.

    Cells with both coordinates even are the maze's nodes; each wall between two nodes is removed,
    in random order, when it joins two different components.
    """
    walls = np.ones((size, size), dtype=bool)
    walls[::2, ::2] = False
    nodes = (size + 1) // 2
    parent = list(range(nodes * nodes))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # Each candidate wall joins node (r, c) to its right or lower neighbour.
    edges = [(r, c, 0, 1) for r in range(nodes) for c in range(nodes - 1)]
    edges += [(r, c, 1, 0) for r in range(nodes - 1) for c in range(nodes)]
    for k in rng.permutation(len(edges)):
        r, c, dr, dc = edges[k]
        a, b = find(r * nodes + c), find((r + dr) * nodes + c + dc)
        if a != b:
            parent[a] = b
            walls[2 * r + dr, 2 * c + dc] = False
    return walls


def draw_size(rng: np.random.Generator, world_size: int) -> int:
    """A maze size, uniform over the odd sizes 3 .. ``world_size``: a level generator's first draw."""
    return 2 * int(rng.integers((world_size - 1) // 2)) + 3


def maze_size(level_seed: int, world_size: int) -> int:
    """The size of ``level_seed``'s maze (``generate_maze(level_seed, world_size).size``) without carving it."""
    return draw_size(np.random.default_rng(int(level_seed)), world_size)


def generate_maze(level_seed: int, world_size: int = 15, region: Region = None) -> Maze:
    """The maze of ``level_seed``: a pure function of its arguments.

    ``region=None`` places the cheese anywhere (stock procgen); an integer ``r`` places it in the
    maze's top-right ``r`` x ``r`` square (procgenAISC ``rand_region``).
    """
    check_world_size(world_size)
    check_region(region, world_size)
    if not isinstance(level_seed, (int, np.integer)) or level_seed < 0:
        raise ValueError(f"level_seed must be a non-negative integer; got {level_seed!r}")
    rng = np.random.default_rng(int(level_seed))
    size = draw_size(rng, world_size)
    offset = (world_size - size) // 2
    walls = np.ones((world_size, world_size), dtype=bool)
    walls[offset : offset + size, offset : offset + size] = carve_kruskal(size, rng)
    start = (offset + size - 1, offset)
    return Maze(walls, start, draw_cheese(walls, size, region, int(level_seed)), size, int(level_seed))


def draw_cheese(walls: np.ndarray, size: int, region: Region, level_seed: int) -> Cell:
    """The cheese cell of a level: uniform over the free cells other than the start, anywhere
    (``region=None``) or in the maze's top-right ``region`` x ``region`` square.

    The draw depends on the level seed alone, not on how the layout was drawn, so the same level
    seed gives the same layout for every region (as procgen's maze and maze_aisc do), and a layout
    imported from procgen gets its cheese by the same rule as a native one.
    """
    world = walls.shape[0]
    offset = (world - size) // 2
    start = (offset + size - 1, offset)
    cheese_rng = np.random.default_rng([int(level_seed), 1])
    if region is None:
        candidates = np.argwhere(~walls)
    else:
        candidates = np.argwhere(region_mask(walls, size, region))
    candidates = candidates[(candidates[:, 0] != start[0]) | (candidates[:, 1] != start[1])]
    cheese = candidates[cheese_rng.integers(len(candidates))]
    return (int(cheese[0]), int(cheese[1]))
