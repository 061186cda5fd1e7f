"""Prediction across agents, across seeds: the split (a fit is scored on other seeds' test rollouts, never
its own), the table per condition with a t interval over seeds for every measure, the plain words, and
the region-sweep figure."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb

from cheesemaze.analysis.figures.across import CAP, HUES, across_figure, region_sweep_figure, source_colours
from cheesemaze.analysis.figures.canvas import figure_bytes
from cheesemaze.analysis.hypotheses.across import (
    MEASURES, across_seeds, condition_regions, cross_scores, region_sweep,
)
from cheesemaze.analysis.hypotheses.across_report import write_across_report
from cheesemaze.analysis.hypotheses.across_tables import condition_table, family_words, headline
from cheesemaze.analysis.stats import t_interval
from cheesemaze.envs.game import OUTCOMES
from cheesemaze.scripts.analyze_hypotheses import agent_label, group_dir

AGENTS = ("r5/s0", "r5/s1", "r5/s2", "control/s0", "control/s1")
SEEDS = [11, 12, 13, 14, 15, 16]
OBSERVED = {  # outcome index per maze, different for every agent
    "r5/s0": [0, 0, 1, 0, 2, 1], "r5/s1": [1, 0, 0, 0, 0, 1], "r5/s2": [0, 1, 1, 2, 0, 0],
    "control/s0": [0, 0, 0, 0, 0, 1], "control/s1": [2, 0, 0, 1, 0, 0],
}


def document(agent: str) -> dict:
    """A prediction file whose fitted models put 0.7 on the agent's own observed outcomes."""
    own = np.full((len(SEEDS), 3), 0.15)
    own[np.arange(len(SEEDS)), OBSERVED[agent]] = 0.7
    counts = np.bincount(OBSERVED[agent], minlength=3) + 0.5
    return {"world_size": 7, "level_seeds": SEEDS, "cheese": [[0, 6]] * len(SEEDS), "calibration": None,
            "probabilities": {"base-rate": np.tile(counts / counts.sum(), (len(SEEDS), 1)).tolist(),
                              "intended": np.tile([1.0, 0.0, 0.0], (len(SEEDS), 1)).tolist(),
                              "correlates": own.tolist()}}


def episodes(agent: str) -> pd.DataFrame:
    return pd.DataFrame({"distribution": "anywhere", "region": "anywhere", "policy": "sampled", "world_size": 7,
                         "level_seed": SEEDS, "cheese_r": 0, "cheese_c": 6,
                         "outcome": [OUTCOMES[k] for k in OBSERVED[agent]]})


@pytest.fixture(scope="module")
def table():
    return cross_scores({a: document(a) for a in AGENTS}, {a: episodes(a) for a in AGENTS}, "sampled", 50, 0)


def test_a_fit_is_scored_on_every_other_seed_and_never_on_its_own_rollouts_across_seeds(table):
    across = table[table["relation"].str.endswith("across seeds")]
    assert (across["source"] != across["target"]).all()
    pairs = set(zip(across["source"], across["target"]))
    expected = {(i, j) for group in (AGENTS[:3], AGENTS[3:]) for i, j in itertools.permutations(group, 2)}
    assert pairs == expected
    within = table[table["relation"].str.endswith("within agent")]
    assert (within["source"] == within["target"]).all() and set(within["target"]) == set(AGENTS)
    assert set(zip(*table.loc[table["relation"] == "r5 -> control", ["source", "target"]].T.to_numpy())) == {
        (i, j) for i in AGENTS[:3] for j in AGENTS[3:]}
    # the score of seed i's fit on seed j is its probabilities of seed j's observed outcomes
    row = table[(table["source"] == "r5/s0") & (table["target"] == "r5/s1") & (table["model"] == "correlates")].iloc[0]
    hits = np.equal(OBSERVED["r5/s0"], OBSERVED["r5/s1"])
    assert row["mean_ll"] == pytest.approx(np.where(hits, np.log(0.7), np.log(0.15)).mean())
    assert row["accuracy"] == pytest.approx(hits.mean())
    own = table[(table["source"] == "r5/s1") & (table["target"] == "r5/s1") & (table["model"] == "correlates")]
    assert own["mean_ll"].iloc[0] == pytest.approx(np.log(0.7)) and own["accuracy"].iloc[0] == 1.0
    assert own["brier"].iloc[0] == pytest.approx(0.3**2 + 2 * 0.15**2)


