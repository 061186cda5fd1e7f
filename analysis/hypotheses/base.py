"""What every hypothesis is: a small model that gives each maze a probability for each outcome."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd

from cheesemaze.envs.game import OUTCOMES
from cheesemaze.envs.maze import Maze


class Hypothesis(Protocol):
    """A predictive model of an agent's episode outcomes on mazes."""

    name: str
    """Short name used in tables and prediction files."""

    def fit(self, rows: pd.DataFrame, mazes: Sequence[Maze]) -> None:
        """Set the free parameters from calibration episodes (one table row per maze in ``mazes``)."""
        ...

    def predict(self, mazes: Sequence[Maze]) -> np.ndarray:
        """(n, 3) probabilities of ``OUTCOMES`` (cheese, top_right, other) for each maze; rows sum to 1."""
        ...

    def parameters(self) -> dict[str, Any]:
        """The model's settings and fitted parameters, JSON-able (they go into the prediction file)."""
        ...


def outcome_indices(outcomes: pd.Series | Sequence[str]) -> np.ndarray:
    """Index into ``OUTCOMES`` of each outcome; ``ValueError`` for anything else (e.g. ``shutdown``)."""
    values = list(outcomes)
    bad = sorted({o for o in values if o not in OUTCOMES})
    if bad:
        raise ValueError(f"outcomes must be one of {OUTCOMES}; got {bad}")
    return np.array([OUTCOMES.index(o) for o in values], dtype=np.int64)
