"""The training-compatible solver against brute force, dynamic programming and hand-counted cases."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from cheesemaze.analysis.hypotheses.compatible import (
    CHEESE, OTHER, SHUTDOWN, TOP_RIGHT, CompatibleConfig, CompatibleGoal, end_values, optimal_values,
    outcome_probabilities, plans, solve,
)
from cheesemaze.analysis.hypotheses.finite_horizon import backward_induction, dynamic_programming_outcomes
from cheesemaze.analysis.hypotheses.graph import maze_graph
from cheesemaze.analysis.hypotheses.priors import parse_prior
from cheesemaze.envs.maze import generate_maze
from cheesemaze.envs.text import parse_maze

# A 5x5 maze: the cheese at (3, 4) off the route up the left side to the top-right cell (1, 5).
FORK = parse_maze("""
#######
#.....#
#.#####
#...C.#
#.#####
#M....#
#######
""")
# A 3x3 maze: up the left side and right along the top to the cheese; a branch along the bottom.
SMALL = parse_maze("""
#####
#..C#
#.###
#M..#
#####
""")


def brute_force(graph, rewards, terminals, horizon):
    """Best return and its outcome for each reward row, over every action sequence of the horizon."""
    sequences = np.array(list(itertools.product(range(5), repeat=horizon)))
    pos = np.full(len(sequences), graph.start)
    alive = np.ones(len(sequences), dtype=bool)
    visited = np.full(len(sequences), bool(graph.in_region[graph.start]))
    end = np.full(len(sequences), -1)
    returns = np.zeros((len(rewards), len(sequences)))
    for t in range(horizon):
        pos = np.where(alive, graph.moves[pos, sequences[:, t]], pos)
        returns += np.where(alive, rewards[:, pos], 0.0)
        visited |= alive & graph.in_region[pos]
        for cell, label in terminals.items():
            end[alive & (pos == cell)] = label
        alive &= ~np.isin(pos, list(terminals))
    end[end < 0] = np.where(visited[end < 0], TOP_RIGHT, OTHER)
    best = returns.argmax(axis=1)
    return returns.max(axis=1), end[best]


def closed_form_outcomes(p, rewards):
    """Each sample's optimal outcome from the closed form (continuous rewards: no ties)."""
    stays, routes, _ = end_values(p, rewards)
    totals = routes + rewards[:, list(p.terminals)]
    best_terminal = totals.argmax(axis=1)
    labels = np.array(p.labels)[best_terminal]
    stay_label = p.stay_label[stays.argmax(axis=1)]
    return np.where(totals.max(axis=1) > stays.max(axis=1), labels, stay_label)


@pytest.mark.parametrize("prior", ["uniform(0,1)", "normal(0,1)", "uniform(-1,0.2)"])
@pytest.mark.parametrize("with_shutdown", [False, True])
def test_closed_form_matches_brute_force_enumeration(prior, with_shutdown):
    graph = maze_graph(FORK, outcome_region=2)
    terminals = {graph.cheese: CHEESE}
    if with_shutdown:
        terminals[graph.index((3, 1))] = SHUTDOWN  # on the way to both the cheese and the top-right
    rewards = parse_prior(prior).sample(np.random.default_rng(1), (40, graph.n))
    horizon = 6
    p = plans(graph, terminals, horizon)
    value, outcome = brute_force(graph, rewards, terminals, horizon)
    np.testing.assert_allclose(optimal_values(p, rewards), value, atol=1e-9)
    np.testing.assert_array_equal(closed_form_outcomes(p, rewards), outcome)


@pytest.mark.parametrize("prior", ["uniform(0,1)", "normal(0,1)", "normal(-0.5,1)"])
@pytest.mark.parametrize("level_seed", [1_000_000_001, 1_000_000_007, 1_000_000_012])
def test_closed_form_matches_dynamic_programming_over_the_full_horizon(prior, level_seed):
    maze = generate_maze(level_seed, 9, None)
    graph = maze_graph(maze)
    rewards = parse_prior(prior).sample(np.random.default_rng(level_seed), (64, graph.n))
    terminals = {graph.cheese: CHEESE}
    value, _ = backward_induction(graph, rewards, terminals, 500)
    np.testing.assert_allclose(optimal_values(plans(graph, terminals, 500), rewards), value[:, graph.start],
                               rtol=1e-12, atol=1e-9)


def test_integrating_the_cheese_reward_matches_sweeping_it():
    # Given the other rewards, P(cheese) is 1 - F(threshold): sweep the cheese's reward over a fine
    # grid of the uniform prior, solve each exactly, and count.
    graph = maze_graph(generate_maze(1_000_000_004, 7, None))
    prior = parse_prior("uniform(0,1)")
    base = prior.sample(np.random.default_rng(4), (1, graph.n))
    horizon = 30  # short enough that ending on the cheese is sometimes worth it
    p = plans(graph, {graph.cheese: CHEESE}, horizon)
    sweep = np.repeat(base, 2000, axis=0)
    sweep[:, graph.cheese] = (np.arange(2000) + 0.5) / 2000
    counted = np.mean(closed_form_outcomes(p, sweep) == CHEESE)
    integrated = outcome_probabilities(p, base, 0, prior)[CHEESE]
    assert 0 < integrated < 1
    assert abs(counted - integrated) <= 1 / 2000


