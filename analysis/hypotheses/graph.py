"""A maze as a graph for the hypotheses' solvers: its open cells indexed, its moves as a table.

Cells are the maze's open cells in row-major order. ``moves[i, a]`` is the cell reached from cell
``i`` by compact action ``a`` (UP, DOWN, LEFT, RIGHT, NOOP); a move into a wall stays put, as in
the game. The start is the root of the maze's spanning tree: ``parent`` points one step towards
it and ``ancestors`` marks every cell on the path from the start (excluded) to a cell (included).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cheesemaze.agents.rollout import OUTCOME_REGION
from cheesemaze.envs.actions import COMPACT_STEPS
from cheesemaze.envs.game import OUTCOMES
from cheesemaze.envs.geometry import bfs_distances, counts_top_right, region_box
from cheesemaze.envs.maze import Cell, Maze


@dataclass(frozen=True, eq=False)
class MazeGraph:
    """The cells, moves and start-rooted tree of one maze (see the module docstring)."""

    maze: Maze
    cells: np.ndarray
    """(n, 2) open cells, row-major."""
    moves: np.ndarray
    """(n, 5) index of the cell each compact action leads to."""
    depth: np.ndarray
    """(n,) steps from the start."""
    parent: np.ndarray
    """(n,) the neighbour one step closer to the start (the start is its own parent)."""
    in_region: np.ndarray
    """(n,) whether the cell lies in the top-right outcome square (none where the square does not
    count, as in the game: ``geometry.counts_top_right``)."""

    @property
    def n(self) -> int:
        return len(self.cells)

    def indices(self, cells: np.ndarray) -> np.ndarray:
        """(k,) index of each of the (k, 2) ``cells``; ``ValueError`` if one is not an open cell."""
        cells = np.asarray(cells, dtype=np.int64).reshape(-1, 2)
        lookup = np.full(self.maze.walls.shape, -1, dtype=np.int64)
        lookup[self.cells[:, 0], self.cells[:, 1]] = np.arange(self.n)
        inside = ((cells >= 0) & (cells < lookup.shape[0])).all(axis=1)
        found = np.where(inside, lookup[np.clip(cells[:, 0], 0, None) % lookup.shape[0],
                                        np.clip(cells[:, 1], 0, None) % lookup.shape[0]], -1)
        if (found < 0).any():
            bad = tuple(int(v) for v in cells[np.argmax(found < 0)])
            raise ValueError(f"cell {bad} is not an open cell of {self.maze!r}")
        return found

    def index(self, cell: Cell) -> int:
        """The index of an open cell; ``ValueError`` for a wall or a cell outside the world."""
        return int(self.indices(np.array([cell]))[0])

    @property
    def start(self) -> int:
        return self.index(self.maze.start)

    @property
    def cheese(self) -> int:
        return self.index(self.maze.cheese)

    def distances_from(self, cell: Cell) -> np.ndarray:
        """(n,) step distance from ``cell`` to every cell."""
        return bfs_distances(self.maze.walls, cell)[self.cells[:, 0], self.cells[:, 1]]

    def ancestors(self) -> np.ndarray:
        """(n, n) bool: ``[x, y]`` when ``y`` lies on the path from the start (excluded) to ``x`` (included)."""
        n = self.n
        marks = np.zeros((n, n), dtype=bool)
        rows = np.arange(n)
        walker = rows.copy()
        # One vectorized step up the tree per level of depth: each cell marks its current ancestor.
        for _ in range(int(self.depth.max())):
            moving = self.depth[walker] > 0
            marks[rows[moving], walker[moving]] = True
            walker = self.parent[walker]
        return marks

    def possible_outcomes(self) -> np.ndarray:
        """(3,) which of ``OUTCOMES`` the game allows on this maze. The cheese (every open cell is
        reachable) and ``other`` (the mouse may stay put) always; ``top_right`` where some cell of the
        counted square is reachable without passing the cheese, which ends the episode."""
        reach_region = self.in_region & ~self.ancestors()[:, self.cheese]
        allowed = {"cheese": True, "top_right": bool(reach_region.any()), "other": True}
        return np.array([allowed[o] for o in OUTCOMES])

    def path_touches_region(self) -> np.ndarray:
        """(n,) whether the path from the start to the cell (both included) enters the outcome square."""
        return (self.ancestors() & self.in_region[None, :]).any(axis=1) | self.in_region[self.start]


def maze_graph(maze: Maze, outcome_region: int = OUTCOME_REGION) -> MazeGraph:
    """Index the open cells of ``maze`` and tabulate its moves and its tree rooted at the start."""
    walls = maze.walls
    cells = np.argwhere(~walls)
    index = np.full(walls.shape, -1, dtype=np.int64)
    index[cells[:, 0], cells[:, 1]] = np.arange(len(cells))
    target = cells[:, None, :] + COMPACT_STEPS[None, :, :]
    world = walls.shape[0]
    inside = ((target >= 0) & (target < world)).all(axis=2)
    target = np.clip(target, 0, world - 1)
    moves = index[target[..., 0], target[..., 1]]
    moves = np.where(inside & (moves >= 0), moves, np.arange(len(cells))[:, None])
    depth = bfs_distances(walls, maze.start)[cells[:, 0], cells[:, 1]]
    if (depth < 0).any():
        raise ValueError(f"{maze!r} has open cells that cannot be reached from the start")
    # The parent is the first neighbour (in action order) one step closer to the start; in a perfect
    # maze it is unique.
    closer = depth[moves] == (depth[:, None] - 1)
    parent = np.where(closer.any(axis=1), moves[np.arange(len(cells)), closer.argmax(axis=1)], np.arange(len(cells)))
    top, bottom, left, right = region_box(maze, outcome_region)
    region = (cells[:, 0] >= top) & (cells[:, 0] <= bottom) & (cells[:, 1] >= left) & (cells[:, 1] <= right)
    region &= counts_top_right(maze, outcome_region)
    return MazeGraph(maze, cells, moves, depth.astype(np.int64), parent, region)


def maze_graphs(mazes: Sequence[Maze], outcome_region: int = OUTCOME_REGION) -> list[MazeGraph]:
    """:func:`maze_graph` of each maze."""
    return [maze_graph(m, outcome_region) for m in mazes]


def possible_outcomes(mazes: Sequence[Maze], outcome_region: int = OUTCOME_REGION) -> np.ndarray:
    """(n, 3) bool: which of ``OUTCOMES`` each maze allows (:meth:`MazeGraph.possible_outcomes`)."""
    return np.array([g.possible_outcomes() for g in maze_graphs(mazes, outcome_region)]).reshape(-1, len(OUTCOMES))


@dataclass(frozen=True, eq=False)
class GraphBatch:
    """Several maze graphs as one graph whose cells are all the mazes' cells, concatenated.

    Solvers vectorized over mazes work on the flat arrays; ``split`` returns per-maze pieces.
    """

    graphs: tuple[MazeGraph, ...]
    offsets: np.ndarray
    """(B + 1,) where each maze's cells begin in the flat order."""
    moves: np.ndarray
    """(N, 5) flat index of the cell each action leads to."""
    maze_of: np.ndarray
    """(N,) which maze each cell belongs to."""
    start: np.ndarray
    """(B,) flat index of each start."""
    cheese: np.ndarray
    """(B,) flat index of each cheese."""
    in_region: np.ndarray
    """(N,) cells of the top-right outcome square."""

    @property
    def n_cells(self) -> int:
        return len(self.maze_of)

    def __len__(self) -> int:
        return len(self.graphs)

    def flat(self, per_graph: Sequence[np.ndarray]) -> np.ndarray:
        """Concatenate one (n_b, ...) array per graph into the flat order."""
        return np.concatenate(list(per_graph))

    def sum_per_maze(self, values: np.ndarray) -> np.ndarray:
        """(B,) sum of a flat (N,) array over each maze's cells."""
        return np.bincount(self.maze_of, weights=values, minlength=len(self.graphs))


def batch_graphs(graphs: Sequence[MazeGraph]) -> GraphBatch:
    """Join ``graphs`` into one :class:`GraphBatch`."""
    if not graphs:
        raise ValueError("no mazes to batch")
    sizes = np.array([g.n for g in graphs])
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    moves = np.concatenate([g.moves + o for g, o in zip(graphs, offsets)])
    maze_of = np.repeat(np.arange(len(graphs)), sizes)
    start = np.array([g.start for g in graphs]) + offsets[:-1]
    cheese = np.array([g.cheese for g in graphs]) + offsets[:-1]
    region = np.concatenate([g.in_region for g in graphs])
    return GraphBatch(tuple(graphs), offsets, moves, maze_of, start, cheese, region)
