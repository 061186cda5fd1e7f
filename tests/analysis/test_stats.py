"""Intervals: Wilson's against hand-checked values, bootstrap percentiles without interpolation."""

from __future__ import annotations

import numpy as np
import pytest

from cheesemaze.analysis.stats import bootstrap_draws, bootstrap_interval, wilson_interval


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
