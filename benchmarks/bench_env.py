"""Env stepping speed: the native numpy env against stock procgen ``maze``, measured in one run.

Both step the same number of games with the same random procgen buttons (Discrete(15)); each
timed step includes fetching the observations. Rows: native with ``grid`` observations (the
default), native with 64x64 ``rgb`` frames, and procgen through gym3 (``env.act`` then
``env.observe``). The ratio is against procgen measured just before; target: native >= 10x.

    python benchmarks/bench_env.py [--num-envs 64 --steps 2000 --distribution-mode hard]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import tyro

from cheesemaze.envs.maze import WORLD_SIZES
from cheesemaze.envs.native import NativeMazeVecEnv

TARGET_RATIO = 10.0
WARMUP_STEPS = 20


@dataclass(frozen=True)
class BenchConfig:
    num_envs: int = 64
    """Games stepped together in every env."""
    steps: int = 2000
    """Vectorized steps timed per env (after a short warm-up)."""
    distribution_mode: Literal["easy", "hard"] = "hard"
    """procgen's world: easy (15x15) or hard (25x25); the native env uses the same world size."""
    procgen_threads: int = 4
    """Worker threads of procgen's C++ env (procgen's own default is 4)."""
    seed: int = 0
    """Seeds the random actions and the envs' levels."""


def steps_per_second(step: Callable[[np.ndarray], object], actions: np.ndarray) -> float:
    """Game steps per second of ``step`` over the batches of ``actions`` (n_steps, num_envs)."""
    for batch in actions[:WARMUP_STEPS]:
        step(batch)
    start = time.perf_counter()
    for batch in actions:
        step(batch)
    return actions.size / (time.perf_counter() - start)


def time_native(config: BenchConfig, actions: np.ndarray, obs_mode: str) -> float:
    env = NativeMazeVecEnv(num_envs=config.num_envs, world_size=WORLD_SIZES[config.distribution_mode],
                           region=None, obs_mode=obs_mode, action_mode="procgen", seed=config.seed)
    env.reset()
    return steps_per_second(env.step, actions)


def time_procgen(config: BenchConfig, actions: np.ndarray) -> float:
    from procgen import ProcgenGym3Env  # only this row needs procgen (and its old gym)

    env = ProcgenGym3Env(num=config.num_envs, env_name="maze", distribution_mode=config.distribution_mode,
                         num_threads=config.procgen_threads, rand_seed=config.seed)

    def step(batch: np.ndarray) -> None:
        env.act(batch)
        env.observe()

    rate = steps_per_second(step, actions)
    env.close()
    return rate


def main(argv: list[str] | None = None) -> int:
    config = tyro.cli(BenchConfig, args=argv)
    if config.num_envs < 1 or config.steps < 1:
        print("bench_env: --num-envs and --steps must be positive", file=sys.stderr)
        return 2
    rng = np.random.default_rng(config.seed)
    actions = rng.integers(15, size=(config.steps, config.num_envs), dtype=np.int32)
    procgen = time_procgen(config, actions)
    rows = [
        ("procgen maze (gym3, rgb 64x64)", procgen),
        ("native grid", time_native(config, actions, "grid")),
        ("native rgb 64x64", time_native(config, actions, "rgb")),
    ]
    world = WORLD_SIZES[config.distribution_mode]
    print(f"{config.num_envs} envs x {config.steps} steps, world {world}x{world} "
          f"({config.distribution_mode}), random procgen buttons, procgen threads {config.procgen_threads}")
    print(f"{'env':<34}{'steps/s':>12}{'vs procgen':>12}")
    for name, rate in rows:
        print(f"{name:<34}{rate:>12,.0f}{rate / procgen:>11.1f}x")
    grid_ratio = rows[1][1] / procgen
    verdict = "meets" if grid_ratio >= TARGET_RATIO else "misses"
    print(f"native grid is {grid_ratio:.1f}x procgen: {verdict} the {TARGET_RATIO:.0f}x target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
