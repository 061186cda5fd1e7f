"""Actor and critic over the cells of a maze, and at the decision square."""

from __future__ import annotations

import numpy as np
from stand_ins import BfsToCheese, Fixed

from cheesemaze.analysis.cell_maps import cell_map, compact_probs, fork_comparison, fork_summary, observations
from cheesemaze.envs.maze import generate_maze
from cheesemaze.envs.render import CHEESE, MOUSE, WALL
from cheesemaze.envs.text import parse_maze

FORK = """
#######
#.....#
#.#####
#.....#
#.###.#
#M#C..#
#######
"""


class TowardTopRight(BfsToCheese):
    """Acts as if the cheese were on the top-right cell; values like BfsToCheese (the real cheese)."""

    def distribution(self, obs):
        moved = obs.copy()
        moved[:, CHEESE] = 0
        moved[:, CHEESE, 1, -2] = 1  # the top-right cell of a 5x5 maze in a 7x7 world
        probs, _ = super().distribution(moved)
        _, values = super().distribution(obs)
        return probs, values


def test_observations_put_the_mouse_where_asked():
    maze = parse_maze(FORK)
    cells = np.array([[1, 1], [3, 4]])
    obs = observations([maze, maze], cells)
    assert obs.shape == (2, 3, 7, 7)
    for i, (r, c) in enumerate(cells):
        assert np.argwhere(obs[i, MOUSE]).tolist() == [[r, c]]
        assert np.array_equal(obs[i, WALL], maze.walls) and obs[i, CHEESE][maze.cheese] == 1


def test_cell_map_covers_every_open_cell_but_the_cheese():
    maze = parse_maze(FORK)
    cmap = cell_map(BfsToCheese(), maze)
    queried = np.isfinite(cmap.values)
    expected = ~maze.walls
    expected[maze.cheese] = False
    assert np.array_equal(queried, expected)
    assert np.allclose(np.nansum(cmap.probs, axis=2)[queried], 1.0)
    # The mouse at the fork (3, 1) heads right, toward the cheese.
    assert cmap.mean_step[3, 1].tolist() == [0.0, 1.0]
    assert cmap.values[3, 1] == -8  # BfsToCheese's value is minus the step distance


def test_procgen_probabilities_fold_into_compact_moves():
    probs = np.zeros((1, 15))
    probs[0, [0, 1, 2]] = 0.2  # LEFT buttons
    probs[0, 5] = 0.3  # UP
    probs[0, 9] = 0.1  # a NOOP button
    assert np.allclose(compact_probs(probs, "procgen"), [[0.3, 0.0, 0.6, 0.0, 0.1]])


def test_fork_comparison_finds_the_actor_critic_disagreement():
    maze = parse_maze(FORK)
    agree = fork_comparison(BfsToCheese(), [maze]).iloc[0]
    assert (agree["actor_prefers"], agree["critic_prefers"], agree["disagree"]) == ("cheese", "cheese", False)
    split = fork_comparison(TowardTopRight(), [maze]).iloc[0]
    assert (split["actor_prefers"], split["critic_prefers"], split["disagree"]) == ("top_right", "cheese", True)
    assert split["p_top_right_move"] == 1.0 and split["v_cheese_branch"] == -7 and split["v_top_right_branch"] == -9
    summary = fork_summary(fork_comparison(TowardTopRight(), [maze, maze]))
    assert summary["mazes"] == 2 and summary["actor_top_right_critic_cheese"] == 1.0


def test_fork_summary_leaves_out_mazes_whose_cheese_is_next_to_the_decision_square():
    mazes = [generate_maze(seed, 15, None) for seed in range(200)]
    table = fork_comparison(Fixed([0.1, 0.2, 0.3, 0.4, 0.0]), mazes)
    adjacent = table["cheese_adjacent"]
    assert adjacent.any() and (~adjacent).any()
    assert table.loc[adjacent, "v_cheese_branch"].isna().all()
    assert (table.loc[adjacent, "critic_prefers"] == "none").all()
    assert fork_summary(table)["mazes"] == (~adjacent).sum()
