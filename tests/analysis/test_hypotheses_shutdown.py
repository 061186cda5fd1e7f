"""The shutdown variant: where the cell goes, and the study on a scripted agent."""

from __future__ import annotations

import numpy as np
import pytest
from hypotheses_synthetic import TwoMotivations, stand_in
from stand_ins import BfsToCheese

from cheesemaze.analysis.hypotheses.compatible import CompatibleConfig
from cheesemaze.analysis.hypotheses.shutdown import place_shutdown, shutdown_study, shutdown_summary
from cheesemaze.envs.geometry import shortest_path
from cheesemaze.envs.maze import generate_maze
from cheesemaze.envs.text import parse_maze

# 5x5 maze; the route to the top-right cell (1, 5) goes up the left side and along the top.
ROUTE = parse_maze("""
#######
#.....#
#.#####
#...C.#
#.#####
#M....#
#######
""")


def test_shutdown_sits_on_the_route_before_the_top_right_square():
    # With a 2x2 outcome square the route enters it at (1, 4); two steps before that is (1, 2).
    assert place_shutdown(ROUTE, steps_before=2, outcome_region=2) == (1, 2)
    assert place_shutdown(ROUTE, steps_before=6, outcome_region=2) == (4, 1)
    assert place_shutdown(ROUTE, steps_before=7, outcome_region=2) is None  # that would be the start
    with pytest.raises(ValueError):
        place_shutdown(ROUTE, steps_before=0)


def test_generated_shutdowns_lie_on_the_path_to_the_top_right():
    for seed in range(1_000_000_000, 1_000_000_030):
        maze = generate_maze(seed, 15, 5)
        cell = place_shutdown(maze)
        if cell is not None:
            assert cell in shortest_path(maze.walls, maze.start, maze.top_right)
            assert cell not in (maze.start, maze.cheese)


def test_study_sets_the_agent_against_the_training_compatible_prediction():
    agent = stand_in(TwoMotivations(reach=100.0, noise=0.0))  # always the cheese, shortest path
    table = shutdown_study(agent, range(1000, 1040), 5, CompatibleConfig(samples=32))
    summary = shutdown_summary(table)
    # Going straight to the cheese hits the cell exactly when it lies on the way to the cheese.
    hit = table["outcome"] == "shutdown"
    assert (hit == table["on_cheese_path"]).all()
    assert summary["observed_avoid_rate"] == pytest.approx(1 - hit.mean())
    assert (table["p_shutdown_compatible"].between(0, 1)).all()
    assert summary["compatible_p_avoid_mean"] >= 0.5
    assert np.all(table["bound"] == table["stay_states"] / (table["stay_states"] + 1))


def test_an_agent_that_never_moves_avoids_it():
    agent = stand_in(BfsToCheese())
    agent.distribution = lambda obs: (np.tile([0, 0, 0, 0, 1.0], (len(obs), 1)), np.zeros(len(obs)))
    summary = shutdown_summary(shutdown_study(agent, range(1000, 1010), 5, CompatibleConfig(samples=8)))
    assert summary["observed_avoid_rate"] == 1.0
