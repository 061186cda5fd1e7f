"""Training throughput: the default preset against SB3 PPO + IMPALA (scale 1) on procgen's maze.

All setups are measured in this one run on this machine, each in a fresh process, for the same number
of PPO iterations (at least ``--iterations``, and more until ``--min-seconds`` have passed: the fast
setups take seconds per iteration, and a few seconds of timing swing with the machine's load), and the
ratios of their env-steps per second are printed (target: at least 30x).
cheesemaze trains with glibc's malloc told to keep freed memory (``keep_freed_memory``). The baseline
is timed as stable-baselines3 runs it (stock IMPALA, usual NCHW layout, default allocator: the ratio
the target refers to), then with the same allocator setting as cheesemaze, and then also with
cheesemaze's channels-last IMPALA, so the gain from each part shows. cpu-easy is also timed with float32
convolutions (its ``ppo.precision`` is "auto": bfloat16 on CPUs with native bfloat16 arithmetic).

    python benchmarks/bench_training.py [--iterations 2] [--min-seconds 30] [--threads 1]
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

import torch

from cheesemaze.agents.config import CPU_EASY, EnvConfig, PPOConfig, TrainConfig
from cheesemaze.agents.policy import resolve_precision
from cheesemaze.agents.ppo import build_model
from cheesemaze.agents.process import keep_freed_memory
from cheesemaze.agents.vec_env import make_training_env

# The baseline: stock procgen maze (easy, the same 15x15 world as cpu-easy), 64x64 RGB, 15 actions,
# IMPALA scale 1, 3 epochs and 8 minibatches as in Langosco et al., 64 envs x 64 steps per rollout.
BASELINE = TrainConfig(
    preset="baseline-sb3-procgen",
    env=EnvConfig(backend="procgen", world_size=15, region=None, obs_mode="rgb", action_mode="procgen",
                  num_envs=64),
    ppo=PPOConfig(n_steps=64, batch_size=512, n_epochs=3, learning_rate=5e-4, gamma=0.999,
                  impala_scale=1.0, features_dim=256),
)

SETUPS = (  # name, config, channels-last network, allocator kept freed memory
    ("cheesemaze cpu-easy", CPU_EASY, True, True),
    ("  same, float32 convolutions", CPU_EASY.with_precision("float32"), True, True),
    ("SB3 + procgen maze, stock (the target's)", BASELINE, False, False),
    ("  same, cheesemaze's allocator setting", BASELINE, False, True),
    ("  same, and channels-last network", BASELINE, True, True),
)


def steps_per_second(config: TrainConfig, iterations: int, min_seconds: float, threads: int,
                     channels_last: bool, keep_memory: bool) -> tuple[float, int]:
    """Env-steps per second of PPO iterations (rollout + update) after one warm-up: ``iterations`` of
    them, and more until ``min_seconds`` have passed. Returns the rate and the iterations timed."""
    torch.set_num_threads(threads)
    if keep_memory:
        keep_freed_memory()
    env = make_training_env(config, config.seed)
    model = build_model(config, env)
    model.policy.features_extractor.channels_last = channels_last
    model.learn(config.rollout_size)  # warm-up: first-call costs of torch and the env
    done, start = 0, time.perf_counter()
    while done < iterations or time.perf_counter() - start < min_seconds:
        model.learn(config.rollout_size, reset_num_timesteps=False)  # keeps the env's episodes going
        done += 1
    elapsed = time.perf_counter() - start
    env.close()
    return done * config.rollout_size / elapsed, done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2, help="PPO iterations timed per setup, at least")
    parser.add_argument("--min-seconds", type=float, default=30.0, help="time each setup at least this long")
    parser.add_argument("--threads", type=int, default=CPU_EASY.torch_threads, help="torch threads for all")
    args = parser.parse_args()
    sps = []
    for name, config, channels_last, keep_memory in SETUPS:
        # A fresh process each: the allocator setting is process-wide and cannot be undone.
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
            job = pool.submit(steps_per_second, config, args.iterations, args.min_seconds, args.threads,
                              channels_last, keep_memory)
            rate, iterations = job.result()
        sps.append(rate)
        print(f"{name:<42} {rate:>8,.0f} env-steps/s  ({iterations} x {config.rollout_size} steps)", flush=True)
    precision = resolve_precision(CPU_EASY).ppo.precision
    print(f"ratio: {sps[0] / sps[2]:.1f}x against the stock baseline (target >= 30x); {sps[0] / sps[3]:.1f}x "
          f"with the same allocator setting; {sps[0] / sps[4]:.1f}x against the channels-last baseline; "
          f"cpu-easy's conv precision here: {precision} ({sps[0] / sps[1]:.2f}x float32); "
          f"torch threads {args.threads}")


if __name__ == "__main__":
    main()
