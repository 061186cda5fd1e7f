"""Prediction files: every hypothesis's outcome probabilities for a set of level seeds, written before
any rollout on them, stamped with a hash of what produced them.

A file is one JSON document. ``config_hash`` covers the recipe: the hypotheses' settings and fitted
parameters, the calibration file's SHA-256 and level seeds, the predicted level seeds and the world
size; not where the calibration file lay, so identical reruns get identical hashes. ``content_hash``
covers everything else too (the probabilities, the creation time, the agent's checkpoint hash), so
an edited file is refused when read. Calibration episodes are the cheese-anywhere rows of an
evaluation table (and, for ``intended+noise``, its training-distribution rows); the predicted seeds
may not overlap them, nor the agent's training seeds. No hypothesis may give probability to an
outcome the maze makes impossible (:func:`graph.possible_outcomes`): making such a prediction is an
error, not a score of -inf.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from cheesemaze.analysis.evaluation import EPISODES_FILE, episode_mazes, read_episodes
from cheesemaze.analysis.hypotheses.base import Hypothesis, outcome_indices
from cheesemaze.analysis.hypotheses.baselines import BaseRate, IntendedNoise, RandomWalk, random_action_probabilities
from cheesemaze.analysis.hypotheses.compatible import CHEESE, CompatibleConfig, CompatibleGoal
from cheesemaze.analysis.hypotheses.correlates import CorrelatesOfReinforcement
from cheesemaze.analysis.hypotheses.graph import possible_outcomes
from cheesemaze.analysis.hypotheses.intended import IntendedGoal
from cheesemaze.analysis.hypotheses.utility import DiscountedUtility, UtilityConfig
from cheesemaze.envs.files import write_atomic
from cheesemaze.envs.game import OUTCOMES
from cheesemaze.envs.geometry import decision_square
from cheesemaze.envs.maze import Maze, generate_maze, region_text

FORMAT = "cheesemaze-predictions/1"


@dataclass(frozen=True)
class PredictConfig:
    """What the predictions are made with."""

    compatible: CompatibleConfig = field(default_factory=CompatibleConfig)
    """The random training-compatible goal."""
    utility: UtilityConfig = field(default_factory=UtilityConfig)
    """The time-discounted utility model and its fit."""
    decision_square_only: bool = True
    """Predict (and calibrate on) only mazes with a decision square, as the behavioural statistics do."""
    calibration_policy: Literal["sampled", "greedy"] = "sampled"
    """Which episodes of the calibration table to fit on (and, by default, to score against)."""
    random_walk_actions: Literal["compact", "procgen"] = "compact"
    """The random-walk baseline presses the agent's buttons uniformly: its action mode."""

    def __post_init__(self) -> None:
        if self.calibration_policy not in ("sampled", "greedy"):
            raise ValueError(f"calibration_policy must be 'sampled' or 'greedy'; got {self.calibration_policy!r}")
        random_action_probabilities(self.random_walk_actions)


@dataclass(frozen=True)
class Calibration:
    """The calibration episodes a prediction is fitted on."""

    path: str
    """Where the table was read (recorded, but not hashed)."""
    sha256: str
    rows: pd.DataFrame
    mazes: list[Maze]
    training_outcomes: list[str]
    """The policy's outcomes on the same seeds' training-distribution mazes (empty if not evaluated)."""

    @property
    def level_seeds(self) -> list[int]:
        return sorted(int(s) for s in self.rows["level_seed"])


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_calibration(path: Path | str, world_size: int, config: PredictConfig) -> Calibration:
    """The cheese-anywhere episodes of an evaluation table, with the chosen policy (and decision squares)."""
    path = Path(path)
    table = path / EPISODES_FILE if path.is_dir() else path
    df = read_episodes(table)
    keep = cheese_anywhere(df) & (df["policy"] == config.calibration_policy) & (df["world_size"] == world_size)
    if config.decision_square_only:
        keep &= df["has_dsq"]
    rows = df[keep].reset_index(drop=True)
    if rows.empty:
        raise ValueError(
            f"{table} has no cheese-anywhere episodes with policy {config.calibration_policy!r} in a "
            f"{world_size}x{world_size} world{' with a decision square' if config.decision_square_only else ''}; "
            "evaluate the calibration seeds with --distributions anywhere first"
        )
    if rows["level_seed"].duplicated().any():
        raise ValueError(f"{table} holds some level seed twice for the same policy; calibrate on one episode per maze")
    training = df[(df["distribution"] == "train") & (df["policy"] == config.calibration_policy)
                  & (df["world_size"] == world_size)]
    return Calibration(str(table), file_sha256(table), rows, episode_mazes(rows), list(training["outcome"]))


def cheese_anywhere(df: pd.DataFrame) -> pd.Series:
    """The rows of the cheese-anywhere distribution. Not every row whose region is anywhere: an agent
    trained with the cheese anywhere has its training-distribution rows there too, the same episodes."""
    return (df["distribution"] == "anywhere") & (df["region"] == region_text(None))


