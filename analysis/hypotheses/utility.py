"""The time-discounted utility hypothesis: Boltzmann-rational pursuit of a top-right value and the cheese.

Model (the one the behavioural-statistics authors said deserves a fair shot). Each step, the agent
values the cell it arrives in at ``g(d) + c [cell is the cheese]``: ``g`` falls with the cell's
distance ``d`` to the maze's top-right cell (``exp(-d / scale)`` or ``1 / (1 + d / scale)``), and
``c`` is a constant for sharing the cheese's square. It does not know that the cheese ends the
episode (it plans as if it could stay there), discounts by ``gamma``, and picks actions
Boltzmann-rationally with temperature ``beta``: soft value iteration over the mouse's cell gives
``Q``, and ``pi(a | s) = softmax(Q(s, .) / beta)``. A move into a wall is its own action that stays
put, as in the game.

Outcome probabilities are exact for the real game: the policy's Markov chain over (cell, whether the
top-right square was visited) is run for the 500-step horizon with the cheese absorbing. The four
parameters are fitted by maximum likelihood of the calibration outcomes: a coarse grid picks the
basin, then bounded Nelder-Mead refines it, until it converges or its evaluation budget runs out.

Fitting coordinates. Adding a constant to every cell's value, or multiplying values and ``beta`` by
one factor, leaves the policy unchanged, so for a large ``scale`` only ``c * scale`` and
``beta * scale`` matter (``exp(-d / scale) ~ 1 - d / scale``): the limit ``scale -> infinity`` is a
linear decay, and the likelihood can keep rising along that ridge forever. The search therefore
moves in ``(log c scale, log scale, gamma, log beta scale)``, with ``scale`` bounded by
``SCALE_RANGE`` (at 1,000 cells an exponential decay is linear to within 1% over any 15x15 maze),
so it converges; a parameter that ends on a bound is reported as such, with what the bound means.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.sparse.linalg import spsolve

from cheesemaze.analysis.hypotheses.base import outcome_indices
from cheesemaze.analysis.hypotheses.graph import GraphBatch, batch_graphs, maze_graphs
from cheesemaze.envs.game import MAX_STEPS
from cheesemaze.envs.maze import Maze

GAMMA_RANGE = (0.5, 0.99)
"""Discounts the fit may choose from: below 0.5 the agent barely looks past its neighbours, above
0.99 soft value iteration needs thousands of sweeps."""
SCALE_RANGE = (0.5, 1000.0)
"""Distance scales the fit may choose from (see the module docstring for the upper end)."""
SEARCH_BOUNDS = ((np.log(1e-4), np.log(1e4)), tuple(np.log(SCALE_RANGE)), GAMMA_RANGE, (np.log(1e-4), np.log(1e4)))
"""Bounds of the fitting coordinates (log c scale, log scale, gamma, log beta scale)."""
COORDINATES = ("cheese_bonus x scale", "scale", "gamma", "beta x scale")
GRID_CHEESE = (0.2, 1.0, 5.0)
GRID_SCALE = (2.0, 8.0)
GRID_GAMMA = (0.85, 0.97)
GRID_BETA = (0.03, 0.15, 0.7)
"""The coarse grid (36 points) the fit starts from; its best point seeds Nelder-Mead."""
SIMPLEX_STEP = np.array([0.5, 0.5, 0.03, 0.5])
"""Initial Nelder-Mead step in each coordinate (a factor of e^0.5 in the logarithmic ones)."""


@dataclass(frozen=True)
class UtilityParams:
    """The fitted parameters."""

    cheese_bonus: float = 1.0
    """``c``: value per step of sharing the cheese's square, in units of the top-right value at d = 0."""
    scale: float = 4.0
    """Distance scale of the top-right value, in cells."""
    gamma: float = 0.9
    """Discount per step."""
    beta: float = 0.1
    """Boltzmann temperature of the action choice."""

    def __post_init__(self) -> None:
        if self.cheese_bonus < 0 or self.scale <= 0 or self.beta <= 0:
            raise ValueError(f"cheese_bonus must be >= 0 and scale, beta > 0; got {self}")
        if not GAMMA_RANGE[0] <= self.gamma <= GAMMA_RANGE[1]:
            raise ValueError(f"gamma must be in {GAMMA_RANGE}; got {self.gamma}")


