"""The time-discounted utility model: soft values, the exact outcome chain, the fit."""

from __future__ import annotations

import numpy as np
import pytest
from hypotheses_synthetic import play

from cheesemaze.analysis.hypotheses.graph import batch_graphs, maze_graph, maze_graphs
from cheesemaze.analysis.hypotheses.utility import (
    DiscountedUtility, UtilityConfig, UtilityParams, boltzmann, cell_values, outcome_probabilities, soft_q,
    top_right_distances,
)
from cheesemaze.envs.actions import LEFT, RIGHT, UP
from cheesemaze.envs.maze import generate_maze
from cheesemaze.envs.text import parse_maze

# 3x3 maze: up the left side to (1, 1), then right to the cheese at (1, 3), the top-right cell.
SMALL = parse_maze("""
#####
#..C#
#.###
#M..#
#####
""")


def mazes(n: int, start: int = 1_000_000_000, world: int = 9):
    return [generate_maze(start + i, world, None) for i in range(n)]


def test_soft_policy_iteration_solves_the_soft_bellman_equation():
    batch = batch_graphs(maze_graphs(mazes(8)))
    params = UtilityParams(cheese_bonus=0.7, scale=3.0, gamma=0.95, beta=0.2)
    values = cell_values(batch, top_right_distances(batch, "euclid"), params, "exp")
    q, v = soft_q(batch, values, params.gamma, params.beta)
    top = q.max(axis=1)
    backup = top + params.beta * np.log(np.exp((q - top[:, None]) / params.beta).sum(axis=1))
    np.testing.assert_allclose(backup, v, atol=1e-8)
    # Plain soft value iteration from zero reaches the same values.
    w = np.zeros_like(v)
    for _ in range(800):
        qq = values[batch.moves] + params.gamma * w[batch.moves]
        w = params.beta * np.log(np.exp(qq / params.beta).sum(axis=1))
    np.testing.assert_allclose(w, v, atol=1e-6)


def test_outcome_chain_on_a_scripted_policy():
    batch = batch_graphs([maze_graph(SMALL, outcome_region=1)])
    g = batch.graphs[0]
    policy = np.zeros((g.n, 5))
    policy[:, UP] = 1.0
    policy[g.index((1, 1)), :] = 0
    policy[g.index((1, 1)), RIGHT] = 0.5
    policy[g.index((1, 1)), LEFT] = 0.5  # a wall: stays put
    # Steps 1-2 climb to (1, 1); from there half the mass moves right each step, but at (1, 2) the
    # policy pushes UP into a wall, so the cheese (which is also the top-right cell) is never reached.
    probs = outcome_probabilities(batch, policy, horizon=4)
    np.testing.assert_allclose(probs[0], [0.0, 0.0, 1.0])
    policy[g.index((1, 2)), :] = 0
    policy[g.index((1, 2)), RIGHT] = 1.0
    probs = outcome_probabilities(batch, policy, horizon=5)
    # Cheese by step 5: right at step 3 then cheese at 4 (1/2), or right at step 4, cheese at 5 (1/4).
    np.testing.assert_allclose(probs[0], [0.75, 0.0, 0.25])


def test_outcome_chain_matches_sampled_episodes():
    batch = batch_graphs(maze_graphs(mazes(30, world=11)))
    model = DiscountedUtility()
    policy, _ = model.policy(batch, UtilityParams(cheese_bonus=0.5, scale=3.0, gamma=0.9, beta=0.3))
    exact = outcome_probabilities(batch, policy, 500).mean(axis=0)
    counts = np.zeros(3)
    for seed in range(20):
        counts += play(batch, policy, seed)["outcome"].value_counts().reindex(["cheese", "top_right", "other"],
                                                                             fill_value=0).to_numpy()
    np.testing.assert_allclose(counts / counts.sum(), exact, atol=0.04)


def test_fit_moves_towards_the_generating_parameters():
    calibration = mazes(60, start=1_000_000_100, world=11)
    batch = batch_graphs(maze_graphs(calibration))
    truth = UtilityParams(cheese_bonus=0.4, scale=3.0, gamma=0.93, beta=0.05)
    rows = play(batch, DiscountedUtility().policy(batch, truth)[0], seed=0)
    model = DiscountedUtility(UtilityConfig(max_evaluations=30))
    model.fit(rows, calibration)
    unfitted = DiscountedUtility()
    y = rows["outcome"].map({"cheese": 0, "top_right": 1, "other": 2}).to_numpy()

    def mean_ll(m):
        p = m.predict(calibration)[np.arange(len(y)), y]
        return np.log(np.maximum(p, 1e-300)).mean()

    assert mean_ll(model) > mean_ll(unfitted)
    assert mean_ll(model) > -0.3
    assert model.fit_report["mazes"] == 60


def test_parameters_round_trip_gives_the_same_predictions():
    model = DiscountedUtility(UtilityConfig(decay="inverse", distance="step"))
    model.params = UtilityParams(cheese_bonus=2.0, scale=5.0, gamma=0.8, beta=0.3)
    again = DiscountedUtility.from_parameters(model.parameters())
    ms = mazes(5)
    np.testing.assert_array_equal(model.predict(ms), again.predict(ms))


def test_boltzmann_rows_sum_to_one():
    q = np.array([[0.0, 1.0, 2.0, 3.0, 1000.0]])
    p = boltzmann(q, 0.5)
    assert p.sum() == pytest.approx(1.0) and p[0, 4] == pytest.approx(1.0)


@pytest.mark.parametrize("kwargs", [{"decay": "linear"}, {"distance": "manhattan"}, {"fit_mazes": 0}])
def test_bad_config_is_rejected(kwargs):
    with pytest.raises(ValueError):
        UtilityConfig(**kwargs)


def test_bad_parameters_are_rejected():
    with pytest.raises(ValueError):
        UtilityParams(gamma=0.999)
    with pytest.raises(ValueError):
        UtilityParams(beta=0.0)
