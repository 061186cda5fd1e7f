"""A single maze as a gymnasium ``Env``, registered as ``cheesemaze/Maze-v0``.

The rules of :mod:`cheesemaze.envs.game`, with the observations and episode info of
:class:`~cheesemaze.envs.native.NativeMazeVecEnv`; one maze, no auto-reset.
"""

from __future__ import annotations

from typing import Any, Literal

import gymnasium as gym
import numpy as np

from cheesemaze.envs.game import MazeBatch, action_space, observation_space
from cheesemaze.envs.maze import (
    TEST_LEVELS,
    TRAIN_LEVELS,
    Maze,
    Region,
    check_region,
    check_world_size,
    generate_maze,
)
from cheesemaze.envs.render import check_obs_mode, grid_to_rgb

LEVEL_RANGES = {"train": TRAIN_LEVELS, "test": TEST_LEVELS}
"""The ``levels`` an env can be made with by name: the training seeds [0, 1e9), the held-out [1e9, 2e9)."""

Levels = Literal["train", "test"] | range | None


def level_range(levels: Levels) -> range | None:
    """The level seeds ``levels`` names; ``ValueError`` for anything but train, test, a range or None."""
    if levels is None or isinstance(levels, range):
        if levels is not None and (len(levels) == 0 or levels.start < 0 or levels.step != 1):
            raise ValueError(f"levels must be a non-empty range of non-negative level seeds; got {levels!r}")
        return levels
    if isinstance(levels, str) and levels in LEVEL_RANGES:
        return LEVEL_RANGES[levels]
    raise ValueError(f"levels must be 'train', 'test', a range of level seeds or None; got {levels!r}")


class CheeseMazeEnv(gym.Env):
    """One maze of the cheesemaze game.

    **Description.** A mouse starts on the maze's bottom-left cell and looks for the cheese; the maze
    is centred in a ``world_size`` x ``world_size`` world of wall (``docs/design.md``, "The maze game").

    **Actions.** ``compact``: UP, DOWN, LEFT, RIGHT, NOOP (0..4); ``procgen``: procgen's Discrete(15).
    A move into a wall stays put.

    **Observations.** ``grid``: uint8 wall/cheese/mouse channels over the world; ``rgb``: a 64x64 frame.

    **Rewards.** 10 on reaching the cheese, 0 otherwise.

    **Termination.** Terminated on the cheese; truncated after 500 steps. The last step's ``info``
    holds the ``outcome`` (cheese, top_right, other), ``steps``, ``level_seed`` and ``final_cell``.

    **Level distribution.** Every maze is a pure function of a *level seed* (and the world size and
    cheese region). ``levels`` says which level seeds ``reset()`` draws from: ``"train"`` (the seeds
    agents train on, [0, 1e9)), ``"test"`` (the held-out seeds, [1e9, 2e9)), a ``range``, or ``None``
    (the default: draw nothing). ``reset(seed=s)`` seeds the generator that draws the level seed, as in
    every gymnasium env: it does not choose the level. To play one level seed, pass
    ``options={"level_seed": s}``; it must lie in ``levels`` when the env has them, so an env made
    with ``levels="test"`` never plays a training maze. ``options={"maze": maze}`` plays any
    :class:`Maze` (a maze drawn in ASCII, one with the cheese moved). ``info["level_seed"]`` names the
    level played (None for a maze given as such).
    """

    # procgen renders at 15 frames per second.
    metadata = {"render_modes": ["rgb_array"], "render_fps": 15}

    def __init__(
        self,
        world_size: int = 15,
        region: Region = 5,
        levels: Levels = None,
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
        self.level_seeds = level_range(levels)
        self.world_size, self.region, self.obs_mode = world_size, region, obs_mode
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
            maze = generate_maze(self.check_level_seed(options["level_seed"]), self.world_size, self.region)
        elif self.level_seeds is None:
            asked = "" if seed is None else f" (reset(seed={seed}) seeds that draw; it does not choose the level)"
            raise ValueError(
                f"this env was made with levels=None, so reset() has no level seeds to draw from{asked}; "
                "make it with levels='train' or levels='test', or pass options={'level_seed': s} or "
                "options={'maze': maze}"
            )
        else:
            level = self.level_seeds[int(self.np_random.integers(len(self.level_seeds)))]
            maze = generate_maze(level, self.world_size, self.region)
        self.batch.load(0, maze)
        return self.batch.observe(self.obs_mode)[0], {"level_seed": maze.level_seed}

    def check_level_seed(self, level_seed: Any) -> int:
        """``level_seed`` as an int; ``ValueError`` when it lies outside the env's ``levels``."""
        level = int(level_seed)
        if self.level_seeds is not None and level not in self.level_seeds:
            lo, hi = self.level_seeds.start, self.level_seeds.stop - 1
            raise ValueError(f"level seed {level} lies outside this env's levels {lo}..{hi}; make an env "
                             "with the levels it belongs to (levels='train', 'test' or a range)")
        return level

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
