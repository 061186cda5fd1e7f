"""Linear probes and channel maps: what the residual stream says about where the cheese is and where
the maze's top-right cell is.

Each maze is seen once, with the cheese anywhere and the mouse on a random free cell (so the probes
cannot lean on the start). A probe reads one layer's activations (all channels and positions,
standardized) and predicts the cell, one class per world cell; it is a ridge-regression classifier
(one least-squares fit for all classes, its penalty chosen by leave-one-out on the fitting mazes;
:class:`DualRidge`),
fitted on some held-out mazes and scored on others. Beside each accuracy: chance (the fitting
mazes' most common cell) and the same probe fitted on shuffled labels (a control a probe that
merely memorizes would pass), averaged over ``SHUFFLES`` permutations: where the target is nearly
perfectly decodable (the top-right cell, 7 classes) one permutation's chance correlations with the
true labels carry over to the scored mazes, so a single shuffled probe lands well above or below
chance by luck; over permutations it averages to chance.

Shuffled labels are the chance reference, not the evidence: the cheese is a channel of the
observation and the top-right cell follows from the maze's size, which the walls show, so a probe
can read either straight off the input. The same probe fitted on the raw observation (the
network's input, the same mazes and split: the ``OBSERVATION`` row) is the baseline a layer has to
beat before its accuracy says anything about what the network computes.

Channel maps: a channel tracks the cheese when its activation is high where the cheese is. The
cheese's cell is pooled down to the layer's grid the way the network pools (3x3 windows, stride 2),
and each channel is ranked by the correlation of its activations with that map over all mazes and
positions; ``peak_at_cheese`` is how often the channel's largest activation sits on the cheese.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler

from cheesemaze.agents.activations import record
from cheesemaze.agents.loading import Agent
from cheesemaze.analysis.cell_maps import observations
from cheesemaze.analysis.stats import wilson_interval
from cheesemaze.envs.maze import Maze, check_levels, generate_maze
from cheesemaze.envs.render import grid_to_rgb

TARGETS = ("cheese", "top_right")
OBSERVATION = "observation"
"""The probes' row fitted on the raw observation (the network's input), in place of a layer's name."""
PUBLISHED_CHEESE_CHANNELS = (7, 8, 42, 44, 55, 77, 82, 88, 89, 99, 113)
"""The channels at block2.res1 Turner et al. found by eye to track the cheese in their r=5 network."""
SHUFFLES = 5
"""Label permutations the shuffled-label control is averaged over."""
ALPHAS = np.logspace(-1, 4, 6)
"""Ridge penalties tried (on standardized activations)."""


@dataclass(frozen=True)
class ProbeConfig:
    """Which held-out mazes the probes are fitted and scored on, and which layer's channels are ranked."""

    n_fit: int = 1000
    """Held-out cheese-anywhere mazes the probes are fitted on."""
    n_score: int = 500
    """Further held-out mazes (the level seeds after the fitting ones) they are scored on."""
    level_start: int | None = None
    """First level seed (default: the start of the agent's held-out range)."""
    seed: int = 0
    """Seed of the mouse's placement and the shuffled labels."""
    layer: str = "stacks.1.res0.add"
    """The layer whose channels are ranked and drawn (the published cheese channels' site)."""
    top: int = 8
    """Channels drawn in the channel-map figure."""


def probe_mazes(world_size: int, n: int, level_start: int, train_levels: tuple[int, int],
                seed: int) -> tuple[list[Maze], np.ndarray]:
    """``n`` cheese-anywhere mazes from ``level_start`` on, and a random free cell for the mouse in
    each (never the cheese's)."""
    check_levels(level_start, n, train_levels)
    rng = np.random.default_rng([seed, 2])
    mazes = [generate_maze(level, world_size, None) for level in range(level_start, level_start + n)]
    cells = []
    for maze in mazes:
        free = maze.free_cells()
        free = free[(free[:, 0] != maze.cheese[0]) | (free[:, 1] != maze.cheese[1])]
        cells.append(free[rng.integers(len(free))])
    return mazes, np.array(cells)


