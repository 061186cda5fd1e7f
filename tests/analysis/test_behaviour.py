"""Behavioural statistics recover a planted dependence of the cheese rate on one feature."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cheesemaze.analysis.behaviour import (
    PUBLISHED, behaviour_statistics, decision_rows, multiple_regression, published_comparison,
    single_feature_accuracies, variance_inflation,
)
from cheesemaze.analysis.evaluation import maze_columns
from cheesemaze.analysis.tables import markdown_table
from cheesemaze.envs.maze import generate_maze


@pytest.fixture(scope="module")
def planted() -> pd.DataFrame:
    """Cheese-anywhere mazes whose outcome is drawn from a logistic in d_step(decision square, cheese)."""
    mazes = [generate_maze(seed, 15, None) for seed in range(5000, 6500)]
    df = pd.DataFrame([maze_columns(m) for m in mazes]).assign(distribution="anywhere", policy="sampled")
    z = (df["d_step_dsq_cheese"] - df["d_step_dsq_cheese"].mean()) / df["d_step_dsq_cheese"].std()
    p = 1 / (1 + np.exp(-(0.8 - 2.5 * z)))
    draws = np.random.default_rng(0).random(len(df))
    return df.assign(outcome=np.where(draws < p, "cheese", "top_right"))


def test_decision_rows_keep_only_mazes_with_a_decision_square(planted):
    rows = decision_rows(planted)
    assert rows["has_dsq"].all() and len(rows) == planted["has_dsq"].sum()
    with pytest.raises(ValueError, match="no train/greedy episodes"):
        decision_rows(planted, "train", "greedy")


def test_single_feature_regression_ranks_the_planted_feature_first(planted):
    table = single_feature_accuracies(decision_rows(planted), n_splits=10)
    best = table.iloc[0]
    assert best["feature"] == "d_step_dsq_cheese"
    assert best["coef"] < 0
    assert best["accuracy"] > best["baseline"] + 0.1
    assert (table["accuracy"] <= best["accuracy"]).all()


def test_l1_regression_finds_the_planted_coefficient(planted):
    result = multiple_regression(decision_rows(planted), n_splits=5, n_boot=30)
    top = result.coefficients.iloc[0]
    assert top["feature"] == "d_step_dsq_cheese"
    assert top["low"] <= top["coef"] <= top["high"] < 0
    assert result.accuracy > result.baseline + 0.1


def test_vif_of_a_feature_made_from_two_others_is_infinite_and_independent_ones_near_one():
    rng = np.random.default_rng(1)
    a, b, c = rng.normal(size=(3, 500))
    df = pd.DataFrame({"a": a, "b": b, "s": a + b, "c": c})
    vif = variance_inflation(df, ("a", "b", "s"))
    assert np.isinf(vif).all()
    vif = variance_inflation(df, ("a", "b", "c"))
    assert (vif < 1.1).all()


def test_comparison_table_sets_ours_beside_the_published_numbers(planted):
    stats = behaviour_statistics(planted, n_splits=4, n_boot=10)
    table = published_comparison(stats).set_index("quantity")
    assert table.loc["P(cheese | decision square)", "published"] == PUBLISHED["cheese_rate"]
    assert table.loc["P(cheese | decision square)", "ours"] == pytest.approx(stats.cheese_rate)
    assert table.loc["with a decision square", "ours"] == stats.with_dsq
    label = "single-feature accuracy: d_Euclid(cheese, top-right 5x5)"
    assert table.loc[label, "published"] == 0.775
    assert table.loc["standardized coefficient: d_Euclid(cheese, top-right)", "published"] == -2.786
    planted_coef = table.loc["standardized coefficient: d_step(decision square, cheese)"]
    assert planted_coef["ours"] < 0 and np.isnan(planted_coef["published"])  # the paper gives no value
    assert planted_coef["ours_interval"].endswith("rank 1")  # the planted feature is the strongest
    euclid = table.loc["standardized coefficient: d_Euclid(cheese, top-right)"]
    assert euclid["ours_interval"].endswith("dropped by L1") == (euclid["ours"] == 0)
    text = markdown_table(published_comparison(stats))
    assert text.count("\n") == len(table) + 2
    assert "| trajectories | 1500 |" in text


def test_too_few_episodes_is_a_clear_error(planted):
    few = planted.head(30).assign(outcome="cheese")
    with pytest.raises(ValueError, match="with the cheese and 10 without"):
        behaviour_statistics(few)


def test_vectorized_one_feature_fits_match_scikit_learn():
    from sklearn.linear_model import LogisticRegression

    from cheesemaze.analysis.behaviour import logistic_1d

    rng = np.random.default_rng(3)
    z = rng.normal(size=(4, 400))
    y = (rng.random(400) < 1 / (1 + np.exp(-(0.3 - 1.2 * z[0])))).astype(float)
    mask = (rng.random((4, 400)) < 0.8).astype(float)
    a, b = logistic_1d(z, y, mask)
    for k in range(4):
        keep = mask[k] > 0
        ref = LogisticRegression(C=np.inf, solver="newton-cg", tol=1e-10).fit(z[k, keep, None], y[keep])
        assert a[k] == pytest.approx(ref.intercept_[0], abs=1e-6)
        assert b[k] == pytest.approx(ref.coef_[0, 0], abs=1e-6)


@pytest.mark.parametrize("misses", [2, 9])
def test_too_few_of_an_outcome_is_refused_with_a_clear_message(planted, misses):
    rows = decision_rows(planted)
    thin = pd.concat([rows[rows["outcome"] == "cheese"].head(40), rows[rows["outcome"] != "cheese"].head(misses)])
    with pytest.raises(ValueError, match="at least 10 decision-square episodes with the cheese and 10 without"):
        behaviour_statistics(thin)


def test_the_fewest_accepted_of_an_outcome_still_fit(planted):
    rows = decision_rows(planted)
    thin = pd.concat([rows[rows["outcome"] == "cheese"].head(40), rows[rows["outcome"] != "cheese"].head(10)])
    stats = behaviour_statistics(thin, n_splits=6, n_boot=5)
    assert 0 <= stats.multiple.accuracy <= 1 and stats.with_dsq == 50


def test_the_report_says_in_words_that_the_published_strongest_effect_does_not_replicate(planted):
    from cheesemaze.analysis.behaviour_study import replication

    # the planted dependence is on d_step(decision square, cheese), so d_Euclid(cheese, top-right) is not strongest
    stats = behaviour_statistics(planted, n_splits=4, n_boot=20)
    text = replication(stats, 15)
    assert "a 15x15 world, theirs from a 25x25 one" in text
    assert "(d_Euclid(cheese, top-right), the largest standardized coefficient): does not replicate here" in text
