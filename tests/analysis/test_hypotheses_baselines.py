"""The baselines against hand-computed cases, and the rule that no model gives an impossible outcome probability."""

from __future__ import annotations

import hand_mazes as hm
import numpy as np
import pandas as pd
import pytest

from cheesemaze.analysis.hypotheses.baselines import BaseRate, IntendedNoise, RandomWalk, random_action_probabilities
from cheesemaze.analysis.hypotheses.graph import batch_graphs, maze_graph, possible_outcomes
from cheesemaze.analysis.hypotheses.predictions import check_possible
from cheesemaze.analysis.hypotheses.utility import outcome_probabilities
from cheesemaze.envs.game import MAX_STEPS
from cheesemaze.envs.maze import generate_maze
from cheesemaze.envs.text import parse_maze

FORK3, FORK, DETOUR, BLOCKED = (parse_maze(t) for t in (hm.FORK3, hm.FORK, hm.DETOUR, hm.BLOCKED))


def test_possible_outcomes_follow_the_maze():
    # 3x3 and 5x5: the start lies in the top-right 5x5 square, which therefore does not count
    assert possible_outcomes([FORK3, FORK, DETOUR, BLOCKED]).tolist() == [
        [True, False, True], [True, False, True], [True, True, True],
        [True, False, True],  # 7x7, but only the cheese leads out of the start
    ]


def test_random_walk_matches_the_hand_computed_fork():
    short = RandomWalk(horizon=3).predict([FORK3])[0]
    np.testing.assert_allclose(short, [hm.FORK3_P_CHEESE_BY_3, 0.0, 1 - hm.FORK3_P_CHEESE_BY_3], rtol=1e-12)
    # with a 1x1 outcome square the start is outside it, and the top-right cell is 4 steps away
    batch = batch_graphs([maze_graph(FORK3, outcome_region=1)])
    uniform = np.full((batch.n_cells, 5), 0.2)
    assert outcome_probabilities(batch, uniform, 3)[0, 1] == 0.0
    assert outcome_probabilities(batch, uniform, 4)[0, 1] == pytest.approx(hm.FORK3_P_TOP_RIGHT_BY_4, rel=1e-12)


def reference_walk(maze, actions: np.ndarray, horizon: int) -> np.ndarray:
    """An independent dynamic programme for a random walk: a dense transition matrix over (cell, visited
    the square) built cell by cell, plus one state for "reached the cheese", stepped ``horizon`` times."""
    graph = maze_graph(maze)
    n = graph.n
    done = 2 * n
    step = np.zeros((2 * n + 1, 2 * n + 1))
    step[done, done] = 1.0
    for cell in range(n):
        for seen in (0, 1):
            for a, q in enumerate(actions):
                nxt = int(graph.moves[cell, a])
                flag = seen or int(graph.in_region[nxt])
                step[cell + n * seen, done if nxt == graph.cheese else nxt + n * flag] += q
    p = np.zeros(2 * n + 1)
    p[graph.start + n * int(graph.in_region[graph.start])] = 1.0
    for _ in range(horizon):
        p = p @ step
    return np.array([p[done], p[n:done].sum(), p[:n].sum()])


@pytest.mark.parametrize("action_mode", ["compact", "procgen"])
def test_random_walk_over_the_whole_game_matches_an_independent_reference(action_mode):
    mazes = [generate_maze(1_000_000_000 + i, 9, None) for i in range(3)] + [DETOUR]
    model = RandomWalk(action_mode)
    got = model.predict(mazes)
    for maze, row in zip(mazes, got):
        np.testing.assert_allclose(row, reference_walk(maze, model.actions, MAX_STEPS), atol=1e-9)


def test_random_policies_are_the_agents_buttons_pressed_uniformly():
    np.testing.assert_allclose(random_action_probabilities("compact"), [0.2] * 5)
    # procgen: LEFT 0-2, DOWN 3, UP 5, RIGHT 6-8, the other seven do nothing
    np.testing.assert_allclose(random_action_probabilities("procgen"), np.array([1, 1, 3, 3, 7]) / 15)
    with pytest.raises(ValueError, match="compact"):
        random_action_probabilities("gamepad")


def test_base_rate_counts_per_maze_size_with_half_a_pseudo_count():
    model = BaseRate()
    calibration = [DETOUR, DETOUR, DETOUR, DETOUR, FORK]
    model.fit(pd.DataFrame({"outcome": ["cheese", "cheese", "top_right", "other", "cheese"]}), calibration)
    probs = model.predict([DETOUR, BLOCKED, FORK, FORK3])
    np.testing.assert_allclose(probs[0], np.array([2.5, 1.5, 1.5]) / 5.5)  # size 7, top-right allowed
    np.testing.assert_allclose(probs[1], np.array([2.5, 0.0, 1.5]) / 4.0)  # size 7, top-right impossible
    np.testing.assert_allclose(probs[2], np.array([1.5, 0.0, 0.5]) / 2.0)  # size 5: its own count
    np.testing.assert_allclose(probs[3], np.array([3.5, 0.0, 1.5]) / 5.0)  # size 3 unseen: every size pooled
    assert model.parameters()["counts_by_size"]["7"] == {"cheese": 2, "top_right": 1, "other": 1}


def test_intended_noise_uses_the_training_distribution_failure_rate():
    model = IntendedNoise(["cheese"] * 7 + ["top_right"] * 2 + ["other"])
    assert model.failure_rate == pytest.approx(3.5 / 11)
    model.fit(pd.DataFrame({"outcome": ["other"] * 3}), [DETOUR] * 3)  # the anywhere calibration changes nothing
    probs = model.predict([DETOUR, FORK])
    f = 3.5 / 11
    np.testing.assert_allclose(probs[0], [1 - f, f * 2.5 / 4, f * 1.5 / 4])
    np.testing.assert_allclose(probs[1], [1 - f, 0.0, f])  # no top-right on a 5x5 maze: every miss is other
    with pytest.raises(ValueError, match="training-distribution"):
        IntendedNoise([])


def test_a_prediction_for_an_impossible_outcome_is_refused():
    possible = possible_outcomes([FORK, DETOUR])
    check_possible("fine", np.array([[0.5, 0.0, 0.5], [0.2, 0.3, 0.5]]), possible, [FORK, DETOUR])
    with pytest.raises(ValueError, match="top_right probability 0.1 on Maze"):
        check_possible("sloppy", np.array([[0.5, 0.1, 0.4], [0.2, 0.3, 0.5]]), possible, [FORK, DETOUR])