def probe_observations(mazes: list[Maze], cells: np.ndarray, obs_mode: str) -> np.ndarray:
    grid = observations(mazes, cells)
    return grid if obs_mode == "grid" else grid_to_rgb(grid)


def target_cells(mazes: list[Maze], target: str) -> np.ndarray:
    """The probed cell of each maze as a class ``row * W + col``."""
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}; got {target!r}")
    cells = [m.cheese if target == "cheese" else m.top_right for m in mazes]
    return np.array([r * m.world_size + c for (r, c), m in zip(cells, mazes)])


class DualRidge:
    """Ridge-regression classifiers over one layer's standardized activations, fitted in the dual.

    The fitting mazes' Gram matrix is decomposed once per layer; each label set (a target, its
    shuffles) then costs a few matrix products. Classes are coded +1/-1, an intercept is fitted, and
    the penalty is the one of ``ALPHAS`` with the least exact leave-one-out squared error: scikit-learn's
    ``RidgeClassifierCV``, which would decompose the matrix again for every label set.
    """

    def __init__(self, x_fit: np.ndarray, x_score: np.ndarray) -> None:
        scaler = StandardScaler().fit(x_fit)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # constant features (dead units) standardize to zero
            fit, score = scaler.transform(x_fit), scaler.transform(x_score)
        eigenvalues, self.vectors = np.linalg.eigh(fit @ fit.T)
        self.eigenvalues = np.clip(eigenvalues, 0, None)
        self.cross = score @ fit.T

    def accuracy(self, y_fit: np.ndarray, y_score: np.ndarray) -> float:
        """Accuracy on the scored mazes of the probe fitted to ``y_fit``."""
        classes = np.unique(y_fit)
        if len(classes) < 2:
            return float(np.mean(y_score == classes[0]))
        coded = np.where(y_fit[:, None] == classes, 1.0, -1.0)
        intercept = coded.mean(axis=0)
        rotated = self.vectors.T @ (coded - intercept)
        best_error, best_dual = np.inf, None
        for alpha in ALPHAS:
            shrink = 1 / (self.eigenvalues + alpha)
            # The leverage of each fitting maze: the diagonal of K (K + alpha I)^-1, plus 1/n for the
            # intercept (unpenalized; the centred Gram matrix has the constant vector in its null space).
            hat = (self.vectors**2) @ (self.eigenvalues * shrink) + 1 / len(coded)
            fitted = self.vectors @ ((self.eigenvalues * shrink)[:, None] * rotated)
            error = float((((coded - intercept - fitted) / (1 - hat)[:, None]) ** 2).sum())
            if error < best_error:
                best_error, best_dual = error, self.vectors @ (shrink[:, None] * rotated)
        predicted = classes[(self.cross @ best_dual + intercept).argmax(axis=1)]
        return float(np.mean(predicted == y_score))


def chance(y_fit: np.ndarray, y_score: np.ndarray) -> float:
    """Accuracy of always answering the fitting set's most common class."""
    values, counts = np.unique(y_fit, return_counts=True)
    return float(np.mean(y_score == values[np.argmax(counts)]))


def layer_probes(fit: dict[str, np.ndarray], score: dict[str, np.ndarray], y_fit: dict[str, np.ndarray],
                 y_score: dict[str, np.ndarray], seed: int) -> pd.DataFrame:
    """Per layer and target: held-out accuracy (Wilson 95%), chance, and the shuffled-label control
    (mean over ``SHUFFLES`` permutations)."""
    rng = np.random.default_rng([seed, 3])
    rows = []
    for layer in fit:
        x_fit = fit[layer].reshape(len(fit[layer]), -1)
        ridge = DualRidge(x_fit, score[layer].reshape(len(score[layer]), -1))
        for target in y_fit:
            yf, ys = y_fit[target], y_score[target]
            accuracy = ridge.accuracy(yf, ys)
            low, high = wilson_interval(round(accuracy * len(ys)), len(ys))
            rows.append({"layer": layer, "target": target, "features": x_fit.shape[1], "accuracy": accuracy,
                         "accuracy_low": low, "accuracy_high": high, "chance": chance(yf, ys),
                         "shuffled": float(np.mean([ridge.accuracy(rng.permutation(yf), ys)
                                                    for _ in range(SHUFFLES)]))})
    return pd.DataFrame(rows)


