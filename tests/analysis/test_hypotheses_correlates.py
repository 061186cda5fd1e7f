"""Correlates of reinforcement: sign constraints, closed-form P(other), recovery of a known rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cheesemaze.analysis.hypotheses.correlates import CorrelatesOfReinforcement, feature_matrix
from cheesemaze.analysis.hypotheses.intended import IntendedGoal
from cheesemaze.envs.geometry import decision_square
from cheesemaze.envs.maze import generate_maze


@pytest.fixture(scope="module")
def mazes():
    return [generate_maze(1_000_000_000 + i, 15, None) for i in range(400)]


def outcomes_from(pull: np.ndarray, other: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    u = rng.random(len(pull))
    outcome = np.where(u < other, "other", np.where(rng.random(len(pull)) < pull, "cheese", "top_right"))
    return pd.DataFrame({"outcome": outcome})


def test_recovers_a_rule_of_its_own_form(mazes):
    x = feature_matrix(mazes)
    pull = 1 / (1 + np.exp(-(3.0 - 0.3 * x[:, 0] - 0.2 * x[:, 1])))
    model = CorrelatesOfReinforcement()
    model.fit(outcomes_from(pull, 0.1, 0), mazes)
    coefs = model.parameters()["coefficients"]
    assert coefs["d_euclid_cheese_tr"] == pytest.approx(-0.3, abs=0.15)
    assert coefs["d_step_dsq_cheese"] == pytest.approx(-0.2, abs=0.12)
    assert model.parameters()["p_other"] == pytest.approx(0.1, abs=0.04)
    probs = model.predict(mazes)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    np.testing.assert_allclose(probs[:, 2], model.eps)


def test_signs_stay_fixed_when_the_data_point_the_other_way(mazes):
    x = feature_matrix(mazes)
    pull = 1 / (1 + np.exp(-(-3.0 + 0.4 * x[:, 0] + 0.3 * x[:, 1])))  # farther cheese, more cheese
    model = CorrelatesOfReinforcement()
    model.fit(outcomes_from(pull, 0.0, 1), mazes)
    assert all(c <= 0 for c in model.parameters()["coefficients"].values())
    assert model.parameters()["p_other"] == 0.0


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
