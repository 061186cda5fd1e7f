"""Dynamic consistency, step by step: fixed preferences against preferences that move with the mouse.

Both models act like the time-discounted utility hypothesis (:mod:`utility`): soft-optimal values of
a top-right value plus a cheese bonus ``c``, then Boltzmann action choice. The *fixed-preference*
model uses one ``c`` for the whole episode, as a utility maximizer must. The *location-dependent*
model lets the cheese's weight depend on where the mouse stands:
``log c(x) = t0 + t1 d_step(x, cheese) / 10 + t2 d_euclid(x, top-right) / 10``, re-planning each step
with the weight of the moment, which is the dynamic inconsistency the behavioural-statistics authors
suspected. ``t1 = t2 = 0`` is the fixed model, so they are nested.

Computation. Soft values are solved once per maze on a log-spaced grid of ``c`` (keeping the
distance scale and discount of the outcome fit, and its temperature for planning); a step's
``Q(x, .)`` at any ``c`` is interpolated linearly in ``log c`` (clamped to the grid's ends). Each
model also fits its own action temperature. Both are fitted by maximum likelihood of the actions of
the calibration episodes and compared on the held-out episodes: log-likelihood per step, and its
difference with a bootstrap interval over episodes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import log_softmax
from scipy.stats import chi2

from cheesemaze.analysis.evaluation import parse_path
from cheesemaze.analysis.hypotheses.graph import GraphBatch, batch_graphs, maze_graphs
from cheesemaze.analysis.hypotheses.utility import DiscountedUtility, cell_values, soft_q, top_right_distances
from cheesemaze.analysis.stats import bootstrap_draws
from cheesemaze.envs.actions import LETTERS
from cheesemaze.envs.maze import Maze

CHEESE_GRID = np.geomspace(0.01, 100.0, 13)
"""Cheese bonuses at which soft values are solved (a factor of about 2.15 apart)."""
DISTANCE_UNIT = 10.0
"""Distances enter the location model in units of ten cells."""


@dataclass(frozen=True)
class Steps:
    """Every step of some episodes: which episode, where the mouse stood, what it did, and the grid's Q there."""

    episode: np.ndarray
    q: np.ndarray
    """(S, G, 5) soft Q at the mouse's cell for each grid bonus."""
    action: np.ndarray
    features: np.ndarray
    """(S, 2) d_step(mouse, cheese) and d_euclid(mouse, top-right), in units of ten cells."""


def episode_steps(rows: pd.DataFrame, mazes: Sequence[Maze], utility: DiscountedUtility) -> Steps:
    """Parse the episodes' paths and actions and look up the grid's soft Q at each step."""
    graphs = maze_graphs(mazes)
    batch = batch_graphs(graphs)
    q_grid = grid_q(batch, utility)
    cheese_dist = batch.flat([g.distances_from(g.maze.cheese) for g in graphs]).astype(np.float64)
    corner_dist = top_right_distances(batch, "euclid")
    episodes, cells, actions = [], [], []
    for i, (path, letters, steps) in enumerate(zip(rows["path"], rows["actions"], rows["steps"])):
        if steps == 0:
            continue
        local = graphs[i].indices(parse_path(path)[:steps])
        cells.append(local + batch.offsets[i])
        actions.append([LETTERS[ch] for ch in letters[:steps]])
        episodes.append(np.full(steps, i))
    cell = np.concatenate(cells)
    features = np.stack([cheese_dist[cell], corner_dist[cell]], axis=1) / DISTANCE_UNIT
    # float32 halves the largest array (steps x grid x actions); log-likelihoods need no more precision.
    q = q_grid[:, cell].transpose(1, 0, 2).astype(np.float32)
    return Steps(np.concatenate(episodes), q, np.concatenate(actions), features)


def grid_q(batch: GraphBatch, utility: DiscountedUtility) -> np.ndarray:
    """(G, N, 5) soft Q of every cell for each bonus of ``CHEESE_GRID`` (the other parameters fitted)."""
    params = utility.params
    tiled = batch_graphs(list(batch.graphs) * len(CHEESE_GRID))
    base = cell_values(batch, top_right_distances(batch, utility.config.distance),
                       replace(params, cheese_bonus=0.0), utility.config.decay)
    values = np.tile(base, len(CHEESE_GRID))
    values[tiled.cheese] += np.repeat(CHEESE_GRID, len(batch))
    q, _ = soft_q(tiled, values, params.gamma, params.beta)
    return q.reshape(len(CHEESE_GRID), batch.n_cells, -1)


