"""Intervals: Wilson's against hand-checked values, bootstrap percentiles without interpolation."""

from __future__ import annotations

import numpy as np
import pytest

from cheesemaze.analysis.stats import bootstrap_draws, bootstrap_interval, count_tail_bound, unseen_mass, wilson_interval


def test_wilson_interval_matches_hand_checked_values_and_is_nan_without_trials():
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson_interval(0, 10)[1] == pytest.approx(0.2775, abs=1e-4)
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0
    assert all(np.isnan(wilson_interval(0, 0)))


def test_bootstrap_draws_resample_rows_with_replacement_from_a_seed():
    draws = bootstrap_draws(4, 500, seed=0)
    assert draws.shape == (500, 4) and draws.min() == 0 and draws.max() == 3
    assert (draws == bootstrap_draws(4, 500, seed=0)).all()
    assert (draws == np.random.default_rng(0).integers(0, 4, size=(500, 4))).all()


def test_bootstrap_interval_without_interpolation_keeps_infinities_meaningful():
    values = np.array([0.0, -np.inf, -1.0, -2.0])
    low, high = bootstrap_interval(values, bootstrap_draws(4, 500, seed=0))
    assert low == -np.inf and np.isfinite(high)


def test_the_most_an_outcome_unseen_in_k_draws_can_weigh_is_its_largest_p_times_one_minus_p_to_the_k():
    assert unseen_mass(1) == pytest.approx(0.25)  # p (1 - p) at p = 1/2
    assert unseen_mass(2) == pytest.approx(4 / 27)  # p (1 - p)^2 at p = 1/3
    grid = np.linspace(0, 1, 200_001)
    assert unseen_mass(256) == pytest.approx((grid * (1 - grid) ** 256).max(), rel=1e-6)
    with pytest.raises(ValueError, match="samples must be at least 1"):
        unseen_mass(0)


def test_the_count_tail_bound_holds_for_poisson_binomial_counts_and_is_one_below_the_mean():
    assert count_tail_bound(1, 1.5) == 1.0 and count_tail_bound(2, 0.0) == 0.0
    assert count_tail_bound(1, 0.5) == pytest.approx(0.5 * np.e ** 0.5)  # e^-mu (e mu / 1)^1
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 0.01, size=300)  # expected total 1.5
    counts = (rng.random((20_000, 300)) < p).sum(axis=1)
    for k in (3, 5, 7):
        assert (counts >= k).mean() <= count_tail_bound(k, p.sum())
