"""Geometry against hand-worked answers and a brute-force reference (Floyd-Warshall over cells)."""

from __future__ import annotations

import math

import hand_mazes as hm
import numpy as np
import pytest

from cheesemaze.envs.geometry import (
    UNREACHABLE,
    bfs_distances,
    decision_square,
    euclidean_distance,
    euclidean_to_region,
    path_to_top_right,
    region_box,
    shortest_path,
    step_distance,
    step_to_region,
)
from cheesemaze.envs.maze import Maze, generate_maze
from cheesemaze.envs.text import parse_maze


def all_pairs_steps(walls: np.ndarray) -> np.ndarray:
    """(W, W, W, W) step distances by Floyd-Warshall over open cells; -1 where unreachable."""
    world = walls.shape[0]
    cells = np.argwhere(~walls)
    n = len(cells)
    dist = np.full((n, n), np.inf)
    np.fill_diagonal(dist, 0)
    gap = np.abs(cells[:, None, :] - cells[None, :, :]).sum(axis=2)
    dist[gap == 1] = 1
    for k in range(n):
        dist = np.minimum(dist, dist[:, k : k + 1] + dist[k : k + 1, :])
    full = np.full((world, world, world, world), -1)
    finite = np.where(np.isfinite(dist), dist, -1).astype(int)
    full[cells[:, 0][:, None], cells[:, 1][:, None], cells[:, 0][None, :], cells[:, 1][None, :]] = finite
    return full


def brute_decision_square(maze: Maze, d: np.ndarray):
    """The farthest-from-start cell on both shortest paths, by the distance identity; None if the
    cheese lies on the start -> top-right path."""
    s, c, t = maze.start, maze.cheese, maze.top_right
    if d[s][c] + d[c][t] == d[s][t]:
        return None
    best = None
    for cell in map(tuple, np.argwhere(~maze.walls)):
        on_both = d[s][cell] + d[cell][c] == d[s][c] and d[s][cell] + d[cell][t] == d[s][t]
        if on_both and (best is None or d[s][cell] > d[s][best]):
            best = cell
    return (int(best[0]), int(best[1]))


def brute_euclid_to_region(maze: Maze, cell, region: int) -> float:
    top, bottom, left, right = region_box(maze, region)
    return min(math.hypot(cell[0] - r, cell[1] - c) for r in range(top, bottom + 1) for c in range(left, right + 1))


def test_fork_hand_worked_answers():
    maze = parse_maze(hm.FORK)
    assert decision_square(maze) == hm.FORK_DECISION_SQUARE
    assert step_distance(maze.walls, maze.start, maze.cheese) == hm.FORK_STEPS_START_TO_CHEESE
    assert step_distance(maze.walls, maze.start, maze.top_right) == hm.FORK_STEPS_START_TO_TOP_RIGHT
    assert step_distance(maze.walls, maze.cheese, maze.top_right) == hm.FORK_STEPS_CHEESE_TO_TOP_RIGHT
    assert step_to_region(maze, maze.cheese, 2) == hm.FORK_STEPS_CHEESE_TO_TOP_RIGHT_2X2
    assert euclidean_distance(maze.cheese, maze.top_right) == pytest.approx(hm.FORK_EUCLID_CHEESE_TO_TOP_RIGHT)
    assert euclidean_to_region(maze, maze.cheese, 2) == pytest.approx(hm.FORK_EUCLID_CHEESE_TO_TOP_RIGHT_2X2)
    assert euclidean_to_region(maze, maze.top_right, 2) == 0.0
    path = path_to_top_right(maze)
    assert path[0] == maze.mouse and path[-1] == maze.top_right
    assert hm.FORK_DECISION_SQUARE in path and maze.cheese not in path


def test_no_decision_square_when_the_cheese_is_on_the_way():
    maze = parse_maze(hm.ON_THE_WAY)
    assert maze.cheese in path_to_top_right(maze)
    assert decision_square(maze) is None


def test_shortest_path_through_a_loop_is_a_shortest_walk():
    maze = parse_maze(hm.LOOP)
    path = shortest_path(maze.walls, maze.mouse, maze.cheese)
    assert len(path) - 1 == hm.LOOP_STEPS_START_TO_CHEESE
    steps = np.abs(np.diff(np.array(path), axis=0)).sum(axis=1)
    assert (steps == 1).all() and not any(maze.walls[cell] for cell in path)


def test_unreachable_cells_and_walls():
    maze = parse_maze(hm.WALLED_OFF)
    assert step_distance(maze.walls, maze.mouse, maze.cheese) == UNREACHABLE
    with pytest.raises(ValueError, match="no path from"):
        shortest_path(maze.walls, maze.mouse, maze.cheese)
    with pytest.raises(ValueError, match="is a wall"):
        bfs_distances(maze.walls, (0, 0))


def test_cells_may_be_numpy_pairs():
    maze = parse_maze(hm.FORK)
    a, b = np.array(maze.start), np.array(maze.cheese)
    assert step_distance(maze.walls, a, b) == hm.FORK_STEPS_START_TO_CHEESE
    assert shortest_path(maze.walls, a, b) == shortest_path(maze.walls, maze.start, maze.cheese)


@pytest.mark.parametrize("text", [hm.FORK, hm.ON_THE_WAY, hm.TINY])
def test_perfect_hand_mazes_against_brute_force(text):
    check_against_brute_force(parse_maze(text))


@pytest.mark.parametrize("text", [hm.LOOP, hm.DETOUR])
def test_hand_mazes_with_loops_against_brute_force(text):
    # With loops shortest paths tie, so the decision square is not defined; distances still are.
    check_against_brute_force(parse_maze(text), perfect=False)


def test_generated_mazes_against_brute_force():
    # Small mazes keep Floyd-Warshall cheap; 15 seeds give every region size and many layouts.
    mazes = [m for m in (generate_maze(s, 15, None) for s in range(200)) if m.size <= 9][:15]
    assert len({m.size for m in mazes}) == 4
    for maze in mazes:
        check_against_brute_force(maze)


def check_against_brute_force(maze: Maze, perfect: bool = True) -> None:
    d = all_pairs_steps(maze.walls)
    for source in [maze.start, maze.cheese, maze.top_right]:
        assert np.array_equal(bfs_distances(maze.walls, source), d[source])
        path = shortest_path(maze.walls, source, maze.cheese)
        assert len(path) - 1 == d[source][maze.cheese]
    if perfect:
        assert decision_square(maze) == brute_decision_square(maze, d)
    for region in (0, 1, 2, 5):
        cells = maze.region_cells(region)
        brute_steps = min(d[maze.cheese][tuple(c)] for c in cells)
        assert step_to_region(maze, maze.cheese, region) == brute_steps
        assert euclidean_to_region(maze, maze.cheese, region) == pytest.approx(
            brute_euclid_to_region(maze, maze.cheese, region)
        )
        assert all(maze.in_region(tuple(c), region) for c in cells)