def step_log_likelihoods(theta: np.ndarray, steps: Steps) -> np.ndarray:
    """(S,) log-probability of each action; ``theta`` = (t0, [t1, t2,] log temperature)."""
    log_c = np.full(len(steps.action), theta[0])
    if len(theta) == 4:
        log_c += steps.features @ theta[1:3]
    grid = np.log(CHEESE_GRID)
    u = np.clip((log_c - grid[0]) / (grid[1] - grid[0]), 0, len(grid) - 1)
    i = np.minimum(np.floor(u).astype(np.int64), len(grid) - 2)
    w = (u - i)[:, None]
    rows = np.arange(len(i))
    q = (1 - w) * steps.q[rows, i] + w * steps.q[rows, i + 1]
    return log_softmax(q / np.exp(theta[-1]), axis=1)[rows, steps.action]


def fit_model(steps: Steps, start: np.ndarray) -> np.ndarray:
    """Maximum-likelihood parameters from ``start``."""
    result = minimize(lambda th: -step_log_likelihoods(th, steps).sum(), start, method="L-BFGS-B")
    return result.x


@dataclass(frozen=True)
class Consistency:
    """The comparison's parameters and results."""

    fixed: np.ndarray
    """(t0, log temperature) of the fixed-preference model."""
    location: np.ndarray
    """(t0, t1, t2, log temperature) of the location-dependent model."""
    summary: dict
    """Calibration and held-out log-likelihoods, the likelihood-ratio test, the held-out difference."""
    test_steps: pd.DataFrame
    """Per held-out step: episode, features and each model's log-likelihood."""


def dynamic_consistency(
    utility: DiscountedUtility, calibration: tuple[pd.DataFrame, Sequence[Maze]],
    test: tuple[pd.DataFrame, Sequence[Maze]], resamples: int = 1000, seed: int = 0,
) -> Consistency:
    """Fit both models on the calibration episodes' actions and compare them on the test episodes'."""
    cal = episode_steps(*calibration, utility)
    held = episode_steps(*test, utility)
    start = np.array([np.log(max(utility.params.cheese_bonus, CHEESE_GRID[0])), np.log(utility.params.beta)])
    fixed = fit_model(cal, start)
    location = fit_model(cal, np.array([fixed[0], 0.0, 0.0, fixed[1]]))
    ll_cal = {name: float(step_log_likelihoods(th, cal).sum()) for name, th in (("fixed", fixed), ("location", location))}
    ll_fixed, ll_location = step_log_likelihoods(fixed, held), step_log_likelihoods(location, held)
    lr = max(0.0, 2 * (ll_cal["location"] - ll_cal["fixed"]))
    # Episodes are the resampling unit: steps within one episode are not independent.
    episodes = np.unique(held.episode)
    per_episode = np.bincount(held.episode, weights=ll_location - ll_fixed)[episodes]
    lengths = np.bincount(held.episode)[episodes]
    draws = bootstrap_draws(len(episodes), resamples, seed)
    per_step = per_episode[draws].sum(axis=1) / lengths[draws].sum(axis=1)
    low, high = np.quantile(per_step, [0.025, 0.975])
    summary = {
        "calibration": {"episodes": int(len(np.unique(cal.episode))), "steps": int(len(cal.action)),
                        "ll_per_step_fixed": ll_cal["fixed"] / len(cal.action),
                        "ll_per_step_location": ll_cal["location"] / len(cal.action),
                        "likelihood_ratio": lr, "df": 2, "p_value": float(chi2.sf(lr, 2))},
        "test": {"episodes": int(len(episodes)), "steps": int(len(held.action)),
                 "ll_per_step_fixed": float(ll_fixed.mean()), "ll_per_step_location": float(ll_location.mean()),
                 "difference_per_step": float(ll_location.mean() - ll_fixed.mean()),
                 "difference_ci": [float(low), float(high)]},
        "fixed": {"cheese_bonus": float(np.exp(fixed[0])), "temperature": float(np.exp(fixed[1]))},
        "location": {"log_cheese_bonus": float(location[0]), "per_10_steps_to_cheese": float(location[1]),
                     "per_10_cells_to_top_right": float(location[2]), "temperature": float(np.exp(location[3]))},
    }
    table = pd.DataFrame({"episode": held.episode, "d_step_mouse_cheese": held.features[:, 0] * DISTANCE_UNIT,
                          "d_euclid_mouse_tr": held.features[:, 1] * DISTANCE_UNIT,
                          "ll_fixed": ll_fixed, "ll_location": ll_location})
    return Consistency(fixed, location, summary, table)
