"""Correlates of reinforcement: a cheese motivation and a top-right motivation whose pull depends on the maze.

Model (shard-like, after Turner et al.). Two motivations were reinforced in training, because both
correlated with reward: going to the cheese and going to the top-right region. On a held-out maze
the cheese motivation wins with probability ``sigmoid(a - b1 x1 - b2 x2)``, where ``x1`` is the
Euclidean distance from the cheese to the top-right cell and ``x2`` the step distance from the
decision square to the cheese (0 when the cheese lies on the way to the top-right: there is no
detour to make). The signs are fixed in advance, ``b1, b2 >= 0``: a cheese farther from where
cheese used to be, or farther off the habitual route, pulls less. With probability
``eps = sigmoid(e0 + e1 (size - 9) / 6)`` neither motivation carries the episode through (outcome
``other``; wandering is likelier in a larger maze, so it may change with the maze's size);
otherwise the winner decides: ``cheese``, or ``top_right`` where the maze allows it (where it does
not, a top-right pull ends as ``other``), so no probability goes to an impossible outcome.

Five parameters, fitted jointly by maximum likelihood on calibration episodes with L-BFGS-B
(the slopes bounded below by 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit

from cheesemaze.analysis.features import maze_features
from cheesemaze.analysis.hypotheses.base import outcome_indices
from cheesemaze.analysis.hypotheses.graph import possible_outcomes
from cheesemaze.envs.game import OUTCOMES
from cheesemaze.envs.maze import Maze

FEATURES = ("d_euclid_cheese_tr", "d_step_dsq_cheese")
"""The two features; both enter with a non-positive sign (farther means less cheese)."""
CHEESE, TOP_RIGHT, OTHER = (OUTCOMES.index(o) for o in ("cheese", "top_right", "other"))
PARAMETER_NAMES = ("intercept", "slope d_euclid_cheese_tr", "slope d_step_dsq_cheese", "other intercept",
                   "other per size")


def feature_matrix(mazes: Sequence[Maze]) -> np.ndarray:
    """(n, 2) the model's features; the detour is 0 on mazes without a decision square."""
    rows = []
    for maze in mazes:
        feats, dsq = maze_features(maze)
        rows.append([feats["d_euclid_cheese_tr"], feats["d_step_dsq_cheese"] if dsq else 0.0])
    return np.array(rows, dtype=np.float64).reshape(-1, len(FEATURES))


SIZE_CENTRE, SIZE_SPREAD = 9.0, 6.0
"""Maze size enters the rate of ``other`` as (size - 9) / 6: about -1 to 1 in a 15x15 world."""


def outcome_table(pull: np.ndarray, eps: np.ndarray, top_right_possible: np.ndarray) -> np.ndarray:
    """(n, 3) probabilities from the cheese pull, the rate of ``other`` and whether top-right can happen."""
    probs = np.zeros((len(pull), len(OUTCOMES)))
    probs[:, CHEESE] = (1 - eps) * pull
    top_right = (1 - eps) * (1 - pull)
    probs[:, TOP_RIGHT] = np.where(top_right_possible, top_right, 0.0)
    probs[:, OTHER] = eps + np.where(top_right_possible, 0.0, top_right)
    return probs


class CorrelatesOfReinforcement:
    """Hypothesis 3: context-dependent cheese and top-right motivations (see the module docstring)."""

    name = "correlates"

    def __init__(self) -> None:
        self.intercept = 0.0
        self.slopes = np.zeros(len(FEATURES))
        self.other = np.array([-30.0, 0.0])
        self.fit_report: dict[str, Any] = {}
        self.fitted = False

    def fit(self, rows: pd.DataFrame, mazes: Sequence[Maze]) -> None:
        """Maximum likelihood under the sign constraints, on the calibration episodes."""
        if len(mazes) != len(rows) or not len(rows):
            raise ValueError(f"need one calibration row per maze and at least one; got {len(rows)} rows, "
                             f"{len(mazes)} mazes")
        y = outcome_indices(rows["outcome"])
        x = feature_matrix(mazes)
        possible = possible_outcomes(mazes)[:, TOP_RIGHT]
        if (~possible & (y == TOP_RIGHT)).any():
            raise ValueError("a calibration episode ended top_right on a maze that does not allow it")
        size = self.size_term(mazes)
        # Fit on features divided by their spread (same signs, better conditioned), then rescale.
        scale = np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
        z = x / scale
        rows_idx = np.arange(len(y))

        def loss(theta: np.ndarray) -> float:
            pull = expit(theta[0] - z @ theta[1:3])
            eps = expit(theta[3] + theta[4] * size)
            picked = outcome_table(pull, eps, possible)[rows_idx, y]
            return float(-np.log(np.maximum(picked, 1e-300)).sum())

        bounds = [(-30.0, 30.0)] + [(0.0, 30.0)] * len(FEATURES) + [(-30.0, 30.0)] * 2
        start = np.array([0.0, 0.0, 0.0, -2.0, 0.0])
        result = minimize(loss, start, method="L-BFGS-B", bounds=bounds)
        self.intercept, self.slopes = float(result.x[0]), result.x[1:3] / scale
        self.other = result.x[3:5]
        at_bound = [name for name, v, (lo, hi) in zip(PARAMETER_NAMES, result.x, bounds)
                    if np.isclose(v, lo) or np.isclose(v, hi)]
        self.fit_report = {"method": "maximum likelihood, L-BFGS-B", "mazes": len(y), "converged": bool(result.success),
                           "message": str(result.message), "iterations": int(result.nit),
                           "mean_log_likelihood": -float(result.fun) / len(y), "at_bounds": at_bound}
        self.fitted = True

    @staticmethod
    def size_term(mazes: Sequence[Maze]) -> np.ndarray:
        return (np.array([m.size for m in mazes], dtype=np.float64) - SIZE_CENTRE) / SIZE_SPREAD

    def predict(self, mazes: Sequence[Maze]) -> np.ndarray:
        if not self.fitted:
            raise ValueError("the correlates hypothesis must be fitted on calibration episodes first")
        pull = expit(self.intercept - feature_matrix(mazes) @ self.slopes)
        eps = expit(self.other[0] + self.other[1] * self.size_term(mazes))
        return outcome_table(pull, eps, possible_outcomes(mazes)[:, TOP_RIGHT])

    def p_other(self, size: int) -> float:
        """The fitted rate of ``other`` (neither motivation carries through) in a maze of this size."""
        return float(expit(self.other[0] + self.other[1] * (size - SIZE_CENTRE) / SIZE_SPREAD))

    def parameters(self) -> dict[str, Any]:
        return {"features": list(FEATURES), "intercept": self.intercept,
                "coefficients": {f: -float(b) for f, b in zip(FEATURES, self.slopes)},
                "p_other_logit": {"intercept": float(self.other[0]), "per_size": float(self.other[1]),
                                  "size_term": f"(size - {SIZE_CENTRE:g}) / {SIZE_SPREAD:g}"},
                "p_other_by_size": {str(d): self.p_other(d) for d in (3, 9, 15)},
                "fit": self.fit_report}
