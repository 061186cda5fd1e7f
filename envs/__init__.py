"""The maze: generation, geometry, the native vectorized env and the procgen backend."""

import gymnasium as gym

from cheesemaze.envs.maze import Maze, generate_maze

ENV_ID = "cheesemaze/Maze-v0"

if ENV_ID not in gym.registry:
    gym.register(id=ENV_ID, entry_point="cheesemaze.envs.gym_env:CheeseMazeEnv")

__all__ = ["ENV_ID", "Maze", "NativeMazeVecEnv", "generate_maze"]


def __getattr__(name: str):
    # The VecEnv pulls in stable-baselines3 and torch (over a second); importing it lazily keeps
    # mazes, text and geometry light for the CLI and analysis code that never steps an env.
    if name == "NativeMazeVecEnv":
        from cheesemaze.envs.native import NativeMazeVecEnv

        return NativeMazeVecEnv
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
