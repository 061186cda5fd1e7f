"""Baselines a sceptical reviewer asks for, predicted and scored exactly like the hypotheses.

- ``base-rate``: the calibration split's outcome frequencies among mazes of the same size. Each
  count gets half a pseudo-count (the Krichevsky-Trofimov estimator) over the outcomes the maze
  allows, so an outcome unseen in a size's few calibration mazes is improbable rather than
  impossible; a size with no calibration maze uses the counts of every size. Every hypothesis's
  gain over this one is its headline result.
- ``random-walk``: the exact outcome distribution of a uniformly random policy over the game's 500
  steps, by the Markov chain over (cell, whether the counted top-right square was visited) with the
  cheese absorbing (:func:`utility.outcome_probabilities`). The random policy is the agent's own
  action set drawn uniformly: for ``compact`` agents UP, DOWN, LEFT, RIGHT and NOOP with 1/5 each (a
  move into a wall stays put, as in the game); for ``procgen`` agents the 15 buttons with 1/15
  each, which is LEFT and RIGHT 3/15, UP and DOWN 1/15, staying 7/15. Nothing is fitted.
- ``intended+noise``: the intended goal (the cheese) except at the agent's own failure rate,
  measured on held-out mazes of its training distribution; the failures are split over the misses
  the maze allows in the proportions the agent's failures there showed (both counts smoothed as
  above, so a rate of 0 is not claimed from finitely many episodes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from cheesemaze.analysis.hypotheses.base import outcome_indices
from cheesemaze.analysis.hypotheses.graph import batch_graphs, maze_graphs, possible_outcomes
from cheesemaze.analysis.hypotheses.utility import outcome_probabilities
from cheesemaze.envs.actions import COMPACT_NAMES, PROCGEN_TO_COMPACT
from cheesemaze.envs.game import MAX_STEPS, OUTCOMES
from cheesemaze.envs.maze import Maze

PSEUDO_COUNT = 0.5
"""Added to every count of an outcome the maze allows (Krichevsky-Trofimov)."""
CHEESE = OUTCOMES.index("cheese")
BASELINES = ("base-rate", "random-walk", "intended+noise")
"""The baselines' names, as they appear beside the hypotheses in every table."""
CLOSED_FORM = {"method": "closed form: smoothed counts, exact (no search to converge)", "converged": None}


def smoothed(counts: np.ndarray, possible: np.ndarray) -> np.ndarray:
    """(n, k) frequencies from counts (k,) or (n, k) plus ``PSEUDO_COUNT``, over each row's possible outcomes."""
    weights = (np.asarray(counts, dtype=np.float64) + PSEUDO_COUNT) * possible
    return weights / weights.sum(axis=1, keepdims=True)


class BaseRate:
    """The calibration split's outcome frequencies by maze size (see the module docstring)."""

    name = "base-rate"

    def __init__(self) -> None:
        self.counts: dict[int, np.ndarray] = {}
        self.fitted = False

    def fit(self, rows: pd.DataFrame, mazes: Sequence[Maze]) -> None:
        """Count the calibration outcomes per maze size."""
        y = outcome_indices(rows["outcome"])
        sizes = np.array([m.size for m in mazes])
        self.counts = {int(d): np.bincount(y[sizes == d], minlength=len(OUTCOMES)) for d in np.unique(sizes)}
        self.fitted = True

    def predict(self, mazes: Sequence[Maze]) -> np.ndarray:
        if not self.fitted:
            raise ValueError("the base rate must be fitted on calibration episodes first")
        pooled = sum(self.counts.values(), np.zeros(len(OUTCOMES)))
        counts = np.array([self.counts.get(m.size, pooled) for m in mazes]).reshape(-1, len(OUTCOMES))
        return smoothed(counts, possible_outcomes(mazes))

    def parameters(self) -> dict[str, Any]:
        return {"counts_by_size": {str(d): dict(zip(OUTCOMES, map(int, c))) for d, c in sorted(self.counts.items())},
                "pseudo_count": PSEUDO_COUNT, "fit": {**CLOSED_FORM, "mazes": int(sum(c.sum() for c in self.counts.values()))}}


def random_action_probabilities(action_mode: Literal["compact", "procgen"]) -> np.ndarray:
    """(5,) probability of each compact action (UP, DOWN, LEFT, RIGHT, NOOP) when the agent presses one
    of its buttons uniformly at random."""
    if action_mode == "compact":
        return np.full(len(COMPACT_NAMES), 1 / len(COMPACT_NAMES))
    if action_mode == "procgen":
        return np.bincount(PROCGEN_TO_COMPACT) / len(PROCGEN_TO_COMPACT)
    raise ValueError(f"action_mode must be 'compact' or 'procgen'; got {action_mode!r}")


class RandomWalk:
    """A uniformly random policy's exact outcome distribution (see the module docstring)."""

    name = "random-walk"

    def __init__(self, action_mode: Literal["compact", "procgen"] = "compact", horizon: int = MAX_STEPS) -> None:
        self.action_mode, self.horizon = action_mode, horizon
        self.actions = random_action_probabilities(action_mode)

    def fit(self, rows: pd.DataFrame, mazes: Sequence[Maze]) -> None:
        """Nothing to fit."""

    def predict(self, mazes: Sequence[Maze]) -> np.ndarray:
        batch = batch_graphs(maze_graphs(mazes))
        policy = np.broadcast_to(self.actions, (batch.n_cells, len(self.actions)))
        return outcome_probabilities(batch, policy, self.horizon)

    def parameters(self) -> dict[str, Any]:
        return {"action_mode": self.action_mode, "horizon": self.horizon,
                "compact_action_probabilities": dict(zip(COMPACT_NAMES, self.actions.tolist())),
                "fit": {"method": "nothing fitted", "converged": None}}


class IntendedNoise:
    """The cheese, except at the agent's failure rate on its training distribution (module docstring)."""

    name = "intended+noise"

    def __init__(self, training_outcomes: Sequence[str]) -> None:
        """``training_outcomes``: the agent's outcomes on held-out mazes of its training distribution."""
        y = outcome_indices(list(training_outcomes))
        if not len(y):
            raise ValueError("intended+noise needs the agent's outcomes on some training-distribution mazes")
        self.counts = np.bincount(y, minlength=len(OUTCOMES))

    @property
    def failure_rate(self) -> float:
        """Smoothed rate of not reaching the cheese: (failures + 1/2) / (episodes + 1)."""
        fails = self.counts.sum() - self.counts[CHEESE]
        return float((fails + PSEUDO_COUNT) / (self.counts.sum() + 2 * PSEUDO_COUNT))

    def fit(self, rows: pd.DataFrame, mazes: Sequence[Maze]) -> None:
        """Nothing to fit on the cheese-anywhere calibration: the rate comes from the training distribution."""

    def predict(self, mazes: Sequence[Maze]) -> np.ndarray:
        misses = possible_outcomes(mazes)
        misses[:, CHEESE] = False
        probs = self.failure_rate * smoothed(self.counts, misses)
        probs[:, CHEESE] = 1 - self.failure_rate
        return probs

    def parameters(self) -> dict[str, Any]:
        return {"training_distribution_counts": dict(zip(OUTCOMES, map(int, self.counts))),
                "failure_rate": self.failure_rate, "pseudo_count": PSEUDO_COUNT,
                "fit": {**CLOSED_FORM, "episodes": int(self.counts.sum())}}