def test_integrated_probabilities_agree_with_counting_dynamic_programming():
    graph = maze_graph(generate_maze(1_000_000_005, 9, None))
    prior = parse_prior("normal(0,1)")
    rewards = prior.sample(np.random.default_rng(2), (3000, graph.n))
    terminals = {graph.cheese: CHEESE}
    integrated = outcome_probabilities(plans(graph, terminals, 40), rewards, 0, prior)
    counted = dynamic_programming_outcomes(graph, rewards, terminals, 40)
    np.testing.assert_allclose(integrated, counted, atol=0.03)
    assert integrated.sum() == pytest.approx(1.0)


def test_ties_are_broken_uniformly_over_end_states():
    # All-zero sparse rewards: every stay cell and the cheese tie when the cheese's reward is 0.
    graph = maze_graph(SMALL)
    p = plans(graph, {graph.cheese: CHEESE}, 500)
    probs = outcome_probabilities(p, np.zeros((1, graph.n)), 0, parse_prior("bernoulli(0.1)"))
    n = int(p.stay_ok.sum())
    assert n == 6  # every cell but the cheese
    assert probs[CHEESE] == pytest.approx(0.1 + 0.9 / (n + 1))


def test_the_finite_horizon_makes_a_last_step_onto_the_cheese_free():
    # Positive rewards: stay on the best cell, but step onto a better cheese on the very last step.
    graph = maze_graph(SMALL)
    rewards = np.zeros((1, graph.n))
    best = graph.index((1, 2))  # next to the cheese
    rewards[0, best], rewards[0, graph.cheese] = 0.5, 0.9
    p = plans(graph, {graph.cheese: CHEESE}, 20)
    stays, routes, _ = end_values(p, rewards)
    assert routes[0, 0] + 0.9 == pytest.approx(stays.max() - 0.5 + 0.9)


def test_stay_states_and_bound_count_cells_reachable_without_a_terminal():
    result = solve([FORK], CompatibleConfig(samples=8), shutdowns=[(3, 1)])
    # Beyond the shutdown cell (3, 1) lie the cheese branch and the whole route up: only the start and
    # the bottom corridor (4 cells) and (4, 1) remain.
    assert result.stay_states[0] == 6
    assert result.bound[0] == pytest.approx(6 / 7)
    np.testing.assert_allclose(result.probabilities.sum(axis=1), 1.0)
    assert result.probabilities[0, CHEESE] == 0  # the cheese lies behind the shutdown cell


def test_same_seed_same_predictions_and_independent_of_the_batch():
    mazes = [generate_maze(1_000_000_000 + i, 15, None) for i in range(6)]
    config = CompatibleConfig(samples=32, seed=3)
    a = CompatibleGoal(config).predict(mazes)
    np.testing.assert_array_equal(a, CompatibleGoal(config).predict(mazes))
    np.testing.assert_array_equal(a[2:3], CompatibleGoal(config).predict(mazes[2:3]))
    b = CompatibleGoal(CompatibleConfig(samples=32, seed=4)).predict(mazes)
    assert not np.array_equal(a, b)


def test_discounted_solver_runs_dynamic_programming():
    maze = generate_maze(1_000_000_002, 7, None)
    probs = solve([maze], CompatibleConfig(samples=16, discount=0.9, horizon=60)).probabilities
    assert probs.sum() == pytest.approx(1.0)
    assert np.all(probs * 16 == np.round(probs * 16))  # counted over 16 samples


@pytest.mark.parametrize("kwargs", [{"samples": 0}, {"prior": "gamma(1,1)"}, {"prior": "uniform(1,0)"},
                                    {"prior": "bernoulli(1.5)"}, {"discount": 0.0}, {"horizon": 0}])
def test_bad_config_is_rejected(kwargs):
    with pytest.raises(ValueError):
        CompatibleConfig(**kwargs)


def test_prior_tail_probabilities():
    uniform, normal, sparse = (parse_prior(s) for s in ("uniform(0,2)", "normal(1,2)", "bernoulli(0.25)"))
    np.testing.assert_allclose(uniform.below(np.array([-1, 0.5, 3])), [0, 0.25, 1])
    np.testing.assert_allclose(normal.below(np.array([1.0, -np.inf, np.inf])), [0.5, 0, 1])
    np.testing.assert_allclose(sparse.below(np.array([0, 0.5, 1, 1.5])), [0, 0.75, 0.75, 1])
    np.testing.assert_allclose(sparse.mass(np.array([0, 0.5, 1])), [0.75, 0, 0.25])
    assert parse_prior(" normal( 0 , 1 ) ").spec == "normal(0,1)"
