"""Predict, then score: prediction files, their hashes, the refusals, and the two commands end to end."""

from __future__ import annotations

import json
import os
import shutil
import time

import numpy as np
import pandas as pd
import pytest
from hypotheses_synthetic import play

from cheesemaze.agents.config import CPU_EASY
from cheesemaze.agents.rundir import create_run_dir
from cheesemaze.analysis.evaluation import write_evaluation
from cheesemaze.analysis.hypotheses.compatible import CompatibleConfig
from cheesemaze.analysis.hypotheses.graph import batch_graphs, maze_graphs
from cheesemaze.analysis.hypotheses.predictions import (
    PredictConfig, align, load_calibration, make_predictions, predicted_mazes, read_predictions, write_predictions,
)
from cheesemaze.analysis.hypotheses.utility import DiscountedUtility, UtilityConfig, UtilityParams
from cheesemaze.scripts.main import main

START = CPU_EASY.test_levels[0]
CALIBRATION = range(START, START + 60)
TEST = range(START + 60, START + 140)
CONFIG = PredictConfig(compatible=CompatibleConfig(samples=16), utility=UtilityConfig(max_evaluations=10))


def episodes(seeds):
    """An episode table of a known utility agent on the decision-square mazes of ``seeds``."""
    mazes = predicted_mazes(seeds, 15, True)
    batch = batch_graphs(maze_graphs(mazes))
    policy, _ = DiscountedUtility().policy(batch, UtilityParams(cheese_bonus=0.5, scale=3.0, gamma=0.9, beta=0.1))
    return play(batch, policy, seed=seeds.start)


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("hypotheses")
    run_dir = create_run_dir(root / "run", CPU_EASY.with_precision("float32"))
    write_evaluation(root / "calibration", episodes(CALIBRATION), {})
    write_evaluation(root / "test", episodes(TEST), {})
    return root, run_dir


@pytest.fixture(scope="module")
def document(folders):
    root, _ = folders
    calibration = load_calibration(root / "calibration", 15, CONFIG)
    return make_predictions(TEST, 15, CONFIG, calibration, CPU_EASY.train_levels)


def test_document_holds_every_hypothesis_for_every_decision_square_maze(document):
    assert list(document["probabilities"]) == ["base-rate", "random-walk", "intended", "compatible", "correlates",
                                               "utility"]
    n = len(predicted_mazes(TEST, 15, True))
    for probs in document["probabilities"].values():
        assert np.asarray(probs).shape == (n, 3)
        np.testing.assert_allclose(np.sum(probs, axis=1), 1.0, atol=1e-9)
    assert len(document["power_seeking"]["bound"]) == n


def test_same_inputs_same_config_hash_and_predictions(folders, document, tmp_path):
    root, _ = folders
    # the same calibration table elsewhere (a rerun's fresh folder): the hash does not see the path
    shutil.copytree(root / "calibration", tmp_path / "elsewhere")
    again = make_predictions(TEST, 15, CONFIG, load_calibration(tmp_path / "elsewhere", 15, CONFIG))
    assert again["calibration_file"] != document["calibration_file"]
    assert again["config_hash"] == document["config_hash"]
    assert again["probabilities"] == document["probabilities"]
    other = PredictConfig(compatible=CompatibleConfig(samples=16, seed=1), utility=CONFIG.utility)
    assert make_predictions(TEST, 15, other)["config_hash"] != document["config_hash"]


def test_files_round_trip_are_never_overwritten_and_refuse_edits(tmp_path, document):
    path = write_predictions(tmp_path / "p.json", document)
    assert read_predictions(path) == document
    with pytest.raises(FileExistsError):
        write_predictions(path, document)
    edited = json.loads(path.read_text())
    edited["probabilities"]["intended"][0] = [0.5, 0.5, 0.0]
    (tmp_path / "edited.json").write_text(json.dumps(edited))
    with pytest.raises(ValueError, match="changed after it was written"):
        read_predictions(tmp_path / "edited.json")


