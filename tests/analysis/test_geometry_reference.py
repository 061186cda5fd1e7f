"""Decision squares and distances from ``analysis.features`` against brute force on hand-made mazes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from cheesemaze.analysis.features import maze_features
from cheesemaze.envs.maze import Maze, generate_maze
from cheesemaze.envs.text import parse_maze

# Perfect 5x5 mazes (trees) in a 7x7 world; the top-right cell is (1, 5).
# The cheese lies beyond a fork at (3, 1): up to the top-right, or right along row 3.
FORK = """
#######
#.....#
#.#####
#.....#
#.###.#
#M#C..#
#######
"""
# The cheese lies on the way to the top-right: no decision square.
ON_PATH = """
#######
#.#...#
#.###.#
#.#...#
#.#.###
#MC...#
#######
"""
# The paths part at the start itself.
AT_START = """
#######
#.....#
#.#####
#.#...#
#.#.#.#
#M..#C#
#######
"""


def all_simple_paths(walls: np.ndarray, a: tuple, b: tuple) -> list[list[tuple]]:
    """Every loop-free path from ``a`` to ``b`` by exhaustive depth-first search."""
    found, stack = [], [(a, [a])]
    while stack:
        cell, path = stack.pop()
        if cell == b:
            found.append(path)
            continue
        for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            nxt = (cell[0] + dr, cell[1] + dc)
            if 0 <= nxt[0] < len(walls) and 0 <= nxt[1] < len(walls) and not walls[nxt] and nxt not in path:
                stack.append((nxt, path + [nxt]))
    return found


def brute_shortest(walls, a, b) -> list[tuple]:
    return min(all_simple_paths(walls, a, b), key=len)


def brute_features(maze: Maze) -> tuple[dict, tuple | None]:
    to_cheese = brute_shortest(maze.walls, maze.start, maze.cheese)
    to_corner = brute_shortest(maze.walls, maze.start, maze.top_right)
    dsq = None
    if maze.cheese not in to_corner:
        dsq = [a for a, b in zip(to_cheese, to_corner) if a == b][-1]
    steps = lambda a, b: len(brute_shortest(maze.walls, a, b)) - 1  # noqa: E731
    top, right = maze.top_right
    region = [(r, c) for r in range(top, top + 5) for c in range(right - 4, right + 1)
              if 0 <= r < maze.world_size and 0 <= c and not maze.walls[r, c]
              and r < maze.offset + maze.size and c >= maze.offset]
    # Euclidean distance to the nearest point of the 5x5 square: minimise over a fine grid of its points.
    side = min(5, maze.size)
    grid = [(top + i / 20, right - side + 1 + j / 20) for i in range(20 * (side - 1) + 1) for j in range(20 * (side - 1) + 1)]
    feats = {
        "d_step_cheese_tr": steps(maze.cheese, maze.top_right),
        "d_euclid_cheese_tr": math.dist(maze.cheese, maze.top_right),
        "d_step_cheese_tr5": min(steps(maze.cheese, cell) for cell in region),
        "d_euclid_cheese_tr5": min(math.dist(maze.cheese, p) for p in grid),
        "d_step_start_cheese": steps(maze.start, maze.cheese),
    }
    if dsq is not None:
        feats.update({
            "d_step_dsq_cheese": steps(dsq, maze.cheese),
            "d_euclid_dsq_cheese": math.dist(dsq, maze.cheese),
            "d_step_dsq_tr": steps(dsq, maze.top_right),
            "d_euclid_dsq_tr": math.dist(dsq, maze.top_right),
        })
    return feats, dsq


def check_against_reference(maze: Maze) -> tuple | None:
    feats, dsq = maze_features(maze)
    ref, ref_dsq = brute_features(maze)
    assert dsq == ref_dsq
    for name, value in ref.items():
        assert feats[name] == pytest.approx(value, abs=1e-9), name
    if dsq is None:
        assert np.isnan(feats["d_step_dsq_cheese"])
    return dsq


def test_fork_maze_has_the_fork_as_decision_square():
    maze = parse_maze(FORK)
    assert check_against_reference(maze) == (3, 1)


def test_cheese_on_the_top_right_path_has_no_decision_square():
    assert check_against_reference(parse_maze(ON_PATH)) is None


def test_decision_square_can_be_the_start():
    maze = parse_maze(AT_START)
    assert check_against_reference(maze) == maze.start


@pytest.mark.parametrize("level_seed", range(12))
def test_generated_small_mazes_match_brute_force(level_seed):
    maze = generate_maze(level_seed, world_size=9, region=None)
    check_against_reference(maze)