def test_each_condition_has_its_own_fits_then_other_seeds_then_the_other_condition_with_t_intervals(table):
    summary = across_seeds(table)
    assert list(dict.fromkeys(summary["condition"])) == ["r5", "control"]
    r5 = summary[summary["condition"] == "r5"]
    assert list(dict.fromkeys(r5["fitted_on"])) == ["itself", "another r5 seed", "control seeds"]
    assert list(r5[r5["fitted_on"] == "itself"]["model"]) == ["base-rate", "intended", "correlates"]
    row = r5[(r5["fitted_on"] == "another r5 seed") & (r5["model"] == "correlates")].iloc[0]
    pairs = table[(table["relation"] == "r5: across seeds") & (table["model"] == "correlates")]
    per_target = pairs.groupby("target")[list(MEASURES)].mean()  # each target: mean over its two sources
    assert (row["targets"], row["pairs"]) == (3, 6)
    # the interval is over target seeds only: every target shares its sources with the others
    assert set(summary.loc[summary["fitted_on"] == "itself", "interval_over"]) == {"seeds"}
    assert set(summary.loc[summary["fitted_on"] != "itself", "interval_over"]) == {
        "target seeds only (sources shared, fixed)"}
    for measure in MEASURES:
        mean, low, high = t_interval(per_target[measure].to_numpy())
        assert (row[measure], row[f"{measure}_low"], row[f"{measure}_high"]) == pytest.approx((mean, low, high))
    assert row["gain_low"] < row["gain"] < row["gain_high"]
    intended = r5[(r5["fitted_on"] == "itself") & (r5["model"] == "intended")].iloc[0]
    assert intended["mean_ll"] == -np.inf and np.isnan(intended["mean_ll_low"])  # P = 0 happened: no interval
    assert intended["zero_probability"] == pytest.approx(np.mean([3, 2, 3]))
    assert not np.isnan(intended["zero_probability_low"])


def test_the_condition_table_has_every_measure_with_its_interval_and_a_dash_without_one(table):
    summary = across_seeds(table)
    shown = condition_table(summary, "r5")
    assert list(shown.columns) == ["fitted on", "model", "seeds", "interval over", "log-lik. per maze",
                                   "gain over base rate (nats/maze)", "accuracy", "Brier", "outcomes given P = 0"]
    assert len(shown) == 3 * 3  # three models, fitted on itself, another seed, the control
    assert shown.loc[0, "gain over base rate (nats/maze)"] == "+0.000 (+0.000 to +0.000)"
    assert shown.loc[1, "log-lik. per maze"] == "-inf (-)"
    accuracy = [float(text.split("to ")[-1].rstrip(")")) for text in shown["accuracy"] if "to" in text]
    assert max(accuracy) <= 1.0  # a rate's t interval is shown within 0 to 1
    one_seed = across_seeds(table[table["target"] == "r5/s0"])
    assert condition_table(one_seed, "r5").loc[2, "gain over base rate (nats/maze)"].endswith("(-)")


def test_plain_words_come_from_the_numbers_and_one_seed_has_no_interval(table):
    summary = across_seeds(table)
    words = "\n".join(family_words(summary, table))
    assert "**r5, training-compatible goal**" not in words  # no compatible model in these files
    row = summary[(summary["condition"] == "r5") & (summary["fitted_on"] == "itself")
                  & (summary["model"] == "correlates")].iloc[0]
    assert f"gains {row['gain']:+.3f} nats per maze over the base rate (95% t interval over 3 seeds" in words
    assert "the data support that it predicts better than the base rate" in words
    assert "fitted on another r5 seed" in words and "fitted on control seeds" in words
    assert "95% t interval over 2 target seeds only, sources fixed" in words
    assert "leave out how the fits vary with the source seed" in words
    one_each = ["r5/s0", "control/s0"]
    single = table[table["target"].isin(one_each) & table["source"].isin(one_each)]
    one = "\n".join(family_words(across_seeds(single), single))
    assert "the across-seed interval is unavailable with one seed" in one
    assert "across-seed prediction is unavailable" in one and "95% t interval" not in one


