"""Training throughput: the default preset against SB3 PPO + IMPALA (scale 1) on procgen's maze.

Both are measured in this one run on this machine, for the same number of PPO iterations each, and
the ratio of their env-steps per second is printed (target: at least 30x). The baseline is timed twice:
with a stock IMPALA (the usual NCHW layout: the ratio the target refers to), and with cheesemaze's
IMPALA, whose CPU forward pass runs channels-last, so the gain from the env alone shows too.

    python benchmarks/bench_training.py [--iterations 2] [--threads 1]
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import torch

from cheesemaze.agents.config import CPU_EASY, EnvConfig, PPOConfig, TrainConfig
from cheesemaze.agents.training import build_model, make_vec_env

# The baseline: stock procgen maze (easy, the same 15x15 world as cpu-easy), 64x64 RGB, 15 actions,
# IMPALA scale 1, 3 epochs and 8 minibatches as in Langosco et al., 64 envs x 64 steps per rollout.
BASELINE = TrainConfig(
    preset="baseline-sb3-procgen",
    env=EnvConfig(backend="procgen", world_size=15, region=None, obs_mode="rgb", action_mode="procgen",
                  num_envs=64),
    ppo=PPOConfig(n_steps=64, batch_size=512, n_epochs=3, learning_rate=5e-4, gamma=0.999,
                  impala_scale=1.0, features_dim=256),
)


def steps_per_second(config: TrainConfig, iterations: int, channels_last: bool = True) -> float:
    """Env-steps per second of ``iterations`` PPO iterations (rollout + update), after one warm-up."""
    env = make_vec_env(config, config.train_levels, config.seed)
    model = build_model(config, env)
    model.policy.features_extractor.channels_last = channels_last
    model.learn(config.rollout_size)  # warm-up: first-call costs of torch and the env
    steps = iterations * config.rollout_size
    start = time.perf_counter()
    model.learn(steps, reset_num_timesteps=False)
    elapsed = time.perf_counter() - start
    env.close()
    return steps / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=2, help="PPO iterations timed per setup")
    parser.add_argument("--threads", type=int, default=CPU_EASY.torch_threads, help="torch threads for both")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    ours = dataclasses.replace(CPU_EASY)
    setups = (
        ("cheesemaze cpu-easy", ours, True),
        ("SB3 + procgen maze, stock IMPALA x1", BASELINE, False),
        ("SB3 + procgen maze, channels-last x1", BASELINE, True),
    )
    sps = []
    for name, config, channels_last in setups:
        sps.append(steps_per_second(config, args.iterations, channels_last))
        print(f"{name:<38} {sps[-1]:>8,.0f} env-steps/s  ({args.iterations} x {config.rollout_size} steps)",
              flush=True)
    print(f"ratio: {sps[0] / sps[1]:.1f}x against the stock baseline (target >= 30x); "
          f"{sps[0] / sps[2]:.1f}x against the channels-last baseline; torch threads {args.threads}")


if __name__ == "__main__":
    main()