def test_overlapping_calibration_or_training_seeds_are_refused(folders):
    root, _ = folders
    calibration = load_calibration(root / "calibration", 15, CONFIG)
    with pytest.raises(ValueError, match="calibration seeds"):
        make_predictions(CALIBRATION, 15, CONFIG, calibration)
    with pytest.raises(ValueError, match="training seeds"):
        make_predictions(range(10, 20), 15, CONFIG, None, CPU_EASY.train_levels)


def test_align_refuses_scoring_calibration_mazes(folders, document):
    root, _ = folders
    from cheesemaze.analysis.evaluation import read_episodes

    test_rows = read_episodes(root / "test")
    cheated = dict(document, calibration=dict(document["calibration"], level_seeds=list(TEST)))
    with pytest.raises(ValueError, match="calibration seeds"):
        align(cheated, test_rows)
    alignment = align(document, test_rows)
    assert len(alignment.rows) == len(document["level_seeds"])
    assert alignment.predicted_not_evaluated == 0


def test_predict_then_score_commands(folders, capsys):
    root, run_dir = folders
    out = root / "cli.json"
    code = main(["predict", str(run_dir), "--levels", f"{TEST.start}:{TEST.stop}",
                 "--calibration", str(root / "calibration"), "--samples", "16", "--out", str(out)])
    assert code == 0
    document = read_predictions(out)
    assert "utility" in document["probabilities"]
    assert document["agent"]["agent"] == run_dir.name
    time.sleep(0.01)
    os.utime(root / "test" / "episodes.csv")  # the rollout comes after the prediction
    assert main(["score", str(out), str(root / "test"), "--resamples", "50", "--out", str(root / "scores")]) == 0
    printed = capsys.readouterr().out
    assert "correlates" in printed and "log BF" in printed
    summary = json.loads((root / "scores" / "scores.json").read_text())
    assert summary["predicted_before_evaluation"] is True
    assert {row["hypothesis"] for row in summary["scores"]} == {"base-rate", "random-walk", "intended", "compatible",
                                                                "correlates", "utility"}
    assert (root / "scores" / "scores.md").read_text().startswith("| hypothesis |")


@pytest.mark.parametrize("levels, message", [("5", "START:STOP"), ("20:10", "START < STOP"),
                                             ("10:20", "training seeds")])
def test_predict_rejects_bad_levels(folders, capsys, levels, message):
    _, run_dir = folders
    assert main(["predict", str(run_dir), "--levels", levels]) == 2
    assert message in capsys.readouterr().err


def test_score_rejects_calibration_as_evaluation_and_missing_files(folders, tmp_path, capsys):
    root, run_dir = folders
    out = tmp_path / "p.json"
    assert main(["predict", str(run_dir), "--levels", f"{TEST.start}:{TEST.stop}", "--out", str(out)]) == 0
    assert main(["score", str(out), str(root / "calibration")]) == 2
    assert "none of the predicted level seeds" in capsys.readouterr().err
    assert main(["score", str(tmp_path / "missing.json"), str(root / "test")]) == 2


