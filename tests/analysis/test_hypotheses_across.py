"""Prediction across agents: the split (fit on one agent, score on another), its order of work, the
aggregation across seeds, and the refusals."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from hypotheses_synthetic import TwoMotivations, stand_in
from test_hypotheses_study import SMALL

from cheesemaze.analysis.hypotheses.across import across_seeds, relation, run_group_study
from cheesemaze.analysis.hypotheses.predictions import read_predictions

GROUP = dataclasses.replace(SMALL, n_shutdown=0)


def test_relations_name_within_across_seeds_and_across_conditions():
    assert relation("r5/s0", "r5/s0") == "r5: within agent"
    assert relation("r5/s0", "r5/s3") == "r5: across seeds"
    assert relation("r5/s0", "control/s0") == relation("r5", "control") == "r5 -> control"


def test_across_seeds_averages_sources_per_target_then_gives_a_t_interval_over_targets():
    rows = [("a", "b", 0.1), ("c", "b", 0.3), ("a", "c", 0.5), ("b", "c", 0.5), ("b", "a", 0.0), ("c", "a", 0.4)]
    table = pd.DataFrame([{"source": f"r5/{s}", "target": f"r5/{t}", "relation": "r5: across seeds", "model": "correlates",
                           "gain": g, "mean_ll": -1.0, "accuracy": 0.5, "brier": 0.5, "zero_probability": 0}
                          for s, t, g in rows])
    row = across_seeds(table).iloc[0]
    per_target = np.array([0.2, 0.5, 0.2])  # b, c, a
    half = 4.302653 * per_target.std(ddof=1) / np.sqrt(3)  # t(0.975, 2 df)
    assert (row["targets"], row["pairs"]) == (3, 6)
    assert row["gain"] == pytest.approx(0.3)
    assert (row["gain_low"], row["gain_high"]) == pytest.approx((0.3 - half, 0.3 + half), rel=1e-5)
    single = across_seeds(table[table["target"] == "r5/b"]).iloc[0]
    assert single["gain"] == pytest.approx(0.2) and np.isnan(single["gain_low"])  # one target: no interval


@pytest.mark.slow
def test_group_study_fits_on_each_agent_and_scores_on_every_agent(tmp_path):
    # "near" stands for a control: trained with the cheese anywhere, so its training distribution is anywhere
    agents = {"far/s0": stand_in(TwoMotivations(reach=8.0)), "near/s0": stand_in(TwoMotivations(reach=2.0), region=None)}
    out = tmp_path / "group"
    table = run_group_study(agents, out, GROUP, say=lambda _: None)
    for folder in ("far-s0", "near-s0"):
        assert (out / folder / "report.md").is_file() and (out / folder / "predictions.json").is_file()
    written = max((out / f / "predictions.json").stat().st_mtime for f in ("far-s0", "near-s0"))
    assert written <= min((out / f / "test" / "episodes.csv").stat().st_mtime for f in ("far-s0", "near-s0"))
    for name in ("across.csv", "across_seeds.csv", "across.md", "report.md", "figures/across.png",
                 "region_sweep.csv", "figures/region_sweep.png"):
        assert (out / name).is_file(), name
    assert set(table["relation"]) == {"far: within agent", "near: within agent", "far -> near", "near -> far"}
    models = set(read_predictions(out / "far-s0" / "predictions.json")["probabilities"])
    assert len(table) == 4 * len(models)
    # within-agent rows are the agents' own scores; unfitted models score alike from either source
    own = pd.read_csv(out / "near-s0" / "scores.csv").set_index("hypothesis")
    within = table[(table["relation"] == "near: within agent")].set_index("model")
    np.testing.assert_allclose(within.loc[own.index, "gain"], own["gain"])
    on_near = table[table["target"] == "near/s0"].set_index(["model", "source"])["mean_ll"]
    assert on_near[("random-walk", "far/s0")] == on_near[("random-walk", "near/s0")]
    # the rules differ, so a fit on the other agent predicts worse than the target's own fit
    assert on_near[("correlates", "far/s0")] < on_near[("correlates", "near/s0")]
    assert "fitted on far/s0 and scored on near/s0" in (out / "across.md").read_text()
    assert "### near (1 seed)" in (out / "report.md").read_text()


def test_group_study_refuses_agents_with_different_seed_blocks(tmp_path):
    other = stand_in(TwoMotivations())
    other.config.test_levels = (5000, 100_000)
    with pytest.raises(ValueError, match="same held-out seed blocks"):
        run_group_study({"a": stand_in(TwoMotivations()), "b": other}, tmp_path / "g", GROUP, say=lambda _: None)
    assert not (tmp_path / "g").exists()
