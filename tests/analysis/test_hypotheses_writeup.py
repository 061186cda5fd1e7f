"""The words of a report: the plain summary names the winner, its gain and what is undecided; every
parameter appears with how it was set and whether its fit converged."""

from __future__ import annotations

import numpy as np

from cheesemaze.analysis.hypotheses.scoring import score
from cheesemaze.analysis.hypotheses.writeup import parameter_table, plain_summary

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