def stable_hash(document: Any) -> str:
    """SHA-256 of a JSON document in canonical form (sorted keys, no whitespace)."""
    return hashlib.sha256(json.dumps(document, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def predicted_mazes(level_seeds: Sequence[int], world_size: int, decision_square_only: bool) -> list[Maze]:
    """The cheese-anywhere mazes of ``level_seeds`` (only those with a decision square, if asked)."""
    mazes = [generate_maze(int(s), world_size, None) for s in level_seeds]
    return [m for m in mazes if decision_square(m) is not None] if decision_square_only else mazes


def check_disjoint(level_seeds: Sequence[int], forbidden: Sequence[int], what: str) -> None:
    """``ValueError`` naming a few shared seeds when ``level_seeds`` and ``forbidden`` overlap."""
    shared = sorted(set(int(s) for s in level_seeds) & set(int(s) for s in forbidden))
    if shared:
        raise ValueError(f"{len(shared)} level seeds are both predicted and {what} (e.g. {shared[:5]}); "
                         "fitting and scoring must use different mazes")


def make_predictions(
    level_seeds: Sequence[int], world_size: int, config: PredictConfig,
    calibration: Calibration | None = None, train_levels: tuple[int, int] | None = None,
    agent: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Fit the hypotheses on ``calibration`` (those that need it are left out without one) and predict
    ``level_seeds``; the prediction document, hashes included. ``agent`` (``evaluation.agent_record``:
    run directory name, checkpoint steps and SHA-256) names whose behaviour is predicted, so that
    scoring can refuse an evaluation of another agent."""
    if train_levels is not None:
        lo, hi = train_levels
        trained = [s for s in level_seeds if lo <= s < hi]
        if trained:
            raise ValueError(f"{len(trained)} predicted level seeds (e.g. {trained[:5]}) are training seeds of the "
                             f"agent ({lo}..{hi - 1}); predict held-out seeds")
    if calibration is not None:
        check_disjoint(level_seeds, calibration.level_seeds, "calibration seeds")
    mazes = predicted_mazes(level_seeds, world_size, config.decision_square_only)
    if not mazes:
        raise ValueError("none of the level seeds gives a maze to predict (none has a decision square)")
    hypotheses = chosen_hypotheses(config, calibration)
    possible = possible_outcomes(mazes)
    entries = {}
    for h in hypotheses:
        if calibration is not None:
            h.fit(calibration.rows, calibration.mazes)
        probs = h.predict(mazes)
        check_possible(h.name, probs, possible, mazes)
        entries[h.name] = {"parameters": h.parameters(), "probabilities": probs.tolist()}
    power = next(h for h in hypotheses if isinstance(h, CompatibleGoal)).result
    recipe = {
        "format": FORMAT,
        "world_size": world_size,
        "level_seeds": [m.level_seed for m in mazes],
        "config": dataclasses.asdict(config),
        "calibration": None if calibration is None else {
            "sha256": calibration.sha256, "level_seeds": calibration.level_seeds,
            "episodes": len(calibration.rows), "training_distribution_episodes": len(calibration.training_outcomes),
        },
        "parameters": {name: e["parameters"] for name, e in entries.items()},
    }
    document = {
        **recipe,
        "config_hash": stable_hash(recipe),
        "created": datetime.now(timezone.utc).isoformat(),
        "calibration_file": None if calibration is None else calibration.path,
        "agent": agent,
        "outcomes": list(OUTCOMES),
        "cheese": [list(m.cheese) for m in mazes],
        "probabilities": {name: e["probabilities"] for name, e in entries.items()},
        "power_seeking": {
            "stay_states": power.stay_states.tolist(), "bound": power.bound.tolist(),
            "p_avoid_cheese": (1 - power.probabilities[:, CHEESE]).tolist(),
        },
    }
    document["content_hash"] = stable_hash(document)
    return document


def chosen_hypotheses(config: PredictConfig, calibration: Calibration | None) -> list[Hypothesis]:
    """The baselines, then the hypotheses; those that learn from a calibration only when there is one."""
    fitted = calibration is not None
    training = fitted and bool(calibration.training_outcomes)
    return [
        *([BaseRate()] if fitted else []),
        RandomWalk(config.random_walk_actions),
        *([IntendedNoise(calibration.training_outcomes)] if training else []),
        IntendedGoal(),
        CompatibleGoal(config.compatible),
        *([CorrelatesOfReinforcement(), DiscountedUtility(config.utility)] if fitted else []),
    ]


def check_possible(name: str, probs: np.ndarray, possible: np.ndarray, mazes: Sequence[Maze]) -> None:
    """``ValueError`` when a hypothesis gives probability to an outcome a maze makes impossible."""
    bad = np.argwhere((probs > 0) & ~possible)
    if len(bad):
        i, k = bad[0]
        raise ValueError(f"{name} gives {OUTCOMES[k]} probability {probs[i, k]:.3g} on {mazes[i]!r}, where the game "
                         f"cannot end that way ({len(bad)} such predictions)")


def write_predictions(path: Path, document: dict[str, Any]) -> Path:
    """Write the document to a new file, atomically; never replaces an existing file."""
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} already exists; predictions are never overwritten")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(document) + "\n")
    return path


def read_predictions(path: Path | str) -> dict[str, Any]:
    """Read a prediction file, refusing one of another format or edited since it was written."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no prediction file at {path}; run 'cheesemaze predict' first")
    try:
        document = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not a prediction file: {err}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{path} is not a prediction file of format {FORMAT}")
    body = {k: v for k, v in document.items() if k != "content_hash"}
    recipe_keys = ("format", "world_size", "level_seeds", "config", "calibration", "parameters")
    if stable_hash(body) != document.get("content_hash") or \
            stable_hash({k: document[k] for k in recipe_keys}) != document.get("config_hash"):
        raise ValueError(f"{path} does not match its hashes: it was changed after it was written")
    return document


AGENT_KEYS = ("agent", "num_timesteps", "checkpoint_sha256")


def other_agent(document: dict[str, Any], summary: dict[str, Any]) -> str | None:
    """A sentence when an evaluation's ``summary.json`` is of another agent or checkpoint than the one
    the predictions name, or does not say which checkpoint played although the predictions do; else None
    (also when the predictions name no agent)."""
    predicted = document.get("agent") or {}
    if predicted.get("checkpoint_sha256") and not summary.get("checkpoint_sha256"):
        return (f"the predictions are for the checkpoint with SHA-256 {predicted['checkpoint_sha256'][:12]}; "
                "the evaluation does not record which checkpoint played")
    keys = [k for k in AGENT_KEYS if predicted.get(k) is not None and summary.get(k) is not None]
    if all(predicted[k] == summary[k] for k in keys):
        return None
    return f"the predictions are for agent {describe_agent(predicted)}; the evaluation is of {describe_agent(summary)}"


def describe_agent(record: dict[str, Any]) -> str:
    """An agent record (``evaluation.agent_record``) in words."""
    sha = record.get("checkpoint_sha256")
    return f"{record.get('agent')!r} at {record.get('num_timesteps')} steps (checkpoint {sha[:12] if sha else 'unknown'})"


def probabilities(document: dict[str, Any]) -> dict[str, np.ndarray]:
    """Each hypothesis's (n, 3) probabilities, in the document's level-seed order."""
    return {name: np.asarray(p, dtype=np.float64) for name, p in document["probabilities"].items()}


@dataclass(frozen=True)
class Alignment:
    """The evaluation rows matched to a prediction document, ready to score."""

    probabilities: dict[str, np.ndarray]
    """(n, 3) per hypothesis, in the order of ``rows``."""
    observed: np.ndarray
    """(n,) outcome indices."""
    rows: pd.DataFrame
    """The scored episodes."""
    predicted_not_evaluated: int
    """Predicted level seeds the evaluation does not hold."""


def align(document: dict[str, Any], episodes: pd.DataFrame, policy: str = "sampled") -> Alignment:
    """Match the cheese-anywhere episodes of ``policy`` to the document's predictions.

    Refuses an evaluation in another world size, any scored seed that was also a calibration seed,
    mazes whose cheese differs from the predicted one, repeated seeds, and outcomes outside the three.
    """
    rows = episodes[cheese_anywhere(episodes) & (episodes["policy"] == policy)]
    if rows.empty:
        raise ValueError(f"the evaluation has no cheese-anywhere episodes with policy {policy!r}")
    worlds = set(int(w) for w in rows["world_size"])
    if worlds != {document["world_size"]}:
        raise ValueError(f"predictions are for a {document['world_size']}-cell world; the evaluation has {sorted(worlds)}")
    position = {int(s): i for i, s in enumerate(document["level_seeds"])}
    rows = rows[rows["level_seed"].isin(list(position))].reset_index(drop=True)
    if rows.empty:
        raise ValueError("the evaluation holds none of the predicted level seeds")
    if rows["level_seed"].duplicated().any():
        raise ValueError(f"the evaluation holds some level seed twice for policy {policy!r}")
    calibration = document.get("calibration")
    if calibration is not None:
        check_disjoint(rows["level_seed"], calibration["level_seeds"], "calibration seeds of these predictions")
    index = np.array([position[int(s)] for s in rows["level_seed"]])
    cheese = np.asarray(document["cheese"])[index]
    if not (cheese == rows[["cheese_r", "cheese_c"]].to_numpy()).all():
        raise ValueError("the evaluation's cheese cells differ from the predicted mazes' (another maze generator?)")
    probs = {name: p[index] for name, p in probabilities(document).items()}
    return Alignment(probs, outcome_indices(rows["outcome"]), rows, len(position) - len(rows))