def test_score_says_when_the_evaluation_holds_only_some_predicted_mazes(folders, tmp_path, capsys):
    from cheesemaze.analysis.evaluation import EPISODES_FILE, read_episodes

    root, run_dir = folders
    out = tmp_path / "p.json"
    assert main(["predict", str(run_dir), "--levels", f"{TEST.start}:{TEST.stop}",
                 "--calibration", str(root / "calibration"), "--samples", "16", "--out", str(out)]) == 0
    rows = read_episodes(root / "test")
    kept = sorted(set(rows["level_seed"]))[: len(set(rows["level_seed"])) // 2]
    part = tmp_path / "part"
    part.mkdir()
    rows[rows["level_seed"].isin(kept)].to_csv(part / EPISODES_FILE, index=False)
    capsys.readouterr()
    assert main(["score", str(out), str(part), "--resamples", "20", "--out", str(tmp_path / "scores")]) == 0
    printed = capsys.readouterr().out
    summary = json.loads((tmp_path / "scores" / "scores.json").read_text())
    missing = summary["predicted_not_evaluated"]
    assert missing > 0 and f"note: {missing} of the" in printed and "not in the evaluation" in printed


def test_scoring_notes_an_evaluation_of_another_agent_or_checkpoint():
    from cheesemaze.analysis.hypotheses.predictions import other_agent

    document = {"agent": {"agent": "r5", "num_timesteps": 2502656}}
    assert other_agent(document, {"agent": "r5", "num_timesteps": 2502656}) is None
    assert "'control'" in other_agent(document, {"agent": "control", "num_timesteps": 3002368})
    assert "at 100 steps" in other_agent(document, {"agent": "r5", "num_timesteps": 100})
    assert other_agent({"agent": None}, {"agent": "control"}) is None  # a document from before the field
    assert other_agent(document, {}) is None  # names no checkpoint, and the evaluation says nothing
    hashed = {"agent": {"agent": "s0", "num_timesteps": 100, "checkpoint_sha256": "a" * 64}}
    assert other_agent(hashed, {"agent": "s0", "num_timesteps": 100, "checkpoint_sha256": "a" * 64}) is None
    assert "checkpoint bbbbbbbbbbbb" in other_agent(hashed, {"agent": "s0", "num_timesteps": 100,
                                                             "checkpoint_sha256": "b" * 64})
    assert "does not record which checkpoint" in other_agent(hashed, {"agent": "s0"})


def test_score_refuses_another_agents_evaluation_unless_told(folders, tmp_path, capsys):
    root, _ = folders
    calibration = load_calibration(root / "calibration", 15, CONFIG)
    ours = {"agent": "s0", "num_timesteps": 100, "checkpoint_sha256": "a" * 64}
    path = write_predictions(tmp_path / "p.json", make_predictions(TEST, 15, CONFIG, calibration, None, ours))
    theirs = tmp_path / "theirs"
    shutil.copytree(root / "test", theirs)
    (theirs / "summary.json").write_text(json.dumps({**ours, "checkpoint_sha256": "b" * 64}))
    assert main(["score", str(path), str(theirs), "--resamples", "20", "--out", str(tmp_path / "s1")]) == 2
    assert "pass --other-agent" in capsys.readouterr().err and not (tmp_path / "s1").exists()
    assert main(["score", str(path), str(theirs), "--resamples", "20", "--other-agent", "--out", str(tmp_path / "s2")]) == 0
    assert "cross-agent score" in capsys.readouterr().out
    assert "checkpoint bbbbbbbbbbbb" in json.loads((tmp_path / "s2" / "scores.json").read_text())["cross_agent"]
    (theirs / "summary.json").write_text(json.dumps(ours))
    assert main(["score", str(path), str(theirs), "--resamples", "20", "--out", str(tmp_path / "s3")]) == 0


def test_a_training_distribution_calibration_adds_intended_plus_noise(folders, tmp_path):
    from cheesemaze.analysis.evaluation import read_episodes

    root, _ = folders
    rows = read_episodes(root / "calibration")
    both = pd.concat([rows, rows.assign(distribution="train", region="5", outcome="cheese")], ignore_index=True)
    write_evaluation(tmp_path / "calibration", both, {})
    calibration = load_calibration(tmp_path / "calibration", 15, CONFIG)
    assert calibration.training_outcomes == ["cheese"] * len(rows)
    document = make_predictions(TEST, 15, CONFIG, calibration)
    assert "intended+noise" in document["probabilities"]
    assert document["parameters"]["intended+noise"]["failure_rate"] == pytest.approx(0.5 / (len(rows) + 1))
    # an agent trained with the cheese anywhere: its training-distribution rows are cheese-anywhere mazes too
    write_evaluation(tmp_path / "control", pd.concat([rows, rows.assign(distribution="train")]), {})
    control = load_calibration(tmp_path / "control", 15, CONFIG)
    assert len(control.rows) == len(rows) and control.training_outcomes == list(rows["outcome"])
    test_rows = read_episodes(root / "test")
    both_test = pd.concat([test_rows, test_rows.assign(distribution="train")], ignore_index=True)
    assert len(align(document, both_test).rows) == len(document["level_seeds"])
