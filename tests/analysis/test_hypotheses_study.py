"""The whole study on a scripted agent: files, order of writing, and the report."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from hypotheses_synthetic import TwoMotivations, stand_in

from cheesemaze.analysis.hypotheses.compatible import CompatibleConfig
from cheesemaze.analysis.hypotheses.predictions import PredictConfig, read_predictions
from cheesemaze.analysis.hypotheses.study import MOVES_ONLY_CAVEAT, StudyConfig, run_study, seed_blocks
from cheesemaze.analysis.hypotheses.utility import UtilityConfig

SMALL = StudyConfig(n_calibration=60, n_test=80, n_shutdown=30, resamples=100,
                    predict=PredictConfig(compatible=CompatibleConfig(samples=16),
                                          utility=UtilityConfig(max_evaluations=5)))


@pytest.mark.slow
def test_study_writes_predictions_before_the_test_rollouts_and_a_report(tmp_path):
    agent = stand_in(TwoMotivations())
    out = tmp_path / "hypotheses"
    summary = run_study(agent, out, SMALL, say=lambda _: None)
    document = read_predictions(out / "predictions.json")
    assert (out / "predictions.json").stat().st_mtime <= (out / "test" / "episodes.csv").stat().st_mtime
    for name in ("scores.csv", "scores.md", "bayes_factors.csv", "calibration.csv", "per_maze.csv",
                 "shutdown.csv", "summary.json", "report.md"):
        assert (out / name).is_file(), name
    for stem in ("predicted_observed", "calibration", "ll_differences", "consistency", "shutdown"):
        assert (out / "figures" / f"{stem}.png").is_file(), stem
    report = (out / "report.md").read_text()
    assert document["config_hash"][:12] in report and "## Shutdown cell" in report
    saved = json.loads((out / "summary.json").read_text())
    assert saved["config_hash"] == document["config_hash"]
    # the scripted agent follows a two-motivation rule: the correlates model should beat the intended goal
    scores = {row["hypothesis"]: row for row in summary["scores"]}
    assert scores["correlates"]["accuracy"] > scores["intended"]["accuracy"]


class Said(Exception):
    pass


def stop(text):
    raise Said(text)


def test_a_moves_only_agent_is_warned_about_before_any_rollout(tmp_path):
    agent = stand_in(TwoMotivations())
    agent.config.ppo = SimpleNamespace(moves_only=True)
    with pytest.raises(Said) as said:
        run_study(agent, tmp_path / "hypotheses", SMALL, say=stop)
    assert str(said.value) == MOVES_ONLY_CAVEAT
    assert not (tmp_path / "hypotheses").exists()
    agent.config.ppo.moves_only = False
    with pytest.raises(Said, match="^calibration"):  # without the option the calibration comes first
        run_study(agent, tmp_path / "hypotheses", SMALL, say=stop)


def test_seed_blocks_refuse_training_seeds():
    agent = stand_in(TwoMotivations())
    with pytest.raises(ValueError, match="training"):
        seed_blocks(agent, StudyConfig(level_start=500))
    cal, test, shut = seed_blocks(agent, SMALL)
    assert cal.stop == test.start and test.stop == shut.start and len(shut) == 30


@pytest.mark.slow
def test_identical_reruns_give_identical_hashes(tmp_path):
    import dataclasses

    tiny = dataclasses.replace(SMALL, n_calibration=30, n_test=30, n_shutdown=0, resamples=20)
    hashes = []
    for name in ("first", "second"):
        run_study(stand_in(TwoMotivations()), tmp_path / name, tiny, say=lambda _: None)
        document = read_predictions(tmp_path / name / "predictions.json")
        assert str(tmp_path) not in json.dumps({k: document[k] for k in ("config", "calibration", "parameters")})
        hashes.append(document["config_hash"])
    assert hashes[0] == hashes[1]


def test_the_study_draws_seeds_no_earlier_step_of_report_rolled_out():
    from cheesemaze.agents.config import CPU_EASY
    from cheesemaze.analysis.hypotheses.study import LEVEL_OFFSET

    agent = stand_in(TwoMotivations())
    agent.config.test_levels = CPU_EASY.test_levels
    cal, test, shut = seed_blocks(agent, StudyConfig())
    assert cal.start == CPU_EASY.test_levels[0] + LEVEL_OFFSET
    # 'cheesemaze report' first evaluates the first held-out seeds for the behavioural statistics (1,000
    # by default; evaluations, comparisons and training-time evaluations also start there)
    earlier = range(CPU_EASY.test_levels[0], CPU_EASY.test_levels[0] + 1_000_000)
    assert earlier.stop <= cal.start < cal.stop == test.start < test.stop == shut.start
