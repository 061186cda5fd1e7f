"""Reward priors for the random training-compatible goal: i.i.d. per state, written as a short spec.

Specs: ``uniform(low,high)``, ``normal(mean,std)`` and ``bernoulli(p)`` (reward 1 with probability
``p``, else 0: a sparse goal). Besides sampling, a prior answers ``P(R < t)`` and ``P(R = t)``,
which is what the solver needs to integrate one state's reward out exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

PRIOR_KINDS = ("uniform", "normal", "bernoulli")
_SPEC = re.compile(r"^\s*(\w+)\s*\(([^)]*)\)\s*$")


@dataclass(frozen=True)
class Prior:
    """One reward distribution; ``params`` are (low, high), (mean, std) or (p,)."""

    kind: str
    params: tuple[float, ...]

    @property
    def spec(self) -> str:
        return f"{self.kind}({','.join(f'{v:g}' for v in self.params)})"

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        """Draw rewards of ``shape`` (float64)."""
        if self.kind == "uniform":
            return rng.uniform(self.params[0], self.params[1], shape)
        if self.kind == "normal":
            return rng.normal(self.params[0], self.params[1], shape)
        return (rng.random(shape) < self.params[0]).astype(np.float64)

    def below(self, t: np.ndarray) -> np.ndarray:
        """``P(R < t)`` elementwise (``t`` may hold +-inf)."""
        t = np.asarray(t, dtype=np.float64)
        if self.kind == "uniform":
            low, high = self.params
            return np.clip((t - low) / (high - low), 0.0, 1.0)
        if self.kind == "normal":
            mean, std = self.params
            with np.errstate(invalid="ignore"):
                return np.where(np.isinf(t), (t > 0).astype(np.float64), ndtr((t - mean) / std))
        p = self.params[0]
        return np.where(t > 1, 1.0, np.where(t > 0, 1.0 - p, 0.0))

    def mass(self, t: np.ndarray) -> np.ndarray:
        """``P(R = t)`` elementwise: zero for the continuous priors."""
        t = np.asarray(t, dtype=np.float64)
        if self.kind != "bernoulli":
            return np.zeros_like(t)
        p = self.params[0]
        return np.where(t == 1, p, np.where(t == 0, 1.0 - p, 0.0))


def parse_prior(spec: str) -> Prior:
    """Read ``uniform(low,high)``, ``normal(mean,std)`` or ``bernoulli(p)``; ``ValueError`` otherwise."""
    allowed = "uniform(low,high) with low < high, normal(mean,std) with std > 0, or bernoulli(p) with 0 < p < 1"
    match = _SPEC.match(spec) if isinstance(spec, str) else None
    if not match or match.group(1) not in PRIOR_KINDS:
        raise ValueError(f"reward prior must be {allowed}; got {spec!r}")
    kind = match.group(1)
    try:
        params = tuple(float(v) for v in match.group(2).split(","))
    except ValueError:
        raise ValueError(f"reward prior must be {allowed}; got {spec!r}") from None
    ok = {
        "uniform": len(params) == 2 and params[0] < params[1],
        "normal": len(params) == 2 and params[1] > 0,
        "bernoulli": len(params) == 1 and 0 < params[0] < 1,
    }[kind]
    if not ok or not all(np.isfinite(params)):
        raise ValueError(f"reward prior must be {allowed}; got {spec!r}")
    return Prior(kind, params)
