"""Intervals: Wilson's for a proportion, bootstrap percentile intervals over resampled rows, and Student's t
for a mean over a few values (seeds); and how many events a Monte Carlo zero can still let through."""

from __future__ import annotations

from collections.abc import Callable

import math

import numpy as np
from scipy import stats as scipy_stats


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (95% by default); (nan, nan) when n is 0."""
    if n == 0:
        return float("nan"), float("nan")
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def bootstrap_draws(n: int, resamples: int, seed: int) -> np.ndarray:
    """Index rows (resamples, n): each row draws ``n`` of ``0 .. n - 1`` with replacement."""
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def bootstrap_interval(values: np.ndarray, draws: np.ndarray,
                       statistic: Callable[..., np.ndarray] = np.mean) -> tuple[float, float]:
    """95% percentile interval of ``statistic`` (the mean, or ``np.median``) of ``values`` over
    resampled index rows ``draws`` (R, n).

    Percentiles are taken without interpolation, so infinite resample means stay well defined.
    """
    with np.errstate(invalid="ignore"):
        resampled = statistic(values[draws], axis=1)
    low, high = np.quantile(resampled, [0.025, 0.975], method="inverted_cdf")
    return float(low), float(high)


def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``values`` (one per seed, say) and its Student t interval; NaN bounds for fewer than two."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean()) if len(values) else float("nan")
    if len(values) < 2:
        return mean, float("nan"), float("nan")
    half = scipy_stats.t.ppf(0.5 + level / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return mean, float(mean - half), float(mean + half)


def within(low: float, high: float, bottom: float, top: float) -> tuple[float, float]:
    """An interval's bounds kept within ``[bottom, top]``, the range its measure can take (a t interval
    over a few seeds can reach past it); NaN bounds stay NaN."""
    return (max(low, bottom) if low == low else low), (min(high, top) if high == high else high)


def welch_interval(a: np.ndarray, b: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mean of ``a`` minus mean of ``b`` (one value per seed in each) and Welch's t interval."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    diff = float(a.mean() - b.mean())
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = np.sqrt(va + vb)
    if se == 0:
        return diff, diff, diff
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = scipy_stats.t.ppf(0.5 + level / 2, dof) * se
    return diff, float(diff - half), float(diff + half)


def unseen_mass(samples: int) -> float:
    """The most probability an outcome can have on average while none of ``samples`` independent draws
    reaches it: the largest p (1 - p)^K over p, at p = 1 / (K + 1). An outcome a K-sample average puts at
    0, if the true average is p, then happens with probability p (1 - p)^K at most this."""
    if samples < 1:
        raise ValueError(f"samples must be at least 1; got {samples}")
    return (1 / (samples + 1)) * (samples / (samples + 1)) ** samples


def count_tail_bound(count: int, mean: float) -> float:
    """An upper bound on P(X >= count) for X a sum of independent 0/1 events whose expected total is at
    most ``mean`` (Chernoff: e^-mean (e mean / count)^count where count > mean, else 1)."""
    if count <= mean:
        return 1.0
    if mean <= 0:
        return 0.0
    return float(math.exp(-mean + count * (1 + math.log(mean / count))))