def pool_half(maps: np.ndarray) -> np.ndarray:
    """One 3x3, stride-2, padding-1 max-pool over the last two axes (the network's pooling)."""
    padded = np.pad(maps, [(0, 0)] * (maps.ndim - 2) + [(1, 1), (1, 1)], constant_values=-np.inf)
    out_h, out_w = (maps.shape[-2] - 1) // 2 + 1, (maps.shape[-1] - 1) // 2 + 1
    windows = [padded[..., dr : dr + 2 * out_h : 2, dc : dc + 2 * out_w : 2] for dr in range(3) for dc in range(3)]
    return np.max(windows, axis=0)


def cell_maps(cells: np.ndarray, world_size: int, size: int, upsample: int = 1) -> np.ndarray:
    """One-hot maps (n, size, size) of ``cells`` (n, 2) pooled from the world (drawn ``upsample`` times
    larger, as the network sees it) down to a layer's ``size``."""
    side = world_size * upsample
    maps = np.zeros((len(cells), side, side))
    for i, (r, c) in enumerate(np.asarray(cells)):
        maps[i, r * upsample : (r + 1) * upsample, c * upsample : (c + 1) * upsample] = 1
    while maps.shape[-1] > size:
        maps = pool_half(maps)
    if maps.shape[-1] != size:
        raise ValueError(f"a {side}x{side} input does not pool down to a {size}x{size} layer")
    return maps


def channel_ranking(acts: np.ndarray, cheese_maps: np.ndarray) -> pd.DataFrame:
    """Each channel's correlation with the cheese map over all mazes and positions, how often its
    largest activation lies on the cheese (``peak_chance``: how often a random position would), sorted
    by the absolute correlation, largest first."""
    n, channels = acts.shape[:2]
    flat = acts.transpose(1, 0, 2, 3).reshape(channels, -1).astype(np.float64)
    target = cheese_maps.reshape(-1)
    centred = flat - flat.mean(axis=1, keepdims=True)
    spread = np.sqrt((centred**2).sum(axis=1)) * np.sqrt(((target - target.mean()) ** 2).sum())
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.where(spread > 0, centred @ (target - target.mean()) / spread, 0.0)
    peaks = acts.reshape(n, channels, -1).argmax(axis=2)
    on_cheese = np.take_along_axis(cheese_maps.reshape(n, 1, -1).repeat(channels, 1), peaks[..., None], axis=2)[..., 0]
    table = pd.DataFrame({"channel": np.arange(channels), "corr": corr, "peak_at_cheese": (on_cheese > 0).mean(axis=0),
                          "peak_chance": (cheese_maps > 0).mean()})
    return table.reindex(table["corr"].abs().sort_values(ascending=False).index).reset_index(drop=True)


def cheese_channels(agent: Agent, layer: str, mazes: list[Maze], cells: np.ndarray) -> pd.DataFrame:
    """:func:`channel_ranking` of ``layer`` over ``mazes`` with the mouse on ``cells``."""
    env = agent.config.env
    acts = record(agent.policy, probe_observations(mazes, cells, env.obs_mode), [layer])[layer]
    cheese = cell_maps(np.array([m.cheese for m in mazes]), env.world_size, acts.shape[-1], agent.config.ppo.upsample)
    return channel_ranking(acts, cheese)
