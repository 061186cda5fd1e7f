"""A single maze as a gymnasium ``Env``, registered as ``cheesemaze/Maze-v0``.

The rules of :mod:`cheesemaze.envs.game`, with the observations and episode info of
:class:`~cheesemaze.envs.native.NativeMazeVecEnv`; one maze, no auto-reset.
``reset(options={"maze": maze})`` plays a given maze (to move the cheese or edit walls);
``reset(options={"level_seed": s})`` plays one level seed.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from cheesemaze.envs.game import MazeBatch, action_space, observation_space
from cheesemaze.envs.maze import TRAIN_LEVELS, Maze, Region, check_region, check_world_size, generate_maze
from cheesemaze.envs.render import check_obs_mode, grid_to_rgb


class CheeseMazeEnv(gym.Env):
    """One maze of the cheesemaze game."""

    # procgen renders at 15 frames per second.
    metadata = {"render_modes": ["rgb_array"], "render_fps": 15}

    def __init__(
        self,
        world_size: int = 15,
        region: Region = 5,
        level_seeds: range = TRAIN_LEVELS,
        obs_mode: str = "grid",
        action_mode: str = "compact",
        outcome_region: int = 5,
        render_mode: str | None = None,
    ) -> None:
        check_world_size(world_size)
        check_region(region, world_size)
        check_obs_mode(obs_mode)
        if render_mode not in (None, *self.metadata["render_modes"]):
            raise ValueError(f"render_mode must be None or 'rgb_array'; got {render_mode!r}")
        self.batch = MazeBatch(1, world_size, action_mode, outcome_region)
        self.world_size, self.region, self.level_seeds, self.obs_mode = world_size, region, level_seeds, obs_mode
        self.observation_space = observation_space(obs_mode, world_size)
        self.action_space = action_space(action_mode)
        self.render_mode = render_mode

    @property
    def maze(self) -> Maze:
        """The maze being played, with the mouse where it stands."""
        return self.batch.current_mazes()[0]

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        options = options or {}
        if "maze" in options:
            maze = options["maze"]
            if not isinstance(maze, Maze):
                raise ValueError(f"options['maze'] must be a Maze; got {type(maze).__name__}")
        elif "level_seed" in options:
            maze = generate_maze(int(options["level_seed"]), self.world_size, self.region)
        else:
            level = self.level_seeds[int(self.np_random.integers(len(self.level_seeds)))]
            maze = generate_maze(level, self.world_size, self.region)
        self.batch.load(0, maze)
        return self.batch.observe(self.obs_mode)[0], {"level_seed": maze.level_seed}

    def step(self, action):
        actions = np.array([int(action)])
        self.batch.check_actions(actions)
        rewards, terminated, truncated = self.batch.move(actions)
        obs = self.batch.observe(self.obs_mode)[0]
        info: dict[str, Any] = {}
        if terminated[0] or truncated[0]:
            info = {
                "outcome": self.batch.outcome(0, bool(terminated[0])),
                "steps": int(self.batch.steps[0]),
                "level_seed": self.batch.mazes[0].level_seed,
                "final_cell": tuple(int(v) for v in self.batch.mouse[0]),
            }
        return obs, float(rewards[0]), bool(terminated[0]), bool(truncated[0]), info

    def render(self):
        return grid_to_rgb(self.batch.grid)[0]
