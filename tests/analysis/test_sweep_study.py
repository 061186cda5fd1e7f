"""cheesemaze analyze sweep: rates and coefficients against the training region, across seeds."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from cheesemaze.analysis.stats import t_interval
from cheesemaze.analysis.sweep_study import (
    FLOOR, below_floor, by_region, floor_sentence, published_words, sweep_conclusion, sweep_trials, trend,
)
from cheesemaze.scripts.main import main as cli


def test_t_interval_and_the_trend_match_hand_computations():
    mean, low, high = t_interval(np.array([0.2, 0.4, 0.6]))
    half = scipy_stats.t.ppf(0.975, 2) * 0.2 / np.sqrt(3)
    assert mean == pytest.approx(0.4) and (low, high) == pytest.approx((0.4 - half, 0.4 + half))
    assert np.isnan(t_interval(np.array([0.3]))[1])
    agents = pd.DataFrame({"region": [1, 1, 3, 3, None], "p_cheese": [0.1, 0.12, 0.3, 0.32, 0.9]})
    slope = trend(agents)
    assert slope["slope"] == pytest.approx(0.1) and slope["agents"] == 4  # the control has no r
    assert "rises with the training region" in sweep_conclusion(by_region(agents), slope)
    assert slope["spearman"] == pytest.approx(4 / (2 * np.sqrt(5)))  # ranks (1.5, 1.5, 3.5, 3.5) against (1, 2, 3, 4)
    assert "Spearman's rank correlation, which asks only whether they move together, is +0.89 (p = " in (
        sweep_conclusion(by_region(agents), slope))
    at_one = trend(pd.DataFrame({"region": [0, 0, 3, 3], "p_cheese": [0.1, 0.12, 0.3, 0.32]}))
    assert at_one["slope"] == pytest.approx(0.1)  # region 0 is the top-right cell, region 1's placement
    flat = trend(pd.DataFrame({"region": [1, 1, 3, 3], "p_cheese": [0.1, 0.5, 0.5, 0.1]}))
    assert "No trend in r" in sweep_conclusion(None, flat)


def test_by_region_groups_seeds_and_puts_the_control_last():
    agents = pd.DataFrame({"region": [5, None, 5, 0], "p_cheese": [0.5, 0.7, 0.7, 0.2], "p_top_right": [0.3] * 4})
    table = by_region(agents)
    assert table["condition"].tolist() == ["r0", "r5", "control"]
    nullable = agents.assign(region=pd.array([5, None, 5, 0], dtype="Int64"))  # as a CSV may read back
    assert by_region(nullable)["condition"].tolist() == ["r0", "r5", "control"]
    r5 = table.set_index("condition").loc["r5"]
    assert r5["seeds"] == 2 and r5["p_cheese"] == pytest.approx(0.6)


def test_analyze_sweep_plays_every_trial_and_writes_its_tables(tiny_zoo, tmp_path):
    assert [t.name for t in sweep_trials(tiny_zoo)] == ["r1/s0", "r1/s1", "r5/s0", "r5/s1", "control/s0", "control/s1"]
    out = tmp_path / "analysis"
    assert cli(["analyze", "sweep", str(tiny_zoo), "--n", "40", "--train-n", "20", "--out", str(out)]) == 0
    summary = json.loads((out / "sweep.json").read_text())
    assert [r["seeds"] for r in summary["by_region"]] == [2, 2, 2]
    assert len(summary["agents"]) == 6 and all(a["with_dsq"] > 0 for a in summary["agents"])
    assert {"sweep.md", "agents.csv", "by_region.csv", "coefficients.csv", "sweep.png", "sweep.pdf"} <= {
        p.name for p in out.iterdir()}
    assert summary["conclusion"] in (out / "sweep.md").read_text()


def test_a_folder_without_trials_is_refused(tmp_path, capsys):
    assert cli(["analyze", "sweep", str(tmp_path)]) == 2
    assert "holds no finished trials" in capsys.readouterr().err


def test_the_figure_draws_region_0_at_its_placement_and_the_control_at_the_right():
    from cheesemaze.analysis.figures.sweep import sweep_figure

    agents = pd.DataFrame({"agent": ["r0/s0", "r0/s1", "r5/s0", "control/s0"], "region": [0, 0, 5, None],
                           "p_cheese": [0.2, 0.3, 0.6, 0.9], "p_top_right": [0.7, 0.6, 0.3, 0.05],
                           "p_cheese_train": [0.97, 0.0, 0.949, 0.98], "p_cheese_train_high": [0.98, 0.005, 0.96, 0.99]})
    coefs = pd.DataFrame({"d_euclid_cheese_tr": [-1.0, -0.5, -0.2, 0.0]}, index=agents["agent"])
    assert below_floor(agents) == ["r0/s1"]  # r5/s0's 0.949 is within sampling noise of the floor
    fig = sweep_figure(agents, by_region(agents), coefs, ("d_euclid_cheese_tr",), below_floor(agents), FLOOR)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0 = 1", "5", "any"]
    assert list(ax.get_xticks()[:2]) == [1, 5] and ax.get_xticks()[2] > 5
    seeds = ax.get_lines()[0]  # one dot per seed, region 0's at r = 1
    assert list(seeds.get_xdata()[:3]) == [1, 1, 5] and seeds.get_xdata()[3] == ax.get_xticks()[2]
    assert list(fig.axes[2].get_lines()[0].get_xdata()) == [1, 5]  # region 0's mean coefficient at 1
    hollow = [line for line in ax.get_lines() if line.get_markerfacecolor() == "white"]
    assert [list(line.get_ydata()) for line in hollow] == [[0.3]]  # r0/s1, which never learned its task
    assert "below 0.95 on its own mazes" in [t.get_text() for t in ax.get_legend().get_texts()]
    sentence = floor_sentence(agents)
    assert "(the Wilson interval wholly under it): r0/s1 (0.000)." in sentence and "r5/s0" not in sentence
    assert sentence.endswith("Without them too few region agents remain for a trend with an interval.")  # r0/s0, r5/s0
    more = pd.concat([agents, pd.DataFrame({"agent": ["r3/s0"], "region": [3], "p_cheese": [0.5],
                                            "p_cheese_train_high": [0.99]})], ignore_index=True)
    at_floor = trend(more[more["agent"] != "r0/s1"])
    assert at_floor["agents"] == 3 and at_floor["slope"] == pytest.approx(0.1)  # 0.2, 0.5, 0.6 at r = 1, 3, 5
    assert f"Without them the slope is {at_floor['slope']:+.4f} per unit of r" in floor_sentence(more)
    assert floor_sentence(agents.assign(p_cheese_train_high=0.99)).startswith("No agent's rate")
    assert floor_sentence(agents.drop(columns="p_cheese_train_high")) == ""


def test_the_shipped_zoo_is_a_sweep_of_its_plain_regions():
    from cheesemaze.agents.rundir import TRAINED_DIR, shipped_agents

    names = [t.name for t in sweep_trials(TRAINED_DIR)]
    assert names and set(names) == {n for n in shipped_agents() if "-" not in n.split("/")[0]}
    assert names[-1].startswith("control/")  # regions first, the control last


def test_the_published_coefficient_is_set_beside_ours_in_words():
    features = ["d_euclid_cheese_tr", "d_step_dsq_cheese"]
    coefs = pd.DataFrame([[-2.5, 0.1], [-3.0, -0.2], [-2.0, -0.2], [-2.0, 0.0], [1.0, 0.0]], columns=features,
                         index=["r5/s0", "r5/s1", "r5/s2", "r2/s0", "control/s0"])
    text = published_words(coefs, 15)
    assert text.startswith("Published (Turner et al., their r=5 network, procgen hard 25x25, not ours): "
                           "d_euclid_cheese_tr -2.786, the strongest.")
    mean, low, high = t_interval(np.array([-2.5, -3.0, -2.0]))
    assert high < 0
    assert (f"Ours (15x15): on the 3 r5 agents it averages {mean:+.2f} (95% t interval over seeds {low:+.2f} to "
            f"{high:+.2f}), negative on 3 of 3 seeds and the largest by size on 3; so the published effect replicates "
            "in sign across our r5 seeds, and a single seed of ours could have its size (95% prediction interval for "
            "one seed of ours -4.98 to -0.02).") in text  # -2.5 +- 4.303 x 0.5 x sqrt(4/3)
    assert "L1-shrunk" in text and "the sign the firmer test" in text
    assert "correlate at" not in text  # no correlation given
    assert "Negative on every seed: r5 (3 seeds), r2 (1 seed)." in text
    coefs.loc["r5/s1", "d_euclid_cheese_tr"] = 4.0
    text = published_words(coefs, 15)
    assert "negative on 2 of 3 seeds" in text and "our seeds cannot decide the published effect's sign" in text
    assert "Negative on every seed: r2 (1 seed)." in text
    assert "one seed cannot say" in published_words(coefs.drop(index=["r5/s1", "r5/s2"]), 15)
    coefs.loc[["r5/s0", "r5/s1", "r5/s2"], "d_euclid_cheese_tr"] = [-0.4, -0.2, 0.1]
    assert ("its size lies outside what a single seed of ours would give (95% prediction interval for one seed of "
            "ours -1.42 to +1.08), so the size does not replicate in this world") in published_words(coefs, 15)
    coefs.loc[["r5/s0", "r5/s1", "r5/s2"], "d_euclid_cheese_tr"] = [0.4, 0.6, 0.5]
    assert "the published effect is reversed in sign across our r5 seeds" in published_words(coefs, 15)
    coefs.loc[["r5/s0", "r5/s1", "r5/s2"], "d_euclid_cheese_tr"] = [-0.4, -0.5, -0.6]
    text = published_words(coefs, 15)
    assert "replicates in sign across our r5 seeds, and its size lies outside what a single seed" in text
    coefs["d_euclid_cheese_tr5"] = [0.5, 0.5, -0.1, 1.0, 0.0]  # opposite signs on r5/s0, r5/s1 and r2/s0
    assert ("d_euclid_cheese_tr and d_euclid_cheese_tr5 correlate at 0.93, so an L1 fit can trade weight between "
            "them: they take opposite signs on 3 of 5 agents.") in published_words(coefs, 15, 0.934)
    assert "correlate at" not in published_words(coefs, 15, 0.3)  # weakly related: nothing to trade
