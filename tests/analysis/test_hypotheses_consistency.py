"""Dynamic consistency: the nested models, the grid interpolation, and a location-dependent agent."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import log_softmax
from hypotheses_synthetic import play

from cheesemaze.analysis.hypotheses.consistency import (
    CHEESE_GRID, Geometry, dynamic_consistency, episode_steps, frequency_log_likelihoods, step_log_likelihoods,
)
from cheesemaze.analysis.hypotheses.graph import batch_graphs, maze_graphs
from cheesemaze.analysis.hypotheses.predictions import predicted_mazes
from cheesemaze.analysis.hypotheses.utility import DiscountedUtility, UtilityParams

PARAMS = UtilityParams(cheese_bonus=0.5, scale=3.0, gamma=0.9, beta=0.1)


def utility_model():
    model = DiscountedUtility()
    model.params = PARAMS
    return model


def table(seeds, policy_params=PARAMS):
    mazes = predicted_mazes(seeds, 11, True)
    batch = batch_graphs(maze_graphs(mazes))
    return play(batch, utility_model().policy(batch, policy_params)[0], seed=seeds.start), mazes


def test_grid_points_reproduce_the_utility_policy_exactly():
    rows, mazes = table(range(1_000_000_000, 1_000_000_020))
    geometry = Geometry(scale=3.0, gamma=0.9)
    steps = episode_steps(rows, mazes, geometry)
    k = 6
    model = utility_model()
    model.params = geometry.params(float(CHEESE_GRID[k]))  # planning temperature 1 cell: beta 1/3
    policy, _ = model.policy(batch_graphs(maze_graphs(mazes)))
    no_bias = np.zeros(4)
    ll = step_log_likelihoods(np.array([np.log(CHEESE_GRID[k]), np.log(model.params.beta), *no_bias]), steps)
    # the same steps looked up directly in the policy
    from cheesemaze.analysis.evaluation import parse_path
    from cheesemaze.envs.actions import LETTERS

    batch = batch_graphs(maze_graphs(mazes))
    direct = []
    for i, (path, letters, n) in enumerate(zip(rows["path"], rows["actions"], rows["steps"])):
        cells = batch.graphs[i].indices(parse_path(path)[:n]) + batch.offsets[i]
        direct += list(np.log(policy[cells, [LETTERS[c] for c in letters[:n]]]))
    np.testing.assert_allclose(ll, direct, atol=1e-4)  # the grid is stored in float32
    # with zero location slopes the location model is the fixed one
    np.testing.assert_allclose(
        step_log_likelihoods(np.array([np.log(CHEESE_GRID[k]), 0.0, 0.0, np.log(model.params.beta), *no_bias]), steps),
        ll)
    # an action bias shifts the logits: with an enormous temperature the model is its biases alone
    bias = np.array([0.5, -0.5, 1.0, 0.0])
    biased = step_log_likelihoods(np.array([np.log(CHEESE_GRID[k]), np.log(1e9), *bias]), steps)
    np.testing.assert_allclose(biased, log_softmax(np.append(bias, 0.0))[steps.action], atol=1e-6)
    timed_out = ((rows["outcome"] != "cheese") & (rows["steps"] >= 500)).to_numpy()
    np.testing.assert_array_equal(steps.timed_out, np.repeat(timed_out, rows["steps"].to_numpy()))


def test_the_action_frequency_baseline_is_smoothed_counts():
    train = np.array([0, 0, 0, 1, 3])
    expected = np.log(np.array([3.5, 1.5, 0.5, 1.5, 0.5]) / 7.5)
    np.testing.assert_allclose(frequency_log_likelihoods(train, np.arange(5)), expected)


@pytest.mark.slow
def test_a_location_dependent_agent_is_told_apart():
    # Agent: cheese weight high near the cheese (a strong bonus) simulated as a mixture: its policy
    # uses a large bonus where the cheese is within 4 steps, a small one elsewhere.
    seeds_cal, seeds_test = range(1_000_000_000, 1_000_000_200), range(1_000_000_200, 1_000_000_400)
    results = []
    for seeds in (seeds_cal, seeds_test):
        mazes = predicted_mazes(seeds, 11, True)
        batch = batch_graphs(maze_graphs(mazes))
        far, _ = utility_model().policy(batch, UtilityParams(cheese_bonus=0.05, scale=3.0, gamma=0.9, beta=0.1))
        near, _ = utility_model().policy(batch, UtilityParams(cheese_bonus=5.0, scale=3.0, gamma=0.9, beta=0.1))
        close = batch.flat([g.distances_from(g.maze.cheese) for g in batch.graphs]) <= 4
        results.append((play(batch, np.where(close[:, None], near, far), seed=seeds.start), mazes))
    c = dynamic_consistency(results[0], results[1], resamples=200)
    test = c.summary["test"]["all"]
    assert test["location_minus_fixed"]["per_step"] > 0
    assert test["location_minus_fixed"]["ci"][0] > 0
    assert c.summary["location"]["per_10_steps_to_cheese"] < 0
    # fitted to actions, both models beat the baselines that know nothing of mazes
    assert test["fixed_minus_frequency"]["ci"][0] > 0 and test["frequency_minus_uniform"]["per_step"] >= 0
    assert set(c.summary["fixed"]["action_bias"]) == {"UP", "DOWN", "LEFT", "RIGHT", "NOOP"}
    assert c.summary["test"]["all"]["steps"] == sum(c.summary["test"][s]["steps"] for s in ("reached cheese", "timed out"))
