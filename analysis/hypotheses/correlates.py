"""Correlates of reinforcement: a cheese motivation and a top-right motivation whose pull depends on the maze.

Model (shard-like, after Turner et al.). Two motivations were reinforced in training, because both
correlated with reward: going to the cheese and going to the top-right region. On a held-out maze
the cheese motivation wins with probability ``sigmoid(a - b1 x1 - b2 x2)``, where ``x1`` is the
Euclidean distance from the cheese to the top-right cell and ``x2`` the step distance from the
decision square to the cheese (0 when the cheese lies on the way to the top-right: there is no
detour to make). The signs are fixed in advance, ``b1, b2 >= 0``: a cheese farther from where
cheese used to be, or farther off the habitual route, pulls less. With probability ``eps`` neither
motivation carries the episode through (outcome ``other``); otherwise the winner decides between
``cheese`` and ``top_right``.

Four parameters, fitted by maximum likelihood on calibration episodes: ``eps`` in closed form (the
calibration rate of ``other``), and the bounded logistic part with L-BFGS-B.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit, log_expit

from cheesemaze.analysis.features import maze_features
from cheesemaze.analysis.hypotheses.base import outcome_indices
from cheesemaze.envs.game import OUTCOMES
from cheesemaze.envs.maze import Maze

FEATURES = ("d_euclid_cheese_tr", "d_step_dsq_cheese")
"""The two features; both enter with a non-positive sign (farther means less cheese)."""
CHEESE, TOP_RIGHT, OTHER = (OUTCOMES.index(o) for o in ("cheese", "top_right", "other"))


def feature_matrix(mazes: Sequence[Maze]) -> np.ndarray:
    """(n, 2) the model's features; the detour is 0 on mazes without a decision square."""
    rows = []
    for maze in mazes:
        feats, dsq = maze_features(maze)
        rows.append([feats["d_euclid_cheese_tr"], feats["d_step_dsq_cheese"] if dsq else 0.0])
    return np.array(rows, dtype=np.float64).reshape(-1, len(FEATURES))


class CorrelatesOfReinforcement:
    """Hypothesis 3: context-dependent cheese and top-right motivations (see the module docstring)."""

    name = "correlates"

    def __init__(self) -> None:
        self.intercept = 0.0
        self.slopes = np.zeros(len(FEATURES))
        self.eps = 0.0
        self.fitted = False

    def fit(self, rows: pd.DataFrame, mazes: Sequence[Maze]) -> None:
        """Maximum likelihood under the sign constraints, on the calibration episodes."""
        if len(mazes) != len(rows) or not len(rows):
            raise ValueError(f"need one calibration row per maze and at least one; got {len(rows)} rows, "
                             f"{len(mazes)} mazes")
        y = outcome_indices(rows["outcome"])
        self.eps = float(np.mean(y == OTHER))
        keep = y != OTHER
        x, cheese = feature_matrix(mazes)[keep], (y[keep] == CHEESE).astype(np.float64)
        # Fit on features divided by their spread (same signs, better conditioned), then rescale.
        scale = np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
        z = x / scale

        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            logit = theta[0] - z @ theta[1:]
            nll = -(cheese * log_expit(logit) + (1 - cheese) * log_expit(-logit)).sum()
            residual = expit(logit) - cheese
            grad = np.concatenate([[residual.sum()], -(z * residual[:, None]).sum(axis=0)])
            return float(nll), grad

        if keep.any():
            bounds = [(-30.0, 30.0)] + [(0.0, 30.0)] * len(FEATURES)
            result = minimize(loss, np.zeros(1 + len(FEATURES)), jac=True, method="L-BFGS-B", bounds=bounds)
            self.intercept, self.slopes = float(result.x[0]), result.x[1:] / scale
        self.fitted = True

    def predict(self, mazes: Sequence[Maze]) -> np.ndarray:
        if not self.fitted:
            raise ValueError("the correlates hypothesis must be fitted on calibration episodes first")
        pull = expit(self.intercept - feature_matrix(mazes) @ self.slopes)
        probs = np.zeros((len(mazes), len(OUTCOMES)))
        probs[:, CHEESE] = (1 - self.eps) * pull
        probs[:, TOP_RIGHT] = (1 - self.eps) * (1 - pull)
        probs[:, OTHER] = self.eps
        return probs

    def parameters(self) -> dict[str, Any]:
        return {"features": list(FEATURES), "intercept": self.intercept,
                "coefficients": {f: -float(b) for f, b in zip(FEATURES, self.slopes)}, "p_other": self.eps}
