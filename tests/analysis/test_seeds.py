"""Agents in groups: means over seeds with t intervals, one seed with none, and groups set against
the last one named (the baseline)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from cheesemaze.analysis.seeds import against_baseline, across_seeds, multiplicity_words, with_agent_intervals
from cheesemaze.analysis.stats import t_interval, welch_interval


def test_t_and_welch_intervals_match_scipy():
    a, b = np.array([0.5, 0.7, 0.6, 0.9]), np.array([0.2, 0.4, 0.1])
    mean, low, high = t_interval(a)
    expected = scipy_stats.t.interval(0.95, len(a) - 1, loc=a.mean(), scale=scipy_stats.sem(a))
    assert mean == pytest.approx(a.mean()) and (low, high) == pytest.approx(expected)
    assert np.isnan(t_interval(a[:1])[1])
    diff, low, high = welch_interval(a, b)
    result = scipy_stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert diff == pytest.approx(a.mean() - b.mean()) and (low, high) == pytest.approx((result.low, result.high))


def test_across_seeds_uses_t_over_seeds_and_a_lone_agent_keeps_its_own_interval():
    rows = pd.DataFrame({"group": ["r5", "r5", "control"], "layer": ["x"] * 3, "p": [0.4, 0.6, 0.3],
                         "p_low": [0.3, 0.5, 0.2], "p_high": [0.5, 0.7, 0.4]})
    across = across_seeds(rows, ["layer"], ["p"]).set_index("group")
    assert across.loc["r5", "seeds"] == 2 and across.loc["r5", "p"] == pytest.approx(0.5)
    assert (across.loc["r5", "p_low"], across.loc["r5", "p_high"]) == pytest.approx(t_interval(np.array([0.4, 0.6]))[1:])
    assert np.isnan(across.loc["control", "p_low"])
    drawn = with_agent_intervals(across.reset_index(), rows, ["layer"], ["p"]).set_index("group")
    assert (drawn.loc["control", "p_low"], drawn.loc["control", "p_high"]) == (0.2, 0.4)
    assert drawn.loc["r5", "p_low"] == across.loc["r5", "p_low"]


def test_groups_are_set_against_the_last_one_named():
    rows = pd.DataFrame({"group": ["r5"] * 3 + ["control"] * 3, "coeff": [-1.0] * 6,
                         "effect": [-0.30, -0.20, -0.25, -0.05, 0.0, -0.10],
                         "effect_low": [-0.4] * 6, "effect_high": [0.0] * 6})
    table = against_baseline(rows, ["coeff"], "effect").iloc[0]
    assert (table["group"], table["baseline"]) == ("r5", "control")
    assert table["effect difference"] == pytest.approx(-0.20) and table["low"] < -0.20 < table["high"] < 0
    assert table["interval"].startswith("Welch")
    one_each = against_baseline(rows.iloc[[0, 3]], ["coeff"], "effect").iloc[0]
    assert one_each["effect difference"] == pytest.approx(-0.25)
    assert one_each["high"] - one_each["low"] == pytest.approx(2 * np.hypot(0.2, 0.2))
    assert against_baseline(rows[rows["group"] == "r5"], ["coeff"], "effect").empty


def test_identical_seeds_and_a_lone_seed_say_what_their_interval_leaves_out():
    rows = pd.DataFrame({"group": ["r5"] * 2 + ["control"] * 2, "coeff": [-1.0] * 4,
                         "effect": [1.0, 1.0, 0.5, 0.5], "effect_low": [0.9] * 4, "effect_high": [1.0] * 4})
    same = against_baseline(rows, ["coeff"], "effect").iloc[0]
    assert same["low"] == same["high"] == pytest.approx(0.5) and same["interval"].endswith("(seeds identical: no width)")
    lone = against_baseline(rows.iloc[[0, 2, 3]], ["coeff"], "effect").iloc[0]
    assert lone["interval"] == "agents' intervals (one seed: mazes only, no seed spread)"


def test_an_interval_over_few_seeds_stays_within_what_its_value_can_be():
    rows = pd.DataFrame({"group": ["r5", "r5"], "p_cheese": [0.99, 0.70], "effect": [-0.9, 0.1], "norm": [1.0, 9.0]})
    across = across_seeds(rows, [], ["p_cheese", "effect", "norm"]).iloc[0]
    assert (across["p_cheese_low"], across["p_cheese_high"]) == (0.0, 1.0)  # t with one df reaches past both
    assert (across["effect_low"], across["effect_high"]) == (-1.0, 1.0)
    assert across["norm_low"] == pytest.approx(t_interval(np.array([1.0, 9.0]))[1]) and across["norm_low"] < 0  # as computed


def test_change_words_say_what_the_interval_allows():
    from cheesemaze.analysis.seeds import change_words

    assert change_words(-0.2, -0.3, -0.1).endswith(": a decrease")
    assert change_words(0.2, 0.1, 0.3, above="more").endswith(": more")
    assert "cannot tell it from no change" in change_words(0.01, -0.1, 0.12)
    assert change_words(0.5, float("nan"), float("nan")) == "+0.500 (no interval)"
    # a bound that excludes 0 is never printed as 0
    assert change_words(0.01, 0.0003, 0.02) == "+0.010 (95% +0.0003 to +0.020): an increase"
    assert change_words(-0.01, -0.02, -0.00004).startswith("-0.010 (95% -0.020 to -4e-05)")
    assert change_words(0.0, 0.0, 0.0).startswith("+0.000 (95% +0.000 to +0.000)")


def test_a_difference_between_conditions_is_taken_seed_by_seed_or_from_one_seeds_intervals():
    from cheesemaze.analysis.seeds import condition_difference, time_words

    rows = [{"group": "g", "seed": s, "kind": k, "effect": e, "effect_low": e - 0.1, "effect_high": e + 0.1}
            for s, (a, b) in enumerate([(0.3, 0.1), (0.5, 0.1), (0.4, 0.1)]) for k, e in (("a", a), ("b", b))]
    per_agent = pd.DataFrame(rows)
    mean, low, high = condition_difference(per_agent, "g", "effect", {"kind": "a"}, {"kind": "b"})
    assert mean == pytest.approx(0.3) and low < 0.3 < high  # t over the three seeds' differences 0.2, 0.4, 0.3
    one = per_agent[per_agent["seed"] == 0]
    mean, low, high = condition_difference(one, "g", "effect", {"kind": "a"}, {"kind": "b"})
    assert (mean, high - mean) == pytest.approx((0.2, np.hypot(0.1, 0.1)))  # the two half-widths combined
    assert time_words({"a": 12.4}) == "The command took 12 s for its agent."
    assert time_words({"a": 10.0, "b": 30.0}).startswith("The command took 10 to 30 s per agent (2 agents")


def test_many_intervals_say_how_many_exclude_0_by_chance_and_which_only_barely():
    intervals = [(0.0002, 0.02), (0.05, 0.1), (-0.01, 0.01), (-0.3, -0.1), (np.nan, np.nan)] + [(-1.0, 1.0)] * 5
    words = multiplicity_words(intervals)
    # 9 finite intervals: 0.45 expected by chance; 3 exclude 0, one within 10% of its width (0.0002 < 0.00198)
    assert words == ("These are 9 95% intervals, none corrected for the others: if nothing moved, about 0.5 of them "
                     "would exclude 0 by chance alone; 3 do, 1 of them only barely (the nearer bound within 10% of "
                     "the interval's width from 0), which is weak evidence on its own.")
    assert multiplicity_words([(0.1, 0.2), (-0.1, 0.1)]).endswith("; 1 do.")
    assert multiplicity_words([(0.1, 0.2)]) == ""
