"""Dynamic consistency, step by step: fixed preferences against preferences that move with the mouse.

Both models act like the time-discounted utility hypothesis (:mod:`utility`): soft-optimal values of
a top-right value plus a cheese bonus ``c``, then Boltzmann action choice. The *fixed-preference*
model uses one ``c`` for the whole episode, as a utility maximizer must. The *location-dependent*
model lets the cheese's weight depend on where the mouse stands:
``log c(x) = t0 + t1 d_step(x, cheese) / 10 + t2 d_euclid(x, top-right) / 10``, re-planning each step
with the weight of the moment, which is the dynamic inconsistency the behavioural-statistics authors
suspected. ``t1 = t2 = 0`` is the fixed model, so they are nested. Both add a fitted bias per action
(four logits, NOOP's fixed at 0) to ``Q / temperature``: an agent's habits that no value explains
(pressing UP more than DOWN everywhere, say). With an infinite temperature a model is its biases
alone, the action-frequency baseline below, so a model that cannot beat that baseline on
calibration steps does not exist.

Fitted to actions. Nothing is reused from the outcome fit: the geometry (distance scale and
discount) is chosen from ``GEOMETRY_GRID`` by the fixed model's action likelihood on calibration
episodes, planning at a temperature of ``PLAN_TEMPERATURE`` cells of top-right value; then each
model fits its cheese weight and its own action temperature to the calibration actions by maximum
likelihood. Soft values are solved once per maze on a log-spaced grid of ``c`` and a step's
``Q(x, .)`` at any ``c`` is interpolated linearly in ``log c`` (clamped to the grid's ends).

Scored with power in mind. Beside the two models, two baselines that know nothing of mazes: the
uniform policy (log 1/5 per step) and the agent's overall action frequencies on the calibration
steps. Held-out log-likelihood per step is reported on all steps and apart for the episodes that
reached the cheese and those that timed out (most steps of a weak agent are spent dithering in
timeouts), and every difference comes with a bootstrap interval over episodes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import log_softmax
from scipy.stats import chi2

from cheesemaze.analysis.evaluation import parse_path
from cheesemaze.analysis.hypotheses.graph import GraphBatch, batch_graphs, maze_graphs
from cheesemaze.analysis.hypotheses.utility import UtilityParams, cell_values, soft_q, top_right_distances
from cheesemaze.analysis.stats import bootstrap_draws
from cheesemaze.envs.actions import LETTERS
from cheesemaze.envs.game import MAX_STEPS
from cheesemaze.envs.maze import Maze

CHEESE_GRID = np.geomspace(0.03, 3000.0, 16)
"""Cheese bonuses at which soft values are solved, in cells of top-right value (bonus x scale), about
2.15 apart."""
GEOMETRY_GRID = tuple((scale, gamma) for scale in (4.0, 40.0, 400.0) for gamma in (0.9, 0.99))
"""(distance scale, discount) pairs the geometry is chosen from."""
GEOMETRY_EPISODES = 60
"""Calibration episodes the geometry is chosen on (the first ones), to keep the choice cheap."""
PLAN_TEMPERATURE = 1.0
"""Planning temperature in cells of top-right value (beta x scale)."""
N_BIAS = 4
"""Per-action bias logits (UP, DOWN, LEFT, RIGHT; NOOP's is 0), the last entries of every model's parameters."""
DISTANCE_UNIT = 10.0
"""Distances enter the location model in units of ten cells."""
SUBSETS = ("all", "reached cheese", "timed out")


@dataclass(frozen=True)
class Geometry:
    """What the soft values are solved with, apart from the cheese bonus."""

    scale: float
    gamma: float
    decay: str = "exp"
    distance: str = "euclid"

    def params(self, cheese_cells: float = 0.0) -> UtilityParams:
        """The utility parameters of this geometry with a cheese bonus of ``cheese_cells`` cells."""
        return UtilityParams(cheese_bonus=cheese_cells / self.scale, scale=self.scale, gamma=self.gamma,
                             beta=PLAN_TEMPERATURE / self.scale)


@dataclass(frozen=True)
class Steps:
    """Every step of some episodes: which episode, where the mouse stood, what it did, and the grid's Q there."""

    episode: np.ndarray
    q: np.ndarray
    """(S, G, 5) soft Q at the mouse's cell for each grid bonus."""
    action: np.ndarray
    features: np.ndarray
    """(S, 2) d_step(mouse, cheese) and d_euclid(mouse, top-right), in units of ten cells."""
    timed_out: np.ndarray
    """(S,) whether the step's episode ended by timeout."""


def episode_steps(rows: pd.DataFrame, mazes: Sequence[Maze], geometry: Geometry) -> Steps:
    """Parse the episodes' paths and actions and look up the grid's soft Q at each step."""
    graphs = maze_graphs(mazes)
    batch = batch_graphs(graphs)
    q_grid = grid_q(batch, geometry)
    cheese_dist = batch.flat([g.distances_from(g.maze.cheese) for g in graphs]).astype(np.float64)
    corner_dist = top_right_distances(batch, "euclid")
    episodes, cells, actions, timeouts = [], [], [], []
    for i, (path, letters, steps, outcome) in enumerate(zip(rows["path"], rows["actions"], rows["steps"],
                                                           rows["outcome"])):
        if steps == 0:
            continue
        local = graphs[i].indices(parse_path(path)[:steps])
        cells.append(local + batch.offsets[i])
        actions.append([LETTERS[ch] for ch in letters[:steps]])
        episodes.append(np.full(steps, i))
        timeouts.append(np.full(steps, outcome != "cheese" and steps >= MAX_STEPS))
    cell = np.concatenate(cells)
    features = np.stack([cheese_dist[cell], corner_dist[cell]], axis=1) / DISTANCE_UNIT
    # float32 halves the largest array (steps x grid x actions); log-likelihoods need no more precision.
    q = q_grid[:, cell].transpose(1, 0, 2).astype(np.float32)
    return Steps(np.concatenate(episodes), q, np.concatenate(actions), features, np.concatenate(timeouts))


def grid_q(batch: GraphBatch, geometry: Geometry) -> np.ndarray:
    """(G, N, 5) soft Q of every cell for each bonus of ``CHEESE_GRID``."""
    params = geometry.params()
    tiled = batch_graphs(list(batch.graphs) * len(CHEESE_GRID))
    base = cell_values(batch, top_right_distances(batch, geometry.distance), params, geometry.decay)
    values = np.tile(base, len(CHEESE_GRID))
    values[tiled.cheese] += np.repeat(CHEESE_GRID / geometry.scale, len(batch))
    q, _ = soft_q(tiled, values, params.gamma, params.beta)
    return q.reshape(len(CHEESE_GRID), batch.n_cells, -1)


def step_log_likelihoods(theta: np.ndarray, steps: Steps) -> np.ndarray:
    """(S,) log-probability of each action; ``theta`` = (t0, [t1, t2,] log temperature, 4 action biases),
    ``t0`` the log cheese bonus in cells."""
    theta, bias = theta[:-N_BIAS], np.append(theta[-N_BIAS:], 0.0)
    log_c = np.full(len(steps.action), theta[0])
    if len(theta) == 4:
        log_c += steps.features @ theta[1:3]
    grid = np.log(CHEESE_GRID)
    u = np.clip((log_c - grid[0]) / (grid[1] - grid[0]), 0, len(grid) - 1)
    i = np.minimum(np.floor(u).astype(np.int64), len(grid) - 2)
    w = (u - i)[:, None]
    rows = np.arange(len(i))
    q = (1 - w) * steps.q[rows, i] + w * steps.q[rows, i + 1]
    return log_softmax(q / np.exp(theta[-1]) + bias, axis=1)[rows, steps.action]


def fit_model(steps: Steps, start: np.ndarray) -> tuple[np.ndarray, dict]:
    """Maximum-likelihood parameters from ``start``, and how the search ended."""
    result = minimize(lambda th: -step_log_likelihoods(th, steps).sum(), start, method="L-BFGS-B")
    return result.x, {"converged": bool(result.success), "message": str(result.message)}


def fixed_start(steps: Steps) -> np.ndarray:
    """A start for the fixed model: the middle of the cheese grid, a temperature matched to Q's spread,
    no action bias."""
    spread = float(np.std(steps.q[:, len(CHEESE_GRID) // 2])) or 1.0
    return np.concatenate([[np.log(CHEESE_GRID[len(CHEESE_GRID) // 2]), np.log(spread)], np.zeros(N_BIAS)])


def choose_geometry(rows: pd.DataFrame, mazes: Sequence[Maze], decay: str = "exp",
                    distance: str = "euclid") -> tuple[Geometry, list[dict]]:
    """The grid geometry under which the fixed model explains the first calibration episodes' actions best."""
    keep = min(len(mazes), GEOMETRY_EPISODES)
    tried = []
    for scale, gamma in GEOMETRY_GRID:
        geometry = Geometry(scale, gamma, decay, distance)
        steps = episode_steps(rows.iloc[:keep], mazes[:keep], geometry)
        theta, _ = fit_model(steps, fixed_start(steps))
        tried.append({"scale": scale, "gamma": gamma,
                      "ll_per_step": float(step_log_likelihoods(theta, steps).mean())})
    best = max(tried, key=lambda t: t["ll_per_step"])
    return Geometry(best["scale"], best["gamma"], decay, distance), tried


def action_bias(theta: np.ndarray) -> dict[str, float]:
    """A model's action biases by action name (NOOP's is 0 by construction)."""
    return dict(zip(("UP", "DOWN", "LEFT", "RIGHT", "NOOP"), np.append(theta[-N_BIAS:], 0.0).tolist()))


def frequency_log_likelihoods(train: np.ndarray, test: np.ndarray) -> np.ndarray:
    """(S,) log-probability of each test action under the training steps' action frequencies (+1/2 each)."""
    counts = np.bincount(train, minlength=len(LETTERS)) + 0.5
    return np.log(counts / counts.sum())[test]


@dataclass(frozen=True)
class Consistency:
    """The comparison's parameters and results."""

    fixed: np.ndarray
    """(t0, log temperature, 4 action biases) of the fixed-preference model."""
    location: np.ndarray
    """(t0, t1, t2, log temperature, 4 action biases) of the location-dependent model."""
    summary: dict
    """Calibration and held-out log-likelihoods, the likelihood-ratio test, the held-out differences."""
    test_steps: pd.DataFrame
    """Per held-out step: episode, features, whether it timed out, and each model's log-likelihood."""


def episode_difference(a: np.ndarray, b: np.ndarray, episode: np.ndarray, draws_seed: tuple[int, int]) -> dict:
    """Mean per-step difference ``a - b`` with a 95% interval over resampled episodes (steps within one
    episode are not independent)."""
    if not len(a):
        return {"per_step": float("nan"), "ci": [float("nan"), float("nan")]}
    episodes, index = np.unique(episode, return_inverse=True)
    per_episode = np.bincount(index, weights=a - b)
    lengths = np.bincount(index)
    draws = bootstrap_draws(len(episodes), *draws_seed)
    per_step = per_episode[draws].sum(axis=1) / lengths[draws].sum(axis=1)
    low, high = np.quantile(per_step, [0.025, 0.975])
    return {"per_step": float((a - b).mean()), "ci": [float(low), float(high)]}


def dynamic_consistency(
    calibration: tuple[pd.DataFrame, Sequence[Maze]], test: tuple[pd.DataFrame, Sequence[Maze]],
    resamples: int = 1000, seed: int = 0, decay: str = "exp", distance: str = "euclid",
) -> Consistency:
    """Fit the geometry and both models to the calibration episodes' actions; compare them with the two
    baselines on the test episodes' actions."""
    geometry, tried = choose_geometry(*calibration, decay, distance)
    cal = episode_steps(*calibration, geometry)
    held = episode_steps(*test, geometry)
    fixed, fixed_fit = fit_model(cal, fixed_start(cal))
    location, location_fit = fit_model(cal, np.concatenate([[fixed[0], 0.0, 0.0], fixed[1:]]))
    ll_cal = {name: float(step_log_likelihoods(th, cal).sum()) for name, th in (("fixed", fixed), ("location", location))}
    lr = max(0.0, 2 * (ll_cal["location"] - ll_cal["fixed"]))
    lls = {"fixed": step_log_likelihoods(fixed, held), "location": step_log_likelihoods(location, held),
           "frequency": frequency_log_likelihoods(cal.action, held.action),
           "uniform": np.full(len(held.action), -np.log(len(LETTERS)))}
    test_summary = {}
    for subset in SUBSETS:
        mask = {"all": np.ones(len(held.action), dtype=bool), "reached cheese": ~held.timed_out,
                "timed out": held.timed_out}[subset]
        ep = held.episode[mask]
        part = {name: ll[mask] for name, ll in lls.items()}
        test_summary[subset] = {
            "episodes": int(len(np.unique(ep))), "steps": int(mask.sum()),
            **{f"ll_per_step_{name}": float(ll.mean()) if len(ll) else float("nan") for name, ll in part.items()},
            "location_minus_fixed": episode_difference(part["location"], part["fixed"], ep, (resamples, seed)),
            "fixed_minus_frequency": episode_difference(part["fixed"], part["frequency"], ep, (resamples, seed)),
            "frequency_minus_uniform": episode_difference(part["frequency"], part["uniform"], ep, (resamples, seed)),
        }
    summary = {
        "geometry": {"scale": geometry.scale, "gamma": geometry.gamma, "plan_temperature_cells": PLAN_TEMPERATURE,
                     "chosen_on_episodes": min(len(calibration[1]), GEOMETRY_EPISODES), "tried": tried},
        "calibration": {"episodes": int(len(np.unique(cal.episode))), "steps": int(len(cal.action)),
                        "ll_per_step_fixed": ll_cal["fixed"] / len(cal.action),
                        "ll_per_step_location": ll_cal["location"] / len(cal.action),
                        "likelihood_ratio": lr, "df": 2, "p_value": float(chi2.sf(lr, 2))},
        "test": test_summary,
        "fixed": {"cheese_bonus_cells": float(np.exp(fixed[0])), "temperature": float(np.exp(fixed[1])),
                  "action_bias": action_bias(fixed), "fit": fixed_fit},
        "location": {"log_cheese_bonus_cells": float(location[0]), "per_10_steps_to_cheese": float(location[1]),
                     "per_10_cells_to_top_right": float(location[2]), "temperature": float(np.exp(location[3])),
                     "action_bias": action_bias(location), "fit": location_fit},
    }
    table = pd.DataFrame({"episode": held.episode, "timed_out": held.timed_out,
                          "d_step_mouse_cheese": held.features[:, 0] * DISTANCE_UNIT,
                          "d_euclid_mouse_tr": held.features[:, 1] * DISTANCE_UNIT,
                          **{f"ll_{name}": ll for name, ll in lls.items()}})
    return Consistency(fixed, location, summary, table)
