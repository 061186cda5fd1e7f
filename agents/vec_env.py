"""The env a run trains on: the config's backend as a stable-baselines3 ``VecEnv``."""

from __future__ import annotations

from stable_baselines3.common.vec_env.base_vec_env import VecEnv

from cheesemaze.agents.config import TrainConfig


def make_training_env(config: TrainConfig, seed: int, start_step: int = 0) -> VecEnv:
    """The config's training levels, cheese region and training time limits, levels sampled with ``seed``;
    ``start_step`` is the run's step count so far, where its size curriculum stands.

    Held-out evaluations never step this env: they roll out generated mazes (``agents/rollout.py``).
    """
    env = config.env
    if env.backend == "native":
        from cheesemaze.envs.native import NativeMazeVecEnv

        return NativeMazeVecEnv(
            env.num_envs, env.world_size, env.region, range(*config.train_levels), True, env.obs_mode,
            env.action_mode, max_steps=env.max_steps, seed=seed, max_steps_per_size=env.max_steps_per_size,
            size_curriculum_steps=env.size_curriculum_steps, start_step=start_step,
            traps=env.traps,
        )
    from cheesemaze.envs.procgen_env import ProcgenMazeVecEnv

    return ProcgenMazeVecEnv(
        num_envs=env.num_envs, distribution_mode={15: "easy", 25: "hard"}[env.world_size], region=env.region,
        level_seeds=range(*config.train_levels), sample_levels=True, seed=seed,
    )
