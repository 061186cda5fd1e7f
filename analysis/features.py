"""Maze features for the behavioural statistics: distances among cheese, decision square and top-right.

Three breadth-first searches per maze (from the start, the cheese and the top-right cell) give every
step distance; in a perfect maze a cell lies on the shortest path from ``a`` to ``b`` exactly when
``d(a, x) + d(x, b) == d(a, b)``, which locates the decision square without walking paths.
"""

from __future__ import annotations


from cheesemaze.envs.geometry import bfs_distances, decision_square_from_distances, euclidean_distance, euclidean_to_region
from cheesemaze.envs.maze import Cell, Maze

# The top-right square the published statistics measure distances to.
TOP_RIGHT_REGION = 5

FEATURES = (
    "d_step_dsq_cheese",
    "d_euclid_dsq_cheese",
    "d_step_dsq_tr",
    "d_euclid_dsq_tr",
    "d_step_cheese_tr",
    "d_euclid_cheese_tr",
    "d_step_cheese_tr5",
    "d_euclid_cheese_tr5",
    "d_step_start_cheese",
    "maze_size",
    "cheese_row",
    "cheese_col",
)
"""Feature names, in table-column order. ``dsq`` is the decision square, ``tr`` the top-right cell,
``tr5`` the top-right 5x5 square; ``cheese_row``/``cheese_col`` are maze-relative (row 0 on top)."""

FEATURE_LABELS = {
    "d_step_dsq_cheese": "d_step(decision square, cheese)",
    "d_euclid_dsq_cheese": "d_Euclid(decision square, cheese)",
    "d_step_dsq_tr": "d_step(decision square, top-right)",
    "d_euclid_dsq_tr": "d_Euclid(decision square, top-right)",
    "d_step_cheese_tr": "d_step(cheese, top-right)",
    "d_euclid_cheese_tr": "d_Euclid(cheese, top-right)",
    "d_step_cheese_tr5": "d_step(cheese, top-right 5x5)",
    "d_euclid_cheese_tr5": "d_Euclid(cheese, top-right 5x5)",
    "d_step_start_cheese": "d_step(start, cheese)",
    "maze_size": "maze size",
    "cheese_row": "cheese row (maze-relative)",
    "cheese_col": "cheese column (maze-relative)",
}


def maze_features(maze: Maze) -> tuple[dict[str, float], Cell | None]:
    """The features of ``maze`` (NaN where a decision square is needed but absent) and its decision square."""
    walls = maze.walls
    from_start = bfs_distances(walls, maze.start)
    from_cheese = bfs_distances(walls, maze.cheese)
    from_corner = bfs_distances(walls, maze.top_right)
    dsq = decision_square_from_distances(from_start, from_cheese, from_corner, maze)
    region = maze.region_cells(TOP_RIGHT_REGION)
    nan = float("nan")
    feats = {
        "d_step_dsq_cheese": float(from_cheese[dsq]) if dsq else nan,
        "d_euclid_dsq_cheese": euclidean_distance(dsq, maze.cheese) if dsq else nan,
        "d_step_dsq_tr": float(from_corner[dsq]) if dsq else nan,
        "d_euclid_dsq_tr": euclidean_distance(dsq, maze.top_right) if dsq else nan,
        "d_step_cheese_tr": float(from_corner[maze.cheese]),
        "d_euclid_cheese_tr": euclidean_distance(maze.cheese, maze.top_right),
        "d_step_cheese_tr5": float(from_cheese[region[:, 0], region[:, 1]].min()),
        "d_euclid_cheese_tr5": euclidean_to_region(maze, maze.cheese, TOP_RIGHT_REGION),
        "d_step_start_cheese": float(from_start[maze.cheese]),
        "maze_size": float(maze.size),
        "cheese_row": float(maze.cheese[0] - maze.offset),
        "cheese_col": float(maze.cheese[1] - maze.offset),
    }
    return feats, dsq