@dataclass(frozen=True)
class UtilityConfig:
    """The time-discounted utility hypothesis and its fit."""

    decay: Literal["exp", "inverse"] = "exp"
    """Top-right value: exp(-d / scale) or 1 / (1 + d / scale)."""
    distance: Literal["euclid", "step"] = "euclid"
    """Distance from a cell to the top-right cell: straight-line or along the maze."""
    horizon: int = MAX_STEPS
    """Steps per episode of the real game (the agent itself plans with discounting, no horizon)."""
    fit_mazes: int = 300
    """Calibration mazes used by the fit (the first ones), to keep it to a minute on a CPU."""
    max_evaluations: int = 400
    """Likelihood evaluations Nelder-Mead may spend after the coarse grid (it usually converges in 150-300)."""

    def __post_init__(self) -> None:
        if self.decay not in ("exp", "inverse"):
            raise ValueError(f"decay must be 'exp' or 'inverse'; got {self.decay!r}")
        if self.distance not in ("euclid", "step"):
            raise ValueError(f"distance must be 'euclid' or 'step'; got {self.distance!r}")
        for name in ("horizon", "fit_mazes", "max_evaluations"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1; got {getattr(self, name)}")


def top_right_distances(batch: GraphBatch, distance: str) -> np.ndarray:
    """(N,) distance from every cell to its maze's top-right cell."""
    if distance == "step":
        return batch.flat([g.distances_from(g.maze.top_right).astype(np.float64) for g in batch.graphs])
    return batch.flat([np.hypot(*(g.cells - np.array(g.maze.top_right)).T) for g in batch.graphs])


def cell_values(batch: GraphBatch, distances: np.ndarray, params: UtilityParams, decay: str) -> np.ndarray:
    """(N,) value per step of arriving in each cell."""
    if decay == "exp":
        value = np.exp(-distances / params.scale)
    else:
        value = 1.0 / (1.0 + distances / params.scale)
    value[batch.cheese] += params.cheese_bonus
    return value


def soft_q(
    batch: GraphBatch, values: np.ndarray, gamma: float, beta: float, start: np.ndarray | None = None,
    tolerance: float = 1e-6, max_iterations: int = 200,
) -> tuple[np.ndarray, np.ndarray]:
    """The soft-optimal ``Q`` (N, 5) and ``V`` (N,) by soft policy iteration.

    ``V(s) = beta log sum_a exp(Q(s, a) / beta)``, ``Q(s, a) = u(s') + gamma V(s')``. Each iteration
    evaluates the current Boltzmann policy exactly (one sparse solve of ``(I - gamma P) V = r``, which
    a maze's tree structure keeps cheap) and improves it; this is Newton's method on the soft Bellman
    equation, so a handful of iterations replace the ~1 / (1 - gamma) sweeps of value iteration. It
    stops when ``V`` moves less than ``tolerance * beta``, i.e. every policy logit ``Q / beta`` is
    settled to about ``tolerance``. ``start`` warm-starts ``V``.
    """
    nxt = batch.moves
    gain = values[nxt]
    v = np.zeros_like(values) if start is None else start.copy()
    rows = np.repeat(np.arange(batch.n_cells), nxt.shape[1])
    identity = sp.identity(batch.n_cells, format="csc")
    for _ in range(max_iterations):
        q = gain + gamma * v[nxt]
        pi = boltzmann(q, beta)
        reward = (pi * (gain - beta * np.log(np.maximum(pi, 1e-300)))).sum(axis=1)
        chain = sp.csc_matrix((pi.ravel(), (rows, nxt.ravel())), shape=(batch.n_cells,) * 2)
        new = spsolve(identity - gamma * chain, reward)
        done = np.abs(new - v).max() < tolerance * beta
        v = new
        if done:
            break
    return gain + gamma * v[nxt], v


def boltzmann(q: np.ndarray, beta: float) -> np.ndarray:
    """``softmax(Q / beta)`` over the last axis."""
    z = (q - q.max(axis=-1, keepdims=True)) / beta
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def outcome_probabilities(batch: GraphBatch, policy: np.ndarray, horizon: int) -> np.ndarray:
    """(B, 3) exact P(cheese, top_right, other) of the policy (N, 5) in the real game.

    States are (cell, visited the top-right square yet); arriving on the cheese moves the mass into
    an absorbing sink per maze. One sparse matrix-vector product per step of the horizon.
    """
    n, n_b = batch.n_cells, len(batch)
    nxt = batch.moves
    sink = 2 * n + batch.maze_of
    dst = np.stack([nxt + n * batch.in_region[nxt], nxt + n])  # the visited flag, once set, stays set
    dst = np.where((nxt == batch.cheese[batch.maze_of][:, None])[None], sink[None, :, None], dst)
    src = np.broadcast_to(np.arange(2 * n).reshape(2, n, 1), dst.shape)
    size = 2 * n + n_b
    sinks = 2 * n + np.arange(n_b)
    data = np.concatenate([np.broadcast_to(policy[None], dst.shape).ravel(), np.ones(n_b)])
    cols = np.concatenate([src.ravel(), sinks])
    step = sp.csr_matrix((data, (np.concatenate([dst.ravel(), sinks]), cols)), shape=(size, size))
    p = np.zeros(size)
    p[batch.start + n * batch.in_region[batch.start]] = 1.0
    for _ in range(horizon):
        p = step @ p
    cheese = p[2 * n :]
    top_right = batch.sum_per_maze(p[n : 2 * n])
    other = batch.sum_per_maze(p[:n])
    return np.stack([cheese, top_right, other], axis=1)


class DiscountedUtility:
    """Hypothesis 4: time-discounted, Boltzmann-rational pursuit of the top-right and the cheese."""

    name = "utility"

    def __init__(self, config: UtilityConfig = UtilityConfig()) -> None:
        self.config = config
        self.params = UtilityParams()
        self.fit_report: dict[str, Any] = {}

    def policy(self, batch: GraphBatch, params: UtilityParams | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Action probabilities (N, 5) under ``params`` (default: the fitted ones), and the soft values."""
        params = params or self.params
        values = cell_values(batch, top_right_distances(batch, self.config.distance), params, self.config.decay)
        q, v = soft_q(batch, values, params.gamma, params.beta)
        return boltzmann(q, params.beta), v

    def fit(self, rows: pd.DataFrame, mazes: Sequence[Maze]) -> None:
        """Maximum likelihood of the observed outcomes of the first ``fit_mazes`` calibration episodes."""
        keep = min(len(mazes), self.config.fit_mazes)
        if keep == 0:
            raise ValueError("the utility hypothesis needs at least one calibration episode to fit")
        observed = outcome_indices(rows["outcome"].iloc[:keep])
        batch = batch_graphs(maze_graphs(mazes[:keep]))
        distances = top_right_distances(batch, self.config.distance)
        warm: dict[str, np.ndarray] = {}

        def negative_log_likelihood(x: np.ndarray) -> float:
            params = from_vector(x)
            values = cell_values(batch, distances, params, self.config.decay)
            q, warm["v"] = soft_q(batch, values, params.gamma, params.beta, warm.get("v"))
            probs = outcome_probabilities(batch, boltzmann(q, params.beta), self.config.horizon)
            picked = probs[np.arange(keep), observed]
            # The floor keeps the search's objective finite; predictions themselves are never floored.
            return float(-np.log(np.maximum(picked, 1e-300)).sum())

        # The likelihood surface is steep between "mostly cheese" and "mostly top-right" regimes, so a
        # coarse grid picks the basin before Nelder-Mead refines within it.
        grid = [to_vector(UtilityParams(cheese_bonus=c, scale=sc, gamma=g, beta=b))
                for c in GRID_CHEESE for sc in GRID_SCALE for g in GRID_GAMMA for b in GRID_BETA]
        scores = [negative_log_likelihood(x) for x in grid]
        x0 = grid[int(np.argmin(scores))]
        upper = np.array([hi for _, hi in SEARCH_BOUNDS])
        simplex = np.vstack([x0, x0 + np.diag(np.where(x0 + SIMPLEX_STEP > upper, -SIMPLEX_STEP, SIMPLEX_STEP))])
        result = minimize(negative_log_likelihood, x0, method="Nelder-Mead", bounds=SEARCH_BOUNDS,
                          options={"maxfev": self.config.max_evaluations, "initial_simplex": simplex,
                                   "xatol": 1e-3, "fatol": 1e-3})
        self.params = from_vector(result.x)
        at_bounds = [f"{name} at its {'lower' if abs(v - lo) < abs(v - hi) else 'upper'} bound"
                     for name, v, (lo, hi) in zip(COORDINATES, result.x, SEARCH_BOUNDS)
                     if min(abs(v - lo), abs(v - hi)) < 1e-3 * max(1.0, hi - lo)]
        self.fit_report = {"method": "coarse grid, then bounded Nelder-Mead", "mazes": keep,
                           "evaluations": int(result.nfev) + len(grid),
                           "mean_log_likelihood": -float(result.fun) / keep, "converged": bool(result.success),
                           "message": str(result.message), "at_bounds": at_bounds}

    def predict(self, mazes: Sequence[Maze]) -> np.ndarray:
        batch = batch_graphs(maze_graphs(mazes))
        policy, _ = self.policy(batch)
        return outcome_probabilities(batch, policy, self.config.horizon)

    def parameters(self) -> dict[str, Any]:
        return {"config": asdict(self.config), "fitted": asdict(self.params), "fit": self.fit_report}

    @classmethod
    def from_parameters(cls, parameters: dict[str, Any]) -> "DiscountedUtility":
        """Rebuild a fitted hypothesis from its :meth:`parameters` (e.g. read from a prediction file)."""
        model = cls(UtilityConfig(**parameters["config"]))
        model.params = UtilityParams(**parameters["fitted"])
        model.fit_report = dict(parameters.get("fit", {}))
        return model


def to_vector(params: UtilityParams) -> np.ndarray:
    """The fitting coordinates (log c scale, log scale, gamma, log beta scale) of the parameters."""
    return np.array([np.log(max(params.cheese_bonus, 1e-12) * params.scale), np.log(params.scale), params.gamma,
                     np.log(params.beta * params.scale)])


def from_vector(x: np.ndarray) -> UtilityParams:
    """The inverse of :func:`to_vector`."""
    scale = float(np.exp(x[1]))
    return UtilityParams(cheese_bonus=float(np.exp(x[0])) / scale, scale=scale,
                         gamma=float(np.clip(x[2], *GAMMA_RANGE)), beta=float(np.exp(x[3])) / scale)