def test_the_region_sweep_takes_each_conditions_region_and_refuses_what_is_no_sweep(table):
    def agent(region):
        return SimpleNamespace(config=SimpleNamespace(env=SimpleNamespace(region=region)))

    regions = condition_regions({a: agent(5 if a.startswith("r5") else None) for a in AGENTS})
    assert regions == {"r5": 5, "control": None}
    sweep = region_sweep(across_seeds(table), regions)
    assert list(sweep["region"]) == ["5", "5", "anywhere", "anywhere"] and "base-rate" not in set(sweep["model"])
    assert condition_regions({"r5/s0": agent(5), "r5/s1": agent(3), "control/s0": agent(None)}) is None
    assert condition_regions({"a/s0": agent(5), "b/s0": agent(5)}) is None
    assert condition_regions({"r5/s0": agent(5), "r5/s1": agent(5)}) is None


SWEEP = pd.DataFrame({
    "condition": ["r0", "r0", "r5", "r5", "r15", "r15", "control", "control"],
    "region": ["0", "0", "5", "5", "15", "15", "anywhere", "anywhere"],
    "model": ["correlates", "compatible"] * 4, "seeds": 5,
    "gain": [0.4, -np.inf, 0.3, -0.5, 0.1, -0.2, -0.05, -0.1],
    "gain_low": [0.2, np.nan, 0.1, -0.9, -0.1, -9.0, -0.2, -0.3],
    "gain_high": [0.6, np.nan, 0.5, -0.1, 0.3, 8.0, 0.1, 0.1],
})


def test_region_sweep_figure_draws_a_line_per_model_against_r_with_the_control_at_the_right():
    fig = region_sweep_figure(SWEEP, 15)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0 = 1", "5", "15", "anywhere"]
    assert list(ax.get_xticks()[:3]) == [1, 5, 15]  # region 0, the top-right cell, is region 1's placement
    control_x = ax.get_xticks()[-1]
    assert control_x > 15
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["correlates", "compatible"]
    lines = {line.get_label(): line for line in ax.get_lines()}
    correlates = lines["correlates"]
    np.testing.assert_allclose(correlates.get_ydata(), [0.4, 0.3, 0.1, -0.05])
    assert correlates.get_xdata()[-1] == pytest.approx(control_x, abs=0.5)
    assert any(list(line.get_ydata()) == [0, 0] for line in ax.get_lines())  # zero line
    open_markers = [line for line in ax.get_lines() if line.get_marker() == "o" and line.get_markerfacecolor() == "white"]
    assert [list(line.get_ydata()) for line in open_markers if len(line.get_ydata())] == [[CAP]]  # -inf at r=0
    assert ax.get_ylim()[1] < 8.0  # a two-seed-wide bar does not squash the rest
    assert "nats per maze" in ax.get_ylabel() and "training region r" in ax.get_xlabel()
    assert "15x15 world" in ax.get_title()
    assert figure_bytes(fig, "png")[:4] == b"\x89PNG"


def test_the_group_report_states_the_world_size_and_what_each_interval_covers(table, tmp_path):
    summary = across_seeds(table)
    sweep = region_sweep(summary, {"r5": 5, "control": None})
    write_across_report(tmp_path, table, summary, {a: {} for a in AGENTS}, 7, sweep)
    report = (tmp_path / "report.md").read_text()
    assert "Every agent was trained and tested in the 7x7 world." in report
    assert "Figure `figures/region_sweep` (7x7 world)" in report
    assert "the target seeds only" in report and "| target seeds only (sources shared, fixed) |" in report
    assert (tmp_path / "figures" / "region_sweep.png").is_file()


