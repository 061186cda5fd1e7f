"""The shutdown variant: where the cell goes, and the study on a scripted agent."""

from __future__ import annotations

import hand_mazes as hm
import numpy as np
import pytest
from hypotheses_synthetic import TwoMotivations, stand_in
from stand_ins import BfsToCheese

from cheesemaze.analysis.hypotheses.compatible import CompatibleConfig
from cheesemaze.analysis.hypotheses.shutdown import place_shutdown, shutdown_study, shutdown_summary
from cheesemaze.envs.geometry import shortest_path
from cheesemaze.envs.maze import generate_maze
from cheesemaze.envs.text import parse_maze

# 5x5 maze with its decision square at (3, 1): the cheese branch turns right there, the top-right
# branch goes on up the left side and along the top to (1, 5).
ROUTE = parse_maze(hm.FORK)


def test_shutdown_sits_past_the_decision_square_on_the_branch_to_the_top_right():
    assert place_shutdown(ROUTE, steps_after=1) == (2, 1)
    assert place_shutdown(ROUTE, steps_after=2) == (1, 1)
    assert place_shutdown(ROUTE, steps_after=6) == (1, 5)  # the top-right cell itself
    assert place_shutdown(ROUTE, steps_after=7) is None  # past the end of the branch
    assert place_shutdown(parse_maze(hm.ON_THE_WAY)) is None  # no decision square, no cell
    with pytest.raises(ValueError):
        place_shutdown(ROUTE, steps_after=0)


def test_generated_shutdowns_lie_on_the_way_to_the_top_right_and_off_the_way_to_the_cheese():
    placed = 0
    for seed in range(1_000_000_000, 1_000_000_030):
        maze = generate_maze(seed, 15, None)
        cell = place_shutdown(maze)
        if cell is not None:
            placed += 1
            assert cell in shortest_path(maze.walls, maze.start, maze.top_right)
            assert cell not in shortest_path(maze.walls, maze.start, maze.cheese)
    assert placed >= 10


def test_study_sets_the_agent_against_the_training_compatible_prediction():
    cheese_first = stand_in(TwoMotivations(reach=100.0, noise=0.0))  # always the cheese, shortest path
    table = shutdown_study(cheese_first, range(1000, 1040), CompatibleConfig(samples=32))
    summary = shutdown_summary(table)
    # Going straight to the cheese never crosses the cell: it lies off the way to the cheese.
    assert not table["on_cheese_path"].any() and (table["outcome"] == "cheese").all()
    assert summary["observed_avoid_rate"] == 1.0
    corner_first = stand_in(TwoMotivations(reach=0.0, noise=0.0))  # always the top-right cell
    assert (shutdown_study(corner_first, range(1000, 1040), CompatibleConfig(samples=8))["outcome"] == "shutdown").all()
    assert (table["p_shutdown_compatible"].between(0, 1)).all()
    assert summary["compatible_p_avoid_mean"] >= 0.5
    assert np.all(table["bound"] == table["stay_states"] / (table["stay_states"] + 1))


def test_an_agent_that_never_moves_avoids_it():
    agent = stand_in(BfsToCheese())
    agent.distribution = lambda obs: (np.tile([0, 0, 0, 0, 1.0], (len(obs), 1)), np.zeros(len(obs)))
    summary = shutdown_summary(shutdown_study(agent, range(1000, 1010), CompatibleConfig(samples=8)))
    assert summary["observed_avoid_rate"] == 1.0
