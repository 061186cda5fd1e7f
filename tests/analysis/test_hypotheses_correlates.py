"""Correlates of reinforcement: sign constraints, a size-dependent P(other), recovery of a known rule,
no probability for an outcome the maze makes impossible."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cheesemaze.analysis.hypotheses.correlates import CorrelatesOfReinforcement, feature_matrix
from cheesemaze.analysis.hypotheses.graph import possible_outcomes
from cheesemaze.analysis.hypotheses.intended import IntendedGoal
from cheesemaze.envs.geometry import decision_square
from cheesemaze.envs.maze import generate_maze


@pytest.fixture(scope="module")
def mazes():
    return [generate_maze(1_000_000_000 + i, 15, None) for i in range(400)]


def outcomes_from(pull: np.ndarray, other: np.ndarray | float, seed: int, mazes) -> pd.DataFrame:
    """Outcomes of the model's own form: ``other`` at its rate, else cheese by the pull, else top-right
    where the maze allows it and ``other`` where it does not."""
    rng = np.random.default_rng(seed)
    u = rng.random(len(pull))
    top_right = np.where(possible_outcomes(mazes)[:, 1], "top_right", "other")
    outcome = np.where(u < other, "other", np.where(rng.random(len(pull)) < pull, "cheese", top_right))
    return pd.DataFrame({"outcome": outcome})


def test_recovers_a_rule_of_its_own_form(mazes):
    x = feature_matrix(mazes)
    pull = 1 / (1 + np.exp(-(3.0 - 0.3 * x[:, 0] - 0.2 * x[:, 1])))
    sizes = np.array([m.size for m in mazes])
    other = 1 / (1 + np.exp(-(-2.0 + 1.0 * (sizes - 9) / 6)))
    model = CorrelatesOfReinforcement()
    model.fit(outcomes_from(pull, other, 0, mazes), mazes)
    params = model.parameters()
    assert params["coefficients"]["d_euclid_cheese_tr"] == pytest.approx(-0.3, abs=0.15)
    assert params["coefficients"]["d_step_dsq_cheese"] == pytest.approx(-0.2, abs=0.12)
    assert params["p_other_logit"]["intercept"] == pytest.approx(-2.0, abs=0.5)
    assert params["p_other_logit"]["per_size"] == pytest.approx(1.0, abs=0.6)
    assert params["fit"]["converged"]
    probs = model.predict(mazes)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    allowed = possible_outcomes(mazes)[:, 1]
    assert (probs[~allowed, 1] == 0).all() and (probs[allowed, 1] > 0).all()
    # where top-right cannot happen, the top-right pull ends as other
    np.testing.assert_allclose(probs[~allowed, 2], 1 - probs[~allowed, 0])
    np.testing.assert_allclose(probs[allowed, 2], [model.p_other(m.size) for m, ok in zip(mazes, allowed) if ok])


def test_signs_stay_fixed_when_the_data_point_the_other_way(mazes):
    x = feature_matrix(mazes)
    pull = 1 / (1 + np.exp(-(-3.0 + 0.4 * x[:, 0] + 0.3 * x[:, 1])))  # farther cheese, more cheese
    model = CorrelatesOfReinforcement()
    model.fit(outcomes_from(pull, 0.0, 1, mazes), mazes)
    assert all(c <= 0 for c in model.parameters()["coefficients"].values())
    # no other in mazes that allow top-right (size 7 and up); size 3 misses are all "other", so its rate is free
    assert model.parameters()["p_other_by_size"]["15"] < 0.01


def test_no_decision_square_means_no_detour(mazes):
    without = [m for m in mazes if decision_square(m) is None]
    assert without
    x = feature_matrix(without)
    assert np.isfinite(x).all() and (x[:, 1] == 0).all()


def test_predict_before_fit_is_an_error(mazes):
    with pytest.raises(ValueError, match="fitted"):
        CorrelatesOfReinforcement().predict(mazes[:3])


def test_intended_goal_puts_everything_on_the_cheese(mazes):
    probs = IntendedGoal().predict(mazes[:4])
    np.testing.assert_array_equal(probs, [[1.0, 0.0, 0.0]] * 4)
