"""cheesemaze compare: paired by seed on the same mazes, exact McNemar, an interval across seeds."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from cheesemaze.analysis.compare import Played, across_seeds, exact_mcnemar, match_seeds, pair_row
from cheesemaze.scripts.main import main as cli

def test_exact_mcnemar_matches_the_binomial_by_hand():
    assert exact_mcnemar(0, 5) == pytest.approx(2 * 0.5**5)
    assert exact_mcnemar(1, 6) == pytest.approx(2 * (1 + 7) / 2**7)
    assert exact_mcnemar(3, 3) == 1.0 and exact_mcnemar(0, 0) == 1.0


def played(name, seed, outcomes, dsq=None):
    n = len(outcomes)
    return Played(name, seed, pd.DataFrame({"level_seed": range(n), "outcome": outcomes,
                                            "has_dsq": dsq if dsq is not None else [True] * n}))


def test_pairs_count_only_decision_square_mazes_and_the_discordant_ones():
    a = played("a", 0, ["cheese", "cheese", "other", "top_right", "cheese"], dsq=[True, True, True, True, False])
    b = played("b", 0, ["cheese", "other", "cheese", "cheese", "other"])
    row = pair_row(a, b)
    assert row["paired_mazes"] == 4
    assert (row["a_only_cheese"], row["b_only_cheese"]) == (1, 2)
    assert row["diff_cheese"] == pytest.approx(2 / 4 - 3 / 4)
    assert row["mcnemar_p_cheese"] == pytest.approx(exact_mcnemar(1, 2))


def test_seeds_pair_by_training_seed_and_the_interval_is_over_seed_pairs():
    a = [played("a0", 0, ["cheese"] * 2), played("a1", 1, ["cheese", "other"]), played("a2", 2, ["other"] * 2)]
    b = [played("b1", 1, ["other"] * 2), played("b0", 0, ["cheese", "other"])]
    pairs = match_seeds(a, b)
    assert [(x.name, y.name) for x, y in pairs] == [("a0", "b0"), ("a1", "b1")]
    across = across_seeds(pd.DataFrame([pair_row(x, y) for x, y in pairs])).set_index("measure")
    # differences 0.5 and 0.5: mean 0.5, no spread, so the interval is the point
    assert across.loc["cheese", "mean_diff"] == pytest.approx(0.5)
    assert across.loc["cheese", "low"] == pytest.approx(0.5) and across.loc["cheese", "high"] == pytest.approx(0.5)
    single = across_seeds(pd.DataFrame([pair_row(a[0], b[1])])).set_index("measure")
    assert single.loc["cheese", "low"] != single.loc["cheese", "low"]  # NaN: one pair has no spread
    assert match_seeds([a[1]], [b[1]]) == [(a[1], b[1])] and match_seeds([a[0]], [b[0]]) == [(a[0], b[0])]
    with pytest.raises(ValueError, match="share no training seed"):
        match_seeds(a[2:] + a[:0] + [played("a3", 3, ["cheese"])], b)
    with pytest.raises(ValueError, match="holds training seed 1 twice"):
        match_seeds(a, b + [played("b1bis", 1, ["cheese"] * 2)])


def test_compare_two_groups_writes_every_table_and_a_figure(tiny_zoo, tmp_path, capsys):
    groups = tiny_zoo
    out = tmp_path / "cmp"
    code = cli(["compare", f"{groups}/r5/*", f"{groups}/control/*", "--n", "60", "--out", str(out)])
    assert code == 0
    summary = json.loads((out / "compare.json").read_text())
    assert [p["paired_mazes"] for p in summary["pairs"]] == [summary["agents_a"][0]["with_dsq"]] * 2
    assert summary["across_seeds"][0]["seed_pairs"] == 2 and summary["world_size"] == 7
    assert {"compare.md", "agents.csv", "pairs.csv", "across_seeds.csv", "compare.png", "compare.pdf"} <= {
        p.name for p in out.iterdir()}
    assert "Across 2 seed pairs" in (out / "compare.md").read_text()
    # the same episodes are kept in each agent's run directory and reused by a second comparison
    again = tmp_path / "cmp2"
    assert cli(["compare", f"{groups}/r5/*", f"{groups}/control/*", "--n", "60", "--out", str(again)]) == 0
    assert json.loads((again / "compare.json").read_text())["pairs"] == summary["pairs"]
    assert len(list((groups / "r5" / "s0" / "evaluations").glob("n60-*"))) == 1


@pytest.mark.parametrize("args, message", [
    (["nowhere/*", "r5"], "names no agents"),
    (["r5", "control", "--n", "0"], "--n must be at least 1"),
])
def test_bad_input_is_refused_with_a_line(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli(["compare", *args]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "results").exists()


def test_the_interval_over_seed_pairs_stays_within_what_a_difference_of_rates_can_be():
    from cheesemaze.analysis.compare import conclusion

    # two pairs that differ by -1.0 and -0.5: the t interval (df 1) reaches far below -1, clipped there
    pairs = pd.DataFrame({"diff_cheese": [-1.0, -0.5], "diff_top_right": [1.0, 0.0], "mcnemar_p_cheese": [1e-6, 0.02]})
    across = across_seeds(pairs).set_index("measure")
    assert across.loc["cheese", "low"] == -1.0 and -1.0 < across.loc["cheese", "mean_diff"] < across.loc["cheese", "high"]
    assert across.loc["top_right", "high"] == 1.0 and across.loc["top_right", "low"] < 0
    words = conclusion("r5", "control", across.reset_index(), pairs)
    # the same words as the README's headline: no difference ruled out, yet every pair went the same way
    assert "cannot rule out that the difference averages to zero" in words
    assert "every pair differs in the same direction (McNemar p 2.0e-02 or less)" in words
    assert "P(top-right | decision square) differs by +0.500" in words and "the interval includes 0" in words
    mixed = pairs.assign(diff_cheese=[-1.0, 0.5])
    assert "same direction" not in conclusion("r5", "control", across_seeds(mixed), mixed)
    apart = pd.DataFrame({"diff_cheese": [-0.10, -0.12, -0.11], "diff_top_right": [0.1, 0.12, 0.14],
                          "mcnemar_p_cheese": [0.01] * 3})
    words = conclusion("r5", "control", across_seeds(apart), apart)
    assert "The interval excludes 0: the conditions differ" in words and "the interval excludes 0)." in words
    undefined = across.reset_index().assign(low=float("nan"), high=float("nan"))
    assert "the interval over seeds is undefined" in conclusion("r5", "control", undefined, pairs)
