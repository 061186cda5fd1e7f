"""What moving the cheese at every episode start costs: the relocating procgen VecEnv against plain
gym3 procgen ``maze``, same number of games, same random actions, one run on this machine.

Stock procgen is timed as ``env.act`` then ``env.observe``; the relocating env as its whole VecEnv
step (state reads and writes at episode starts, procgen's final frames, the native record of every
game, episode info). The two are timed in alternating blocks so that load from other processes
falls on both alike. Target: the relocating env keeps at least half of stock procgen's throughput.

    python benchmarks/bench_procgen_relocation.py [--num-envs 64 --steps 2000 --region 5]
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from typing import Literal

import numpy as np
import tyro
from procgen import ProcgenGym3Env

from cheesemaze.envs.procgen_env import ProcgenMazeVecEnv

TARGET_RATIO = 0.5
BLOCK = 100  # steps per timed block


@dataclass(frozen=True)
class BenchConfig:
    num_envs: int = 64
    """Games stepped together in both envs."""
    steps: int = 2000
    """Vectorized steps timed in each env (after a short warm-up)."""
    distribution_mode: Literal["easy", "hard"] = "hard"
    """procgen's world: easy (15x15) or hard (25x25)."""
    region: int = 5
    """Side of the top-right square the relocating env moves the cheese into."""
    seed: int = 0
    """Seeds the random actions and both envs' levels."""


def run_plain(env: ProcgenGym3Env, actions: np.ndarray) -> int:
    """Step gym3 procgen, no edits; returns 0 (it relocates nothing)."""
    for a in actions:
        env.act(a)
        env.observe()
    return 0


def run_relocating(env: ProcgenMazeVecEnv, actions: np.ndarray) -> int:
    """Step the relocating VecEnv; returns how many episodes started (each one relocated)."""
    return sum(int(env.step(a)[2].sum()) for a in actions)


def main(argv: list[str] | None = None) -> int:
    config = tyro.cli(BenchConfig, args=argv)
    if config.num_envs < 1 or config.steps < 1:
        print("bench_procgen_relocation: --num-envs and --steps must be positive", file=sys.stderr)
        return 2
    rng = np.random.default_rng(config.seed)
    actions = rng.integers(0, 15, size=(config.steps, config.num_envs)).astype(np.int32)
    plain = ProcgenGym3Env(num=config.num_envs, env_name="maze", rand_seed=config.seed,
                           distribution_mode=config.distribution_mode)
    relocating = ProcgenMazeVecEnv(config.num_envs, config.distribution_mode, region=config.region,
                                   seed=config.seed)
    relocating.reset()
    run_plain(plain, actions[:10])
    run_relocating(relocating, actions[:10])
    # Interleaved blocks, so drifting load on a shared machine hits both envs alike.
    seconds = {"plain": 0.0, "relocating": 0.0}
    starts = 0
    for block in np.array_split(actions, max(1, config.steps // BLOCK)):
        for name in seconds:
            begin = time.perf_counter()
            if name == "plain":
                run_plain(plain, block)
            else:
                starts += run_relocating(relocating, block)
            seconds[name] += time.perf_counter() - begin
    plain.close()
    relocating.close()
    rates = {name: config.steps * config.num_envs / s for name, s in seconds.items()}
    ratio = rates["relocating"] / rates["plain"]
    print(f"num_envs={config.num_envs} steps={config.steps} mode={config.distribution_mode} "
          f"region={config.region}")
    print(f"stock procgen (gym3):   {rates['plain']:10.0f} steps/s")
    print(f"relocating VecEnv:      {rates['relocating']:10.0f} steps/s "
          f"({starts} episode starts relocated)")
    print(f"ratio relocating/stock: {ratio:.3f} (target >= {TARGET_RATIO})")
    return 0 if ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
