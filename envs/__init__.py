"""The maze: generation, geometry, the native vectorized env and the procgen backend."""

import gymnasium as gym

from cheesemaze.envs.maze import Maze, generate_maze
from cheesemaze.envs.native import NativeMazeVecEnv

ENV_ID = "cheesemaze/Maze-v0"

if ENV_ID not in gym.registry:
    gym.register(id=ENV_ID, entry_point="cheesemaze.envs.gym_env:CheeseMazeEnv")

__all__ = ["ENV_ID", "Maze", "NativeMazeVecEnv", "generate_maze"]
