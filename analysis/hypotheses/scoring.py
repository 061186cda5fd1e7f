"""Scores of outcome predictions on held-out mazes, with bootstrap intervals and log Bayes factors.

Per hypothesis: the mean log-likelihood per maze of the observed outcome (-inf as soon as one
observed outcome had probability zero: no smoothing; the count of such mazes is reported beside it,
and the mean over the other mazes separately, labelled as such), its gain over the ``base-rate``
baseline in nats per maze (the mean per-maze difference), accuracy of the most probable
outcome, the Brier score, and calibration (predicted against observed frequency per probability bin,
one outcome against the rest, summarized as the expected calibration error). Intervals are 95%
percentile intervals over mazes resampled with replacement.

The log Bayes factor of A against B is ``sum_i log p_A(y_i) - log p_B(y_i)`` over the scored mazes:
with parameters fixed on a separate calibration split it is the held-out predictive Bayes factor.
It is undefined (NaN) when both give probability zero to the same observed outcome; the sum over
the mazes where both are nonzero is given beside it, labelled as such.

Beside each count of observed outcomes given probability zero stand the zero cells (the (maze, outcome)
pairs the maze allows that the model puts at zero) and the allowed cells (every pair the mazes allow).
For a model that averages K samples (the training-compatible goal) the allowed cells size its Monte
Carlo error (``sampling_zero_test``): each of them is both missed by all K samples and observed with a
small probability at most, whichever cells happen to come out zero.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cheesemaze.analysis.stats import bootstrap_draws, bootstrap_interval, count_tail_bound, unseen_mass
from cheesemaze.envs.game import OUTCOMES

CALIBRATION_BINS = 10
REFERENCE = "base-rate"
"""The hypothesis every gain is measured against."""
WALK = "random-walk"
"""The baseline that gives every outcome a maze allows a probability above zero (a uniform random policy
reaches anything reachable), so its zeros mark the impossible outcomes."""
ZERO_ALPHA = 0.05
"""A sampled model's zeros rule out the account it estimates when this many or more would happen with at
most this probability if the account held."""


def allowed_outcomes(predictions: dict[str, np.ndarray]) -> np.ndarray:
    """(n, 3) booleans: the outcomes each maze allows, those the random walk gives P > 0 (every outcome
    where the random walk is not among the predictions)."""
    walk = predictions.get(WALK)
    if walk is None:
        return np.ones_like(next(iter(predictions.values())), dtype=bool)
    return walk > 0


def zero_cells(probs: np.ndarray, allowed: np.ndarray) -> int:
    """The (maze, outcome) pairs a maze allows that ``probs`` puts at exactly zero."""
    return int(((probs == 0) & allowed).sum())


def sampling_zero_test(zeros: int, cells: int, samples: int) -> dict[str, float]:
    """Whether ``zeros`` observed outcomes given probability 0 by an average over ``samples`` draws go
    beyond its Monte Carlo error, over ``cells`` allowed (maze, outcome) pairs: if the account it
    estimates held, each pair is both missed by every draw and observed with probability at most
    :func:`unseen_mass` (taken before the draws, not given that the pair came out zero), so at most
    ``expected`` such events are expected and ``zeros`` or more happen with probability at most ``p``
    (Chernoff)."""
    expected = cells * unseen_mass(samples)
    p = count_tail_bound(zeros, expected)
    return {"zeros": zeros, "cells": cells, "expected": expected, "p": p, "beyond": bool(zeros > 0 and p < ZERO_ALPHA)}


def log_likelihoods(probs: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """(n,) log probability of each observed outcome; -inf where it was zero."""
    picked = probs[np.arange(len(observed)), observed]
    with np.errstate(divide="ignore"):
        return np.log(picked)


def brier_scores(probs: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """(n,) squared distance between the predicted distribution and the observed outcome's indicator."""
    onehot = np.eye(probs.shape[1])[observed]
    return ((probs - onehot) ** 2).sum(axis=1)


def calibration_table(probs: np.ndarray, observed: np.ndarray, bins: int = CALIBRATION_BINS) -> pd.DataFrame:
    """Per outcome and probability bin: mazes, mean predicted probability, observed frequency."""
    edges = np.linspace(0, 1, bins + 1)
    rows = []
    for k, outcome in enumerate(OUTCOMES):
        which = np.clip(np.searchsorted(edges, probs[:, k], side="right") - 1, 0, bins - 1)
        for b in range(bins):
            mask = which == b
            if mask.any():
                rows.append({"outcome": outcome, "bin_low": edges[b], "bin_high": edges[b + 1],
                             "mazes": int(mask.sum()), "predicted": float(probs[mask, k].mean()),
                             "observed": float((observed[mask] == k).mean())})
    return pd.DataFrame(rows, columns=["outcome", "bin_low", "bin_high", "mazes", "predicted", "observed"])


