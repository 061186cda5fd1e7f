"""The words of a report: the plain summary names the winner, its gain and what is undecided; every
parameter appears with how it was set and whether its fit converged."""

from __future__ import annotations

import numpy as np

from cheesemaze.analysis.hypotheses.scoring import score
from cheesemaze.analysis.hypotheses.writeup import consistency_lines, consistency_verdict, parameter_table, plain_summary

OBSERVED = np.array([0] * 30 + [1] * 10 + [2] * 10)


def predictions():
    base = np.tile([0.6, 0.2, 0.2], (50, 1))
    good = np.where(np.eye(3)[OBSERVED] == 1, 0.8, 0.1)
    close = np.where(np.eye(3)[OBSERVED] == 1, 0.79, 0.105)
    return {"base-rate": base, "random-walk": np.tile([0.1, 0.1, 0.8], (50, 1)), "correlates": good,
            "utility": close, "intended": np.tile([1.0, 0.0, 0.0], (50, 1))}


def test_plain_summary_names_the_winner_its_gain_and_what_is_undecided():
    text = plain_summary(score(predictions(), OBSERVED, resamples=300), 15)
    assert text.startswith("On 50 held-out cheese-anywhere mazes with a decision square (15x15 world), `correlates`")
    gain = np.mean(np.log(np.where(np.eye(3)[OBSERVED] == 1, 0.8, 0.1)[np.arange(50), OBSERVED]) -
                   np.log(np.tile([0.6, 0.2, 0.2], (50, 1))[np.arange(50), OBSERVED]))
    assert f"{gain:+.3f} nats per maze" in text
    assert "runner-up, `utility`" in text
    assert "`intended` gave probability zero to 20 of the 50 observed outcomes" in text
    assert "cannot decide whether `correlates` or `utility` predicts better" not in text  # every maze favours one
    assert "across seeds" in text
    t = score(predictions(), OBSERVED, resamples=300).table.set_index("hypothesis")
    low, high = t.loc["correlates", "brier_ci"]
    brier = t.loc["correlates", "brier"]
    assert f"By Brier score (lower is better) `correlates` leads ({brier:.3f}, 95% {low:.3f} to {high:.3f})" in text
    low, high = t.loc["base-rate", "accuracy_ci"]
    accuracy = t.loc["base-rate", "accuracy"]
    assert f"the base rate's most frequent outcome is right in {accuracy:.3f}, 95% {low:.3f} to {high:.3f}" in text


def test_plain_summary_says_when_a_hypothesis_is_no_better_than_the_base_rate():
    p = predictions()
    p["correlates"] = p["base-rate"].copy()
    p["correlates"][::2] = [0.61, 0.19, 0.2]
    p["correlates"][1::2] = [0.59, 0.21, 0.2]
    text = plain_summary(score(p, OBSERVED, resamples=300), 15)
    assert "whether `correlates` predicts better than the base rate at all" in text


def test_parameter_table_shows_every_parameter_and_how_its_fit_ended():
    parameters = {
        "base-rate": {"counts_by_size": {"7": {"cheese": 2, "top_right": 1, "other": 1}},
                      "fit": {"method": "closed form", "converged": None}},
        "intended": {},
        "utility": {"fitted": {"scale": 320.6, "gamma": 0.99},
                    "fit": {"method": "Nelder-Mead", "converged": True, "message": "ok",
                            "at_bounds": ["gamma at its upper bound"], "evaluations": 297}},
        "correlates": {"intercept": 1.2, "fit": {"method": "L-BFGS-B", "converged": False, "message": "ABNORMAL"}},
    }
    table = parameter_table(parameters)
    assert list(table["model"]) == ["base-rate", "intended", "utility", "correlates"]
    rows = table.set_index("model")
    assert rows.loc["base-rate", "value"] == "7: (cheese 2; top_right 1; other 1)"
    assert rows.loc["intended", "how it was set"] == "nothing fitted"
    assert rows.loc["utility", "how it was set"] == ("Nelder-Mead: converged (ok); at a bound: gamma at its upper "
                                                     "bound; 297 likelihood evaluations")
    assert rows.loc["correlates", "how it was set"] == "L-BFGS-B: NOT converged (ABNORMAL)"


def test_plain_summary_names_fits_at_a_bound_counts_zeros_and_explains_sampling_zeros():
    p = predictions()
    p["compatible"] = np.tile([0.5, 0.5, 0.0], (50, 1))  # the 10 observed `other` outcomes get P = 0
    p["correlates"][:3] = np.where(np.eye(3)[OBSERVED[:3]] == 1, 1e-7, (1 - 1e-7) / 2)  # three near-zero
    parameters = {"base-rate": {"fit": {"method": "closed form", "converged": None}},
                  "compatible": {"samples": 64},
                  "correlates": {"intercept": 7.0, "fit": {"method": "L-BFGS-B", "converged": True,
                                                           "at_bounds": ["intercept", "slope d_euclid"]}},
                  "utility": {"fit": {"method": "Nelder-Mead", "converged": True, "at_bounds": []}}}
    scores = score(p, OBSERVED, resamples=300)
    text = plain_summary(scores, 15, parameters)
    t = scores.table.set_index("hypothesis")
    gain = f"{t.loc['correlates', 'gain']:+.3f} nats per maze"
    assert (f"The fit of `correlates` stopped at a parameter bound (intercept, slope d_euclid), so its score, {gain}"
            in text)
    assert "reflects the bound as much as the agent" in text and "not a peak inside it" in text
    assert "fit of `utility`" not in text and "fit of `base-rate`" not in text
    assert "given probability exactly 0 / given 0 < P < 1e-6 (near-zero, counted apart, not smoothed)" in text
    assert "`compatible` 10 / 0" in text and "`correlates` 0 / 3" in text and "`intended` 20 / 0" in text
    assert "`compatible` gave probability zero to 10 of the 50 observed outcomes (log-likelihood -inf)" in text
    assert "it averages K = 64 sampled goals" in text and "The K-goal average as stated is ruled out" in text
    # 150 allowed cells (every outcome in every maze, as the random walk allows), each both missed by 64 goals
    # and observed with probability at most (1/65)(64/65)^64 = 0.0057 if the account held: 0.86 expected,
    # so 10 such zeros rule out the account itself
    assert "each of the 150 outcomes the mazes allow would be both missed by all 64 goals and observed" in text
    assert "with probability at most 0.0057" in text and "at most 0.86 such zeros would be observed" in text
    assert "the data rule out the account itself" in text
    assert "`compatible` gave probability zero" not in text.split("Ruled out outright")[-1].split(".")[0]


