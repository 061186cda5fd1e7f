"""Geometry of a maze: step distances, shortest paths, the decision square, Euclidean distances.

All functions are pure and speak in ``(row, col)`` world cells. Mazes are perfect (a tree of open
cells), so shortest paths are unique; the functions stay correct on edited mazes with loops, where
ties are broken by the fixed neighbour order UP, DOWN, LEFT, RIGHT.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from cheesemaze.envs.maze import Cell, Maze, region_side

UNREACHABLE = -1
NEIGHBOURS = ((-1, 0), (1, 0), (0, -1), (0, 1))


def as_cell(cell) -> Cell:
    """A cell as a tuple of Python ints, so a numpy pair indexes one cell rather than two rows."""
    return (int(cell[0]), int(cell[1]))


def bfs_distances(walls: np.ndarray, source: Cell) -> np.ndarray:
    """Step distance from ``source`` to every cell; ``UNREACHABLE`` (-1) for walls and cut-off cells."""
    n_rows, n_cols = walls.shape
    source = as_cell(source)
    dist = np.full(walls.shape, UNREACHABLE, dtype=np.int32)
    if walls[source]:
        raise ValueError(f"source cell {source} is a wall")
    dist[source] = 0
    queue = deque([source])
    while queue:
        r, c = queue.popleft()
        d = dist[r, c] + 1
        for dr, dc in NEIGHBOURS:
            nr, nc = r + dr, c + dc
            if 0 <= nr < n_rows and 0 <= nc < n_cols and not walls[nr, nc] and dist[nr, nc] < 0:
                dist[nr, nc] = d
                queue.append((nr, nc))
    return dist


def shortest_path(walls: np.ndarray, source: Cell, target: Cell) -> list[Cell]:
    """The cells of a shortest path from ``source`` to ``target``, both included.

    Raises ``ValueError`` when ``target`` cannot be reached.
    """
    source, target = as_cell(source), as_cell(target)
    dist = bfs_distances(walls, target)
    if dist[source] < 0:
        raise ValueError(f"no path from {source} to {target}")
    path = [source]
    r, c = source
    n_rows, n_cols = walls.shape
    while (r, c) != target:
        for dr, dc in NEIGHBOURS:
            nr, nc = r + dr, c + dc
            if 0 <= nr < n_rows and 0 <= nc < n_cols and dist[nr, nc] == dist[r, c] - 1:
                r, c = nr, nc
                break
        path.append((r, c))
    return [(int(a), int(b)) for a, b in path]


def path_to_top_right(maze: Maze) -> list[Cell]:
    """The shortest path from the mouse to the maze's top-right cell."""
    return shortest_path(maze.walls, maze.mouse, maze.top_right)


def decision_square(maze: Maze) -> Cell | None:
    """The last cell shared by the shortest paths start -> cheese and start -> top-right cell.

    ``None`` when the cheese lies on the path to the top-right cell (no decision to make).
    """
    walls = maze.walls
    return decision_square_from_distances(
        bfs_distances(walls, maze.start), bfs_distances(walls, maze.cheese), bfs_distances(walls, maze.top_right), maze
    )


def decision_square_from_distances(
    from_start: np.ndarray, from_cheese: np.ndarray, from_corner: np.ndarray, maze: Maze
) -> Cell | None:
    """``decision_square`` from the BFS distance maps of the start, the cheese and the top-right cell.

    A cell lies on a shortest path a -> b when d(a, x) + d(x, b) = d(a, b) (unique in a perfect
    maze); the decision square is the farthest from the start of the cells on both paths.
    """
    to_cheese = from_start[maze.cheese]
    to_corner = from_start[maze.top_right]
    if to_cheese + from_corner[maze.cheese] == to_corner:
        return None
    shared = (from_start >= 0) & (from_start + from_cheese == to_cheese) & (from_start + from_corner == to_corner)
    cells = np.argwhere(shared)
    r, c = cells[np.argmax(from_start[shared])]
    return (int(r), int(c))


def step_distance(walls: np.ndarray, a: Cell, b: Cell) -> int:
    """Number of steps on a shortest path from ``a`` to ``b`` (``UNREACHABLE`` if none)."""
    return int(bfs_distances(walls, a)[as_cell(b)])


def euclidean_distance(a: Cell, b: Cell) -> float:
    """Straight-line distance between two cells, in cells."""
    return float(np.hypot(a[0] - b[0], a[1] - b[1]))


def region_box(maze: Maze, region: int) -> tuple[int, int, int, int]:
    """The top-right ``region`` x ``region`` square as (top, bottom, left, right), inclusive."""
    top, right = maze.top_right
    side = region_side(region, maze.size)
    return top, top + side - 1, right - side + 1, right


def counts_top_right(maze: Maze, region: int) -> bool:
    """Whether visiting the top-right ``region`` square can be the outcome ``top_right`` on this maze.

    Only where the mouse starts outside the square: in a maze no larger than the square (5x5 and
    smaller for the usual 5) the start lies inside it, so "visited the top-right" would say no more
    than "started", and a miss there is ``other``.
    """
    return not maze.in_region(maze.mouse, region)


def euclidean_to_region(maze: Maze, cell: Cell, region: int) -> float:
    """Euclidean distance from ``cell`` to the nearest point of the top-right square (0 inside)."""
    top, bottom, left, right = region_box(maze, region)
    dr = max(top - cell[0], 0, cell[0] - bottom)
    dc = max(left - cell[1], 0, cell[1] - right)
    return float(np.hypot(dr, dc))


def step_to_region(maze: Maze, cell: Cell, region: int) -> int:
    """Fewest steps from ``cell`` to any free cell of the top-right square."""
    dist = bfs_distances(maze.walls, cell)
    cells = maze.region_cells(region)
    reach = dist[cells[:, 0], cells[:, 1]]
    reach = reach[reach >= 0]
    return int(reach.min()) if len(reach) else UNREACHABLE