def expected_calibration_error(table: pd.DataFrame) -> float:
    """Mean over outcomes of the maze-weighted gap between predicted and observed frequency."""
    gaps = []
    for _, part in table.groupby("outcome"):
        gaps.append(float((part["mazes"] * (part["predicted"] - part["observed"]).abs()).sum() / part["mazes"].sum()))
    return float(np.mean(gaps)) if gaps else float("nan")


@dataclass(frozen=True)
class Scores:
    """Everything :func:`score` computes."""

    table: pd.DataFrame
    """One row per hypothesis: the headline measures with their intervals."""
    bayes_factors: pd.DataFrame
    """One row per ordered pair of hypotheses."""
    calibration: pd.DataFrame
    """Calibration bins per hypothesis and outcome."""
    per_maze: pd.DataFrame
    """Log-likelihood of the observed outcome per maze and hypothesis (column ``ll_<name>``)."""


def score(
    predictions: dict[str, np.ndarray], observed: np.ndarray, resamples: int = 1000, seed: int = 0,
    reference: str = REFERENCE,
) -> Scores:
    """Score each hypothesis's (n, 3) probabilities against the observed outcome indices (n,); gains are
    over ``reference`` (NaN when it is not among the predictions)."""
    n = len(observed)
    if n == 0:
        raise ValueError("no mazes to score")
    for name, probs in predictions.items():
        if probs.shape != (n, len(OUTCOMES)):
            raise ValueError(f"{name}: predictions of shape {probs.shape}, expected {(n, len(OUTCOMES))}")
    draws = bootstrap_draws(n, resamples, seed)
    lls = {name: log_likelihoods(probs, observed) for name, probs in predictions.items()}
    allowed = allowed_outcomes(predictions)
    rows, calibrations = [], []
    for name, probs in predictions.items():
        ll = lls[name]
        correct = (probs.argmax(axis=1) == observed).astype(np.float64)
        brier = brier_scores(probs, observed)
        table = calibration_table(probs, observed).assign(hypothesis=name)
        calibrations.append(table)
        finite = np.isfinite(ll)
        rows.append({
            "hypothesis": name, "mazes": n,
            "mean_ll": float(ll.mean()), "mean_ll_ci": bootstrap_interval(ll, draws),
            "zero_probability": int((~finite).sum()), "zero_cells": zero_cells(probs, allowed),
            "allowed_cells": int(allowed.sum()),
            "mean_ll_nonzero_only": float(ll[finite].mean()) if finite.any() else float("nan"),
            **gain(ll, lls.get(reference), draws),
            "accuracy": float(correct.mean()), "accuracy_ci": bootstrap_interval(correct, draws),
            "brier": float(brier.mean()), "brier_ci": bootstrap_interval(brier, draws),
            "ece": expected_calibration_error(table),
        })
    pairs = []
    for a, b in itertools.permutations(predictions, 2):
        both = np.isfinite(lls[a]) & np.isfinite(lls[b])
        with np.errstate(invalid="ignore"):
            diff = lls[a] - lls[b]
            pairs.append({"hypothesis": a, "against": b, "log_bayes_factor": float(diff.sum()),
                          "per_maze": float(diff.mean()), "per_maze_ci": bootstrap_interval(diff, draws),
                          "mazes_both_nonzero": int(both.sum()),
                          "log_bayes_factor_both_nonzero_only": float(diff[both].sum())})
    per_maze = pd.DataFrame({f"ll_{k}": v for k, v in lls.items()})
    per_maze.insert(0, "observed", [OUTCOMES[i] for i in observed])
    return Scores(pd.DataFrame(rows), pd.DataFrame(pairs), pd.concat(calibrations, ignore_index=True), per_maze)


def gain(ll: np.ndarray, reference: np.ndarray | None, draws: np.ndarray) -> dict[str, object]:
    """Mean per-maze log-likelihood gain over the reference's, in nats, with its bootstrap interval."""
    if reference is None:
        return {"gain": float("nan"), "gain_ci": (float("nan"), float("nan"))}
    with np.errstate(invalid="ignore"):
        diff = ll - reference
    return {"gain": float(diff.mean()), "gain_ci": bootstrap_interval(diff, draws)}


def flat_table(table: pd.DataFrame) -> pd.DataFrame:
    """The score or Bayes-factor table with each ``*_ci`` pair split into ``*_low`` and ``*_high`` columns."""
    out = table.copy()
    for col in [c for c in table.columns if c.endswith("_ci")]:
        base = col[: -len("_ci")]
        position = out.columns.get_loc(col)
        out.insert(position, f"{base}_low", [v[0] for v in table[col]])
        out.insert(position + 1, f"{base}_high", [v[1] for v in table[col]])
        out = out.drop(columns=col)
    return out
