"""The intended goal: the training reward's optimum, which always goes to the cheese.

It gives every observed ``top_right`` or ``other`` outcome probability zero; scoring counts those
and reports the log-likelihood as -inf rather than smoothing them away.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cheesemaze.envs.game import OUTCOMES
from cheesemaze.envs.maze import Maze


class IntendedGoal:
    """Hypothesis 1: the agent pursues the cheese, wherever it is."""

    name = "intended"

    def fit(self, rows: pd.DataFrame, mazes: Sequence[Maze]) -> None:
        """Nothing to fit."""

    def predict(self, mazes: Sequence[Maze]) -> np.ndarray:
        probs = np.zeros((len(mazes), len(OUTCOMES)))
        probs[:, OUTCOMES.index("cheese")] = 1.0
        return probs

    def parameters(self) -> dict[str, Any]:
        return {}
