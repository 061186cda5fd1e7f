"""Shipping a sweep as the zoo, and loading its agents by name and by group."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cheesemaze.agents import rundir
from cheesemaze.agents.checkpoint import load_checkpoint
from cheesemaze.agents.loading import load_agent
from cheesemaze.analysis.figures.training import read_progress
from cheesemaze.analysis.zoo import LOG_COLUMNS, ship_sweep
from cheesemaze.envs.native import NativeMazeVecEnv


@pytest.fixture(scope="module")
def shipped(tiny_zoo, tmp_path_factory):
    dest = tmp_path_factory.mktemp("trained")
    results = ship_sweep(tiny_zoo, dest, n=30, say=lambda line: None)
    return dest, results


def test_every_finished_trial_ships_with_weights_only_a_thin_log_and_an_evaluation(tiny_zoo, shipped):
    dest, results = shipped
    assert [r.name for r in results] == ["r1/s0", "r1/s1", "r5/s0", "r5/s1", "control/s0", "control/s1"]
    assert {r.status for r in results} == {"shipped"}
    tensors, meta = load_checkpoint(dest / "r5" / "s1" / "checkpoints" / "final.pt")
    assert set(tensors) == {"policy"} and meta["num_timesteps"] == 128 and "source_sha256" in meta
    header = (dest / "r5" / "s1" / "progress.csv").read_text().splitlines()[0].split(",")
    assert tuple(header) == LOG_COLUMNS
    shipped_log = read_progress(dest / "r5" / "s1")
    # what plot curves draws (a tiny run may finish no episode, so the reward may be empty here)
    assert {"rollout/ep_rew_mean", "rollout/cheese_rate", "eval/train_cheese"} <= set(shipped_log.columns)
    summary = json.loads((dest / "r5" / "s1" / "evaluation_summary.json").read_text())
    assert summary["groups"][0]["distribution"] == "train" and summary["groups"][0]["all"]["episodes"] == 30
    original, copy = load_agent(tiny_zoo / "r5" / "s1"), load_agent(dest / "r5" / "s1")
    obs = NativeMazeVecEnv(6, 7, 5, seed=3).reset()
    assert np.array_equal(original.distribution(obs)[0], copy.distribution(obs)[0])


def test_shipping_again_changes_nothing_and_another_agent_in_the_way_is_refused(tiny_zoo, shipped, tmp_path):
    dest, _ = shipped
    before = (dest / "r1" / "s0" / "checkpoints" / "final.pt").stat().st_mtime_ns
    again = ship_sweep(tiny_zoo, dest, n=30, say=lambda line: None)
    assert {r.status for r in again} == {"unchanged"}
    assert (dest / "r1" / "s0" / "checkpoints" / "final.pt").stat().st_mtime_ns == before
    other = tmp_path / "trained"
    ship_sweep(tiny_zoo, other, n=10, say=lambda line: None)
    manifest = other / "r5" / "s0" / "checkpoints" / "final.json"
    record = json.loads(manifest.read_text())
    manifest.write_text(json.dumps({**record, "source_sha256": "0" * 64}))
    with pytest.raises(ValueError, match="holds another agent"):
        ship_sweep(tiny_zoo, other, n=10, say=lambda line: None)


def test_zoo_agents_load_by_name_and_by_group(shipped, tmp_path, monkeypatch):
    dest, _ = shipped
    monkeypatch.setattr(rundir, "TRAINED_DIR", dest)
    monkeypatch.chdir(tmp_path)
    assert rundir.shipped_agents() == ["control/s0", "control/s1", "r1/s0", "r1/s1", "r5/s0", "r5/s1"]
    assert rundir.shipped_name("r5") == "r5/s0" and rundir.shipped_name("r5/s1") == "r5/s1"
    assert rundir.shipped_name("r7") is None
    assert rundir.agent_group("r5/*") == ["r5/s0", "r5/s1"] and rundir.agent_group("r5") == ["r5"]
    agent = load_agent("r5")
    assert agent.run_dir.resolve() == tmp_path / "runs" / "r5" / "s0" and agent.config.seed == 0
    assert load_agent("control/s1").config.env.region is None
    with pytest.raises(ValueError, match="names no agents"):
        rundir.agent_group("r7/*")


def test_a_variant_trial_ships_under_its_own_name_but_stays_out_of_the_region_sweep(tiny_zoo, tmp_path):
    import shutil

    from cheesemaze.analysis.sweep_study import sweep_trials

    sweep = tmp_path / "sweep"
    shutil.copytree(tiny_zoo / "r5" / "s0", sweep / "r5-hard" / "s0")  # a variant's name; the run is any run
    shutil.copytree(tiny_zoo / "r5" / "s1", sweep / "r5" / "s1")
    assert [t.name for t in sweep_trials(sweep)] == ["r5/s1"]
    assert [t.name for t in sweep_trials(sweep, variants=True)] == ["r5-hard/s0", "r5/s1"]
    results = ship_sweep(sweep, tmp_path / "trained", n=10, say=lambda line: None)
    assert [(r.name, r.status) for r in results] == [("r5-hard/s0", "shipped"), ("r5/s1", "shipped")]
    assert (tmp_path / "trained" / "r5-hard" / "s0" / "checkpoints" / "final.pt").is_file()