def test_across_figure_puts_three_targets_to_a_row_with_one_legend(table):
    fig = across_figure(table)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == [f"scored on {a}" for a in AGENTS]
    assert len(fig.axes) == 6 and len(fig.legends) == 1


def test_run_directories_are_labelled_by_condition_and_seed():
    assert agent_label("runs/zoo/r5/s3") == "r5/s3"
    assert agent_label("runs/my-run") == "runs/my-run"
    assert str(group_dir(["r5/s0", "control/s0"])) == "results/hypotheses/r5-s0+control-s0"
    assert group_dir([f"r{r}/s{s}" for r in (0, 1) for s in range(5)]).name == "r0+r1"


@pytest.mark.slow
def test_analyze_hypotheses_on_the_tiny_zoo_writes_a_table_per_condition_and_the_region_sweep(tiny_zoo, tmp_path):
    from cheesemaze.scripts.main import main as cli

    out = tmp_path / "hypotheses"
    groups = [f"{tiny_zoo}/{condition}/*" for condition in ("r1", "control")]
    assert cli(["analyze", "hypotheses", *groups, "--n-calibration", "12", "--n-test", "12", "--n-shutdown", "0",
                "--samples", "8", "--out", str(out)]) == 0
    summary = pd.read_csv(out / "across_seeds.csv")
    assert list(dict.fromkeys(summary["condition"])) == ["r1", "control"]  # labelled r1/s0 ..., not by path
    assert set(summary["fitted_on"]) == {"itself", "another r1 seed", "another control seed", "control seeds",
                                         "r1 seeds"}
    assert (summary["targets"] == 2).all()
    for measure in MEASURES:
        finite = summary[np.isfinite(summary[measure])]
        assert (finite[f"{measure}_low"] <= finite[measure] + 1e-12).all(), measure
        assert (finite[measure] <= finite[f"{measure}_high"] + 1e-12).all(), measure
    sweep = pd.read_csv(out / "region_sweep.csv", dtype={"region": str})
    assert set(sweep["region"]) == {"1", "anywhere"}
    report = (out / "report.md").read_text()
    assert "### r1 (2 seeds)" in report and "### control (2 seeds)" in report
    assert "correlates of reinforcement" in report and (out / "figures" / "region_sweep.png").is_file()
    assert "trained and tested in the 7x7 world" in report and "target seeds only" in report


def test_a_source_whose_gain_is_undefined_is_not_averaged_away(table):
    broken = table.copy()
    hit = (broken["relation"] == "r5: across seeds") & (broken["model"] == "correlates") & (
        broken["source"] == "r5/s0") & (broken["target"] == "r5/s1")
    broken.loc[hit, "gain"] = np.nan  # e.g. a base rate of minus infinity minus itself
    row = across_seeds(broken).query("fitted_on == 'another r5 seed' and model == 'correlates'").iloc[0]
    assert np.isnan(row["gain"]) and np.isnan(row["gain_low"])
    words = "\n".join(family_words(across_seeds(broken), broken))
    assert "fitted on another r5 seed, undefined (no interval: undefined)" in words and "nan" not in words


def test_the_per_agent_words_rule_out_a_fit_that_gave_an_observed_outcome_probability_zero(table):
    from cheesemaze.analysis.hypotheses.across_report import plain_words

    pair = table[table["source"].isin(["r5/s0", "r5/s1"]) & table["target"].isin(["r5/s0", "r5/s1"])].copy()
    hit = (pair["model"] == "correlates") & (pair["source"] == "r5/s0") & (pair["target"] == "r5/s1")
    pair.loc[hit, ["gain", "gain_low", "gain_high", "zero_probability"]] = [-np.inf, -np.inf, 0.2, 2]
    words = plain_words(pair)
    assert "On 2 of r5/s1's mazes that fit gave an observed outcome probability zero" in words
    assert "whether `correlates` fitted on r5/s0 predicts r5/s1" not in words  # not "cannot decide" as well