def test_a_sampling_zero_within_its_error_does_not_rule_out_the_account():
    p = predictions()
    p["compatible"] = np.tile([0.4, 0.3, 0.3], (50, 1))
    first = int(np.flatnonzero(OBSERVED == 2)[0])
    p["compatible"][first] = [0.5, 0.5, 0.0]  # one observed `other` given probability 0
    text = plain_summary(score(p, OBSERVED, resamples=300), 15, {"compatible": {"samples": 256}})
    # 150 allowed cells at most 0.0014 each: 0.22 expected, one or more with probability at most 0.47
    assert "at most 0.22 such zeros would be observed on average, and 1 or more with probability at most 0.47" in text
    assert "these zeros are within its sampling error: the data do not rule out the account itself" in text
    p["random-walk"][:] = [0.5, 0.5, 0.0]  # were `other` allowed nowhere, the cells would be 100
    p["random-walk"][first] = [0.4, 0.3, 0.3]
    text = plain_summary(score(p, OBSERVED, resamples=300), 15, {"compatible": {"samples": 256}})
    assert "each of the 101 outcomes the mazes allow" in text


def test_plain_summary_without_sampling_zeros_or_bounds_says_neither():
    text = plain_summary(score(predictions(), OBSERVED, resamples=300), 15, {"compatible": {"samples": 256}})
    assert "sampling zeros" not in text and "parameter bound" not in text
    assert "`correlates` 0 / 0" in text


def consistency_test(location_minus_fixed, fixed_minus_frequency=(0.01, 0.005, 0.015)):
    def difference(d):
        return {"per_step": d[0], "ci": [d[1], d[2]]}
    return {"location_minus_fixed": difference(location_minus_fixed),
            "fixed_minus_frequency": difference(fixed_minus_frequency),
            "frequency_minus_uniform": difference((0.1, 0.09, 0.11))}


def test_consistency_verdict_says_which_model_wins_in_each_direction_against_the_baseline_gap():
    above = consistency_verdict(consistency_test((0.02, 0.01, 0.03)))
    assert "The fixed model predicts actions better than the agent's overall action frequencies." in above
    assert ("The location-dependent model beats the fixed one by 0.0200 nats per step, less than the gap between "
            "the two baselines (0.1000).") in above
    below = consistency_verdict(consistency_test((-0.15, -0.2, -0.1)))
    assert ("The fixed model beats the location-dependent one by 0.1500 nats per step, more than the gap between "
            "the two baselines (0.1000).") in below
    assert "includes 0" not in below
    across = consistency_verdict(consistency_test((-0.01, -0.03, 0.01), fixed_minus_frequency=(-0.02, -0.03, -0.01)))
    assert "neither model has the power" in across
    assert ("cannot tell the location-dependent model from the fixed one (difference -0.0100 (-0.0300 to +0.0100) "
            "nats per step, an interval that includes 0; the gap between the two baselines is 0.1000)") in across


def test_plain_summary_says_which_fit_did_not_converge_and_why():
    parameters = {"utility": {"fit": {"method": "Nelder-Mead", "converged": False, "evaluations": 436,
                                      "message": "Maximum number of function evaluations has been exceeded."}},
                  "correlates": {"fit": {"method": "L-BFGS-B", "converged": True}}}
    text = plain_summary(score(predictions(), OBSERVED, resamples=300), 15, parameters)
    assert ("The fit of `utility` did not converge (Maximum number of function evaluations has been exceeded., after "
            "436 likelihood evaluations)") in text
    assert "fit of `correlates` did not converge" not in text
    assert "did not converge" not in plain_summary(score(predictions(), OBSERVED, resamples=300), 15,
                                                   {"utility": {"fit": {"converged": True}}})


def test_the_consistency_section_gives_its_verdict_and_how_each_action_fit_ended():
    test = {"episodes": 30, "steps": 900, "ll_per_step_fixed": -1.3, "ll_per_step_location": -1.45,
            "ll_per_step_frequency": -1.35, "ll_per_step_uniform": -1.61, **consistency_test((-0.15, -0.2, -0.1))}
    c = {"geometry": {"scale": 40.0, "gamma": 0.9, "plan_temperature_cells": 1.0},
         "calibration": {"likelihood_ratio": 3.2, "p_value": 0.2}, "test": {"all": test},
         "fixed": {"fit": {"converged": True, "message": "CONVERGENCE"}},
         "location": {"per_10_steps_to_cheese": -0.5, "per_10_cells_to_top_right": 0.1,
                      "fit": {"converged": False, "message": "ABNORMAL"}}}
    text = "\n".join(consistency_lines(c))
    assert "The fixed model beats the location-dependent one by 0.1500 nats per step" in text
    assert ("Action-model fits: fixed, fitted: converged (CONVERGENCE); location-dependent, fitted: NOT converged "
            "(ABNORMAL).") in text
