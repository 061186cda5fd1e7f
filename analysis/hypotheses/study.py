"""The whole hypotheses study for one agent: calibrate, predict, only then roll out, score and report.

Held-out level seeds are cut into three consecutive blocks: calibration (rolled out first, cheese
anywhere and on the training distribution; the fitted hypotheses and baselines learn from it), test
(predicted and written to ``predictions.json`` before any rollout on them, then rolled out and
scored), and shutdown (cheese-anywhere mazes with a shutdown cell, in each condition the agent can play). The blocks start
``LEVEL_OFFSET`` seeds into the agent's held-out range, past the seeds every other command rolls out
by default (evaluations, the behavioural statistics, comparisons and training-time evaluations take
the first ones), so no earlier step of ``cheesemaze report`` has played a test maze. Everything
lands in one new folder that appears whole or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from cheesemaze.analysis.evaluation import EPISODES_FILE, agent_record, read_episodes, run_evaluation
from cheesemaze.analysis.figures.canvas import save_figure
from cheesemaze.analysis.figures.hypotheses import (
    calibration_figure, consistency_figure, ll_difference_figure, predicted_observed_figure, shutdown_figure,
)
from cheesemaze.analysis.hypotheses.consistency import dynamic_consistency
from cheesemaze.analysis.hypotheses.predictions import (
    Calibration, PredictConfig, align, load_calibration, make_predictions, predicted_mazes, write_predictions,
)
from cheesemaze.analysis.hypotheses.report import json_safe, write_scores
from cheesemaze.analysis.hypotheses.scoring import flat_table, score
from cheesemaze.analysis.hypotheses.shutdown import shutdown_study, shutdown_summary
from cheesemaze.analysis.hypotheses.writeup import report_markdown
from cheesemaze.analysis.outputs import staged_dir
from cheesemaze.agents.loading import Agent
from cheesemaze.agents.rundir import agent_label
from cheesemaze.envs.maze import check_levels

LEVEL_OFFSET = 100_000_000
"""Where the study's seeds start in the agent's held-out range, unless told otherwise."""
LL_PAIRS = (("correlates", "utility"), ("correlates", "compatible"))
"""Per-maze log-likelihood differences drawn against maze features."""


@dataclass(frozen=True)
class StudyConfig:
    """Sizes and seeds of the study."""

    n_calibration: int = 300
    """Level seeds rolled out to fit the hypotheses (about half have a decision square)."""
    n_test: int = 600
    """Level seeds predicted, then rolled out and scored."""
    n_shutdown: int = 300
    """Cheese-anywhere level seeds for the shutdown variant (those with a decision square take a cell; 0 skips it)."""
    shutdown_steps_after: int = 1
    """How many steps past the decision square, on the branch to the top-right, the shutdown cell sits."""
    level_start: int | None = None
    """First level seed (default: ``LEVEL_OFFSET`` seeds into the agent's held-out range)."""
    seed: int = 0
    """Seed of the action sampling, the bootstrap, and (through ``predict``) the reward samples."""
    resamples: int = 1000
    """Bootstrap resamples for the intervals."""
    predict: PredictConfig = field(default_factory=PredictConfig)
    """The hypotheses and their fits."""

    def __post_init__(self) -> None:
        for name in ("n_calibration", "n_test", "resamples"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1; got {getattr(self, name)}")
        if self.n_shutdown < 0 or self.shutdown_steps_after < 1:
            raise ValueError("n_shutdown must be >= 0 and shutdown_steps_after >= 1")


def seed_blocks(agent: Agent, config: StudyConfig) -> tuple[range, range, range]:
    """Calibration, test and shutdown level seeds, checked against the agent's training range."""
    lo, hi = agent.config.test_levels
    start = lo + min(LEVEL_OFFSET, (hi - lo) // 2) if config.level_start is None else config.level_start
    total = config.n_calibration + config.n_test + config.n_shutdown
    check_levels(start, total, tuple(agent.config.train_levels))
    a, b = start + config.n_calibration, start + config.n_calibration + config.n_test
    return range(start, a), range(a, b), range(b, b + config.n_shutdown)


MOVES_ONLY_CAVEAT = (
    "Caveat: this agent's policy cannot stay put (ppo.moves_only: no NOOP, no move into a wall), while the "
    "training-compatible model and its n/(n+1) bound assume a mouse that can; read its predictions and the "
    "shutdown comparison with that in mind."
)


def moves_only(agent: Agent) -> bool:
    """Whether the agent was trained with ``ppo.moves_only`` (its policy has no action that stays put)."""
    return bool(getattr(getattr(agent.config, "ppo", None), "moves_only", False))


@dataclass(frozen=True)
class Prepared:
    """A study's state once its predictions are written and before any test rollout."""

    calibration: Calibration
    document: dict[str, Any]
    calibration_seeds: range
    test_seeds: range
    shutdown_seeds: range


def predict_config(agent: Agent, config: StudyConfig) -> PredictConfig:
    """The study's prediction settings, with the random walk pressing this agent's buttons."""
    return replace(config.predict, random_walk_actions=agent.config.env.action_mode)


def prepare(agent: Agent, folder: Path, config: StudyConfig, say: Callable[[str], None] = print) -> Prepared:
    """Roll out the calibration block into ``folder/calibration``, fit, and write ``folder/predictions.json``."""
    calibration_seeds, test_seeds, shutdown_seeds = seed_blocks(agent, config)
    predict = predict_config(agent, config)
    folder.mkdir(parents=True, exist_ok=True)
    say(f"calibration: rolling out {len(calibration_seeds)} mazes (cheese anywhere and training distribution)")
    run_evaluation(agent, folder / "calibration", len(calibration_seeds), level_start=calibration_seeds.start,
                   distributions=("anywhere", "train"), policies=(predict.calibration_policy,), seed=config.seed)
    calibration = replace(load_calibration(folder / "calibration", agent.config.env.world_size, predict),
                          path=f"calibration/{EPISODES_FILE}")
    say(f"predicting {len(test_seeds)} held-out level seeds (fitted on {len(calibration.rows)} calibration episodes)")
    document = make_predictions(test_seeds, agent.config.env.world_size, predict, calibration,
                                tuple(agent.config.train_levels), agent_record(agent))
    which = " (the mazes with a decision square)" if predict.decision_square_only else ""
    say(f"predicted {len(document['level_seeds'])} of those mazes{which}")
    write_predictions(folder / "predictions.json", document)
    return Prepared(calibration, document, calibration_seeds, test_seeds, shutdown_seeds)


def roll_out_test(agent: Agent, folder: Path, prepared: Prepared, config: StudyConfig,
                  say: Callable[[str], None] = print) -> None:
    """Roll out the test block into ``folder/test`` (after every prediction is written)."""
    say(f"test: rolling out {len(prepared.test_seeds)} mazes")
    run_evaluation(agent, folder / "test", len(prepared.test_seeds), level_start=prepared.test_seeds.start,
                   distributions=("anywhere",), policies=(config.predict.calibration_policy,), seed=config.seed)


def run_study(agent: Agent, out_dir: Path, config: StudyConfig, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the study into the new folder ``out_dir``; returns its summary."""
    seed_blocks(agent, config)
    if moves_only(agent):
        say(MOVES_ONLY_CAVEAT)
    with staged_dir(Path(out_dir)) as stage:
        prepared = prepare(agent, stage, config, say)
        roll_out_test(agent, stage, prepared, config, say)
        return finish(agent, stage, prepared, config, say)


def finish(agent: Agent, stage: Path, prepared: Prepared, config: StudyConfig,
           say: Callable[[str], None] = print) -> dict[str, Any]:
    """Score the test rollouts, draw the figures, run consistency and shutdown, write the report."""
    document, calibration = prepared.document, prepared.calibration
    env = agent.config.env
    policy = config.predict.calibration_policy
    alignment = align(document, read_episodes(stage / "test"), policy)
    scores = score(alignment.probabilities, alignment.observed, config.resamples, config.seed)
    write_scores(stage, scores, alignment, {"config_hash": document["config_hash"]})
    figures = stage / "figures"
    figures.mkdir()
    save_figure(predicted_observed_figure(alignment.probabilities, alignment.observed), figures / "predicted_observed")
    save_figure(calibration_figure(scores.calibration), figures / "calibration")
    pairs = [p for p in LL_PAIRS if all(f"ll_{h}" in scores.per_maze for h in p)]
    if pairs:
        save_figure(ll_difference_figure(scores.per_maze, alignment.rows, pairs), figures / "ll_differences")
    summary: dict[str, Any] = {"config": asdict(config), "config_hash": document["config_hash"],
                               "agent": document["agent"],
                               "level_seeds": {name: [block.start, block.stop] for name, block in (
                                   ("calibration", prepared.calibration_seeds), ("test", prepared.test_seeds),
                                   ("shutdown", prepared.shutdown_seeds))},
                               "scores": flat_table(scores.table).to_dict(orient="records")}
    say("dynamic consistency along the trajectories")
    utility = config.predict.utility
    test_mazes = predicted_mazes(list(alignment.rows["level_seed"]), env.world_size, False)
    consistency = dynamic_consistency((calibration.rows, calibration.mazes), (alignment.rows, test_mazes),
                                      config.resamples, config.seed, utility.decay, utility.distance)
    summary["consistency"] = consistency.summary
    save_figure(consistency_figure(consistency.test_steps), figures / "consistency")
    if config.n_shutdown:
        say(f"shutdown variant: {len(prepared.shutdown_seeds)} cheese-anywhere level seeds")
        shutdown = shutdown_study(agent, prepared.shutdown_seeds, config.predict.compatible,
                                  config.shutdown_steps_after, config.seed)
        shutdown.table.to_csv(stage / "shutdown.csv", index=False)
        summary["shutdown"] = shutdown_summary(shutdown, config.resamples, config.seed)
        save_figure(shutdown_figure(summary["shutdown"]), figures / "shutdown")
    power = document["power_seeking"]
    summary["power_seeking"] = {
        "compatible_p_avoid_cheese_mean": float(np.mean(power["p_avoid_cheese"])),
        "bound_mean": float(np.mean(power["bound"])),
        "agent_avoid_cheese_rate": float((alignment.rows["outcome"] != "cheese").mean()),
    }
    (stage / "summary.json").write_text(json.dumps(json_safe(summary), indent=2) + "\n")
    caveats = [MOVES_ONLY_CAVEAT] if moves_only(agent) else []
    name = agent_label(getattr(agent, "run_dir", "agent"))
    (stage / "report.md").write_text(report_markdown(name, env.world_size, document, scores, summary, caveats))
    return summary