def test_a_seed_whose_fit_stopped_at_a_bound_is_named_with_every_seeds_gain(table):
    parameters = {"r5/s1": {"correlates": {"fit": {"at_bounds": ["intercept", "slope d_euclid_cheese_tr"]}}},
                  "r5/s0": {"correlates": {"fit": {"at_bounds": []}}}}
    words = "\n".join(family_words(across_seeds(table), table, parameters))
    own = table[(table["relation"] == "r5: within agent") & (table["model"] == "correlates")].set_index("target")["gain"]
    assert (f"On r5/s1 the fit stopped at a bound (intercept, slope d_euclid_cheese_tr) and scores "
            f"{own['r5/s1']:+.3f}; the other seeds {own['r5/s0']:+.3f} (r5/s0), {own['r5/s2']:+.3f} (r5/s2).") in words
    assert "control/s0 the fit stopped" not in words
    assert "stopped at a bound" not in "\n".join(family_words(across_seeds(table), table))


def test_near_zero_outcomes_are_counted_apart_from_zeros_and_not_smoothed():
    docs = {a: document(a) for a in AGENTS}
    probs = np.array(docs["r5/s0"]["probabilities"]["correlates"])
    probs[0] = [1e-9, 0.5, 0.5 - 1e-9]  # r5/s0 got the cheese on its first maze
    docs["r5/s0"]["probabilities"]["correlates"] = probs.tolist()
    near = cross_scores(docs, {a: episodes(a) for a in AGENTS}, "sampled", 20, 0)
    row = near[(near["source"] == "r5/s0") & (near["target"] == "r5/s0") & (near["model"] == "correlates")].iloc[0]
    assert (row["zero_probability"], row["near_zero_probability"]) == (0, 1) and np.isfinite(row["mean_ll"])
    words = "\n".join(family_words(across_seeds(near), near))
    assert "given 0 < P < 1e-6 (near-zero, not smoothed): r5/s0 1, r5/s1 0, r5/s2 0" in words


def test_every_hypothesis_has_a_line_and_correlates_is_compared_with_utility(table):
    utility = table[table["model"] == "correlates"].assign(model="utility")
    utility["gain"] += np.where(utility["target"] == "r5/s1", 0.3, -0.2)  # differs in sign across seeds
    compatible = table[table["model"] == "intended"].assign(model="compatible")
    both = pd.concat([table, utility, compatible], ignore_index=True)
    parameters = {a: {"compatible": {"samples": 256}, "intended": None} for a in AGENTS}
    words = "\n".join(family_words(across_seeds(both), both, parameters))
    assert "**r5, time-discounted utility** (`utility`)" in words
    assert "**r5, intended goal (the cheese)** (`intended`)" in words and "Observed outcomes given P = 0: r5/s0 3" in words
    assert "- r5: `correlates` minus `utility`, per seed" in words and "cannot tell `correlates` and `utility` apart" in words
    assert "averages K = 256 sampled goals" in words and "not that the account gives it probability 0" in words
    assert "the opening paragraph says on which agents they go beyond that sampling error" in words
    assert words.count("sampling zeros") == 2  # compatible in both conditions, not intended


def test_with_one_seed_no_sentence_speaks_of_intervals_that_are_not_there(table):
    one_each = ["r5/s0", "control/s0"]
    single = table[table["target"].isin(one_each) & table["source"].isin(one_each)]
    words = "\n".join(family_words(across_seeds(single), single))
    assert "(no interval: one seed)" in words and "Those intervals leave out" not in words


