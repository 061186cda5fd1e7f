"""Scores: no smoothing of zero probabilities, hand-checked measures, Bayes factors, intervals."""

from __future__ import annotations

import numpy as np
import pytest

from cheesemaze.analysis.hypotheses.scoring import (
    calibration_table, expected_calibration_error, flat_table, sampling_zero_test, score,
)

OBSERVED = np.array([0, 0, 1, 2])
SHARP = np.array([[1.0, 0.0, 0.0]] * 4)
SOFT = np.array([[0.5, 0.25, 0.25], [0.5, 0.25, 0.25], [0.2, 0.6, 0.2], [0.1, 0.1, 0.8]])


def test_zero_probability_gives_minus_infinity_and_is_counted():
    scores = score({"sharp": SHARP, "soft": SOFT}, OBSERVED, resamples=200)
    sharp = scores.table.set_index("hypothesis").loc["sharp"]
    assert sharp["mean_ll"] == -np.inf
    assert sharp["zero_probability"] == 2
    assert sharp["mean_ll_nonzero_only"] == 0.0
    soft = scores.table.set_index("hypothesis").loc["soft"]
    expected = np.mean(np.log([0.5, 0.5, 0.6, 0.8]))
    assert soft["mean_ll"] == pytest.approx(expected)
    assert soft["zero_probability"] == 0
    low, high = soft["mean_ll_ci"]
    assert low <= expected <= high


def test_accuracy_and_brier_by_hand():
    scores = score({"soft": SOFT}, OBSERVED, resamples=50).table.iloc[0]
    assert scores["accuracy"] == pytest.approx(1.0)
    brier = [0.25 + 0.0625 * 2, 0.25 + 0.0625 * 2, 0.04 + 0.16 + 0.04, 0.01 + 0.01 + 0.04]
    assert scores["brier"] == pytest.approx(np.mean(brier))


def test_log_bayes_factor_sums_the_differences_and_is_undefined_when_both_are_zero():
    bf = score({"sharp": SHARP, "soft": SOFT, "sharp2": SHARP}, OBSERVED, resamples=50).bayes_factors
    row = bf[(bf["hypothesis"] == "soft") & (bf["against"] == "sharp")].iloc[0]
    assert row["log_bayes_factor"] == np.inf
    assert row["mazes_both_nonzero"] == 2
    assert row["log_bayes_factor_both_nonzero_only"] == pytest.approx(2 * np.log(0.5))
    twins = bf[(bf["hypothesis"] == "sharp") & (bf["against"] == "sharp2")].iloc[0]
    assert np.isnan(twins["log_bayes_factor"])


def test_calibration_bins_hold_every_maze_once_per_outcome():
    table = calibration_table(SOFT, OBSERVED)
    assert (table.groupby("outcome")["mazes"].sum() == len(OBSERVED)).all()
    cheese = table[(table["outcome"] == "cheese") & (table["bin_low"] == 0.5)].iloc[0]
    assert cheese["mazes"] == 2 and cheese["observed"] == 1.0 and cheese["predicted"] == 0.5
    perfect = calibration_table(np.eye(3)[OBSERVED], OBSERVED)
    assert expected_calibration_error(perfect) == 0.0


def test_flat_table_splits_intervals():
    flat = flat_table(score({"soft": SOFT}, OBSERVED, resamples=20).table)
    assert {"mean_ll_low", "mean_ll_high", "accuracy_low", "brier_high"} <= set(flat.columns)
    assert not any(c.endswith("_ci") for c in flat.columns)


def test_shape_mismatch_is_rejected():
    with pytest.raises(ValueError, match="shape"):
        score({"bad": SOFT[:3]}, OBSERVED)
    with pytest.raises(ValueError, match="no mazes"):
        score({"soft": SOFT[:0]}, OBSERVED[:0])


def test_gain_over_the_base_rate_is_the_mean_per_maze_difference():
    base = np.array([[0.5, 0.25, 0.25]] * 4)
    table = score({"base-rate": base, "soft": SOFT, "sharp": SHARP}, OBSERVED, resamples=200).table
    t = table.set_index("hypothesis")
    expected = np.mean(np.log([0.5, 0.5, 0.6, 0.8]) - np.log([0.5, 0.5, 0.25, 0.25]))
    assert t.loc["soft", "gain"] == pytest.approx(expected)
    low, high = t.loc["soft", "gain_ci"]
    assert low <= expected <= high
    assert t.loc["base-rate", "gain"] == 0.0 and t.loc["sharp", "gain"] == -np.inf
    assert np.isnan(score({"soft": SOFT}, OBSERVED, resamples=20).table["gain"].iloc[0])  # no base rate, no gain


def test_zero_cells_count_only_the_outcomes_a_maze_allows():
    walk = np.array([[0.5, 0.5, 0.0], [0.4, 0.3, 0.3], [0.4, 0.3, 0.3], [0.4, 0.3, 0.3]])  # maze 0 cannot time out
    table = score({"sharp": SHARP, "soft": SOFT, "random-walk": walk}, OBSERVED, resamples=50).table.set_index("hypothesis")
    assert table.loc["sharp", "zero_cells"] == 7  # two zeros in each of four mazes, less maze 0's impossible one
    assert table.loc["soft", "zero_cells"] == 0 and table.loc["random-walk", "zero_cells"] == 0
    without_walk = score({"sharp": SHARP}, OBSERVED, resamples=50).table.iloc[0]
    assert without_walk["zero_cells"] == 8  # no random walk: every outcome counts as allowed


def test_sampling_zeros_rule_out_the_account_only_beyond_their_monte_carlo_error():
    # K = 1: a zero cell may still be hit with probability 1/4; 4 cells, 1 expected
    test = sampling_zero_test(3, 4, 1)
    assert test["expected"] == pytest.approx(1.0)
    assert test["p"] == pytest.approx(np.exp(-1) * (np.e / 3) ** 3) and not test["beyond"]
    hit = sampling_zero_test(2, 10, 256)  # 10 cells at most 0.00143 each: two hits have probability below 1e-3
    assert hit["beyond"] and hit["p"] < 1e-3
    assert not sampling_zero_test(0, 10, 256)["beyond"]