def test_an_unconverged_fit_is_named_with_why_and_its_gain(table):
    parameters = {"r5/s2": {"correlates": {"fit": {"converged": False, "evaluations": 436,
                                                   "message": "Maximum number of function evaluations"}}},
                  "r5/s0": {"correlates": {"fit": {"converged": True}}}}
    words = "\n".join(family_words(across_seeds(table), table, parameters))
    own = table[(table["relation"] == "r5: within agent") & (table["model"] == "correlates")].set_index("target")["gain"]
    assert (f"The fit did not converge on r5/s2 (Maximum number of function evaluations, after 436 likelihood "
            f"evaluations; gain {own['r5/s2']:+.3f})") in words
    assert "did not converge" not in "\n".join(family_words(across_seeds(table), table))


def test_the_headline_sorts_conditions_by_what_their_interval_over_seeds_says(table):
    summary = across_seeds(table)
    text = headline(summary, table)
    rows = summary[(summary["model"] == "correlates") & (summary["fitted_on"] == "itself")].set_index("condition")
    assert rows.loc["r5", "gain_low"] > 0 and rows.loc["control", "gain_low"] < 0 < rows.loc["control", "gain_high"]
    r5 = rows.loc["r5"]
    assert (f"predicts outcomes better than the base rate across seeds in r5 ({r5['gain']:+.3f}, "
            f"{r5['gain_low']:+.3f} to {r5['gain_high']:+.3f}, 3 seeds)") in text
    assert "cannot be told from the base rate across seeds in control (" in text
    assert "training-compatible" not in text  # no compatible model in this table
    ruled = table.copy()
    compatible = ruled[ruled["model"] == "intended"].assign(model="compatible")
    text = headline(across_seeds(pd.concat([ruled, compatible])), pd.concat([ruled, compatible]))
    zeros = compatible[compatible["relation"].str.endswith("within agent")]["zero_probability"]
    assert zeros.gt(0).all()
    assert (f"gave an observed outcome probability zero on {len(zeros)} of {len(zeros)} agents ({int(zeros.min())} to "
            f"{int(zeros.max())} test mazes each), which rules out that average") in text
    assert "needs K and the allowed cells" in text  # K unknown here
    both = pd.concat([ruled, compatible])
    cells = compatible[compatible["relation"].str.endswith("within agent")]["allowed_cells"]
    assert (cells == 18).all()  # 6 mazes, every outcome allowed (no random walk)
    many = headline(across_seeds(both), both, {a: {"compatible": {"samples": 256}} for a in AGENTS})
    # 2 or 3 zeros where 18 cells at most 0.0014 each give 0.026 expected: beyond its error; control/s0's one is not
    assert zeros.tolist().count(1) == 1
    assert f"On {len(zeros) - 1} of those {len(zeros)} agents there are more zeros than that allows" in many
    assert "on control/s0 (1 against at most 0.026 expected) the zeros are within that error" in many
    few = headline(across_seeds(both), both, {a: {"compatible": {"samples": 2}} for a in AGENTS})
    # with 2 goals a cell may be missed and observed with probability 4/27: 2.7 expected of 18 cells
    assert "On none of them are there more zeros than that allows (r5/s0 (3 against at most 2.7 expected)" in few
    assert "so the data cannot rule out the account itself." in few
    one = table[table["target"].isin(["r5/s0", "control/s0"]) & table["source"].isin(["r5/s0", "control/s0"])]
    assert "r5, control: one seed each so far" in headline(across_seeds(one), one)


def test_every_source_gets_its_own_colour_in_its_conditions_hue():
    sources = [f"{c}/s{i}" for c, n in (("r0", 3), ("r2", 3), ("r5", 5), ("r7", 3), ("r10", 3), ("control", 5))
               for i in range(n)]
    colours = source_colours(sources)
    assert len(set(colours.values())) == len(sources) == 22
    for k, condition in enumerate(("r0", "r2", "r5", "r7", "r10", "control")):
        assert colours[f"{condition}/s0"] == to_rgb(HUES[k])  # the first seed has the condition's hue itself
        later = np.array(colours[f"{condition}/s2"])
        base = np.array(to_rgb(HUES[k]))
        assert (later >= base - 1e-12).all() and later.sum() > base.sum()  # later seeds are lighter shades of it
