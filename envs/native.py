"""The native maze game: a batch of mazes stepped at once in numpy, behind stable-baselines3's VecEnv.

Description
    The mouse moves one cell per step on a wall grid; reaching the cheese ends the episode.
Actions
    ``compact`` (default): UP, DOWN, LEFT, RIGHT, NOOP. ``procgen``: procgen's 15 buttons.
    A move into a wall or off the world leaves the mouse where it is.
Rewards
    10 on reaching the cheese, 0 otherwise (no step penalty), as in procgen.
Termination
    Reaching the cheese terminates; after ``max_steps`` (500) steps the episode is truncated,
    reported with ``info["TimeLimit.truncated"] = True``.
Level distribution
    Level seeds are drawn uniformly from ``level_seeds`` with the env's seeded generator, or played
    in order with ``sample_levels=False``, or taken from explicit mazes given to :meth:`play`.
    ``region`` places the cheese (None: anywhere; r: top-right r x r square of the maze).
Episode info
    At an episode's end its info holds ``terminal_observation``, ``episode`` (``r``, ``l``), and
    ``outcome`` (``cheese``, ``top_right``: visited the top-right ``outcome_region`` square but not
    the cheese, ``other``), ``steps``, ``level_seed`` and ``final_cell``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvStepReturn

from cheesemaze.envs.actions import action_steps, check_action_mode
from cheesemaze.envs.geometry import region_box
from cheesemaze.envs.maze import TRAIN_LEVELS, Maze, check_region, check_world_size, generate_maze
from cheesemaze.envs.render import CHEESE, MOUSE, RGB_SIZE, WALL, check_obs_mode, grid_to_rgb

CHEESE_REWARD = 10.0
MAX_STEPS = 500
OUTCOMES = ("cheese", "top_right", "other")


def observation_space(obs_mode: str, world_size: int) -> gym.spaces.Box:
    """The observation space of a mode: grid channels (3, W, W) of 0/1, or RGB (64, 64, 3)."""
    check_obs_mode(obs_mode)
    if obs_mode == "grid":
        return gym.spaces.Box(0, 1, (3, world_size, world_size), np.uint8)
    return gym.spaces.Box(0, 255, (RGB_SIZE, RGB_SIZE, 3), np.uint8)


def action_space(action_mode: str) -> gym.spaces.Discrete:
    """Discrete(5) for the compact moves, Discrete(15) for procgen's buttons."""
    return gym.spaces.Discrete(len(action_steps(action_mode)))


class MazeBatch:
    """The state of ``n`` mazes and the vectorized rules that move them (no Python loop per step)."""

    def __init__(self, n: int, world_size: int, action_mode: str, outcome_region: int,
                 max_steps: int = MAX_STEPS) -> None:
        check_world_size(world_size)
        check_action_mode(action_mode)
        if not isinstance(outcome_region, (int, np.integer)) or not 0 <= outcome_region <= world_size:
            raise ValueError(
                f"outcome_region must be an integer from 0 to the world size {world_size}; "
                f"got {outcome_region!r}"
            )
        if not isinstance(max_steps, (int, np.integer)) or max_steps < 1:
            raise ValueError(f"max_steps must be a positive integer; got {max_steps!r}")
        self.n, self.world_size, self.max_steps = n, world_size, max_steps
        self.outcome_region = outcome_region
        self.steps_table = action_steps(action_mode)
        self.grid = np.zeros((n, 3, world_size, world_size), dtype=np.uint8)
        self.mouse = np.zeros((n, 2), dtype=np.int64)
        self.cheese = np.zeros((n, 2), dtype=np.int64)
        self.region_box = np.zeros((n, 4), dtype=np.int64)  # top, bottom, left, right
        self.steps = np.zeros(n, dtype=np.int64)
        self.visited_region = np.zeros(n, dtype=bool)
        self.mazes: list[Maze | None] = [None] * n
        self.rows = np.arange(n)

    def load(self, i: int, maze: Maze) -> None:
        """Put ``maze`` in slot ``i`` and start a fresh episode there."""
        if maze.world_size != self.world_size:
            raise ValueError(f"maze world size {maze.world_size} != env world size {self.world_size}")
        self.mazes[i] = maze
        self.grid[i] = 0
        self.grid[i, WALL] = maze.walls
        self.grid[i, CHEESE][maze.cheese] = 1
        self.grid[i, MOUSE][maze.mouse] = 1
        self.mouse[i] = maze.mouse
        self.cheese[i] = maze.cheese
        self.region_box[i] = region_box(maze, self.outcome_region)
        self.steps[i] = 0
        self.visited_region[i] = self._in_region(self.mouse[i : i + 1], self.region_box[i : i + 1])[0]

    @staticmethod
    def _in_region(cells: np.ndarray, box: np.ndarray) -> np.ndarray:
        return ((cells[:, 0] >= box[:, 0]) & (cells[:, 0] <= box[:, 1])
                & (cells[:, 1] >= box[:, 2]) & (cells[:, 1] <= box[:, 3]))

    def check_actions(self, actions: np.ndarray) -> None:
        """Raise ``ValueError`` unless ``actions`` holds one valid action per maze."""
        n_actions = len(self.steps_table)
        if actions.shape != (self.n,):
            raise ValueError(f"expected {self.n} actions, one per maze; got shape {actions.shape}")
        if actions.min() < 0 or actions.max() >= n_actions:
            raise ValueError(f"actions must lie in 0..{n_actions - 1}; got {actions.min()}..{actions.max()}")

    def move(self, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Apply one action per maze; returns (rewards, terminated, truncated)."""
        target = self.mouse + self.steps_table[actions]
        np.clip(target, 0, self.world_size - 1, out=target)
        blocked = self.grid[self.rows, WALL, target[:, 0], target[:, 1]].astype(bool)
        target[blocked] = self.mouse[blocked]
        self.grid[self.rows, MOUSE, self.mouse[:, 0], self.mouse[:, 1]] = 0
        self.grid[self.rows, MOUSE, target[:, 0], target[:, 1]] = 1
        self.mouse = target
        self.steps += 1
        self.visited_region |= self._in_region(target, self.region_box)
        terminated = (target == self.cheese).all(axis=1)
        truncated = ~terminated & (self.steps >= self.max_steps)
        return terminated * np.float32(CHEESE_REWARD), terminated, truncated

    def outcome(self, i: int, terminated: bool) -> str:
        """The outcome of the episode that just ended in slot ``i``."""
        if terminated:
            return "cheese"
        return "top_right" if self.visited_region[i] else "other"

    def episode_info(self, i: int, terminated: bool, truncated: bool) -> dict[str, Any]:
        """The info of the episode that just ended in slot ``i`` (all but ``terminal_observation``)."""
        steps = int(self.steps[i])
        return {
            "episode": {"r": CHEESE_REWARD if terminated else 0.0, "l": steps},
            "outcome": self.outcome(i, terminated),
            "steps": steps,
            "level_seed": self.mazes[i].level_seed,
            "final_cell": (int(self.mouse[i, 0]), int(self.mouse[i, 1])),
            "TimeLimit.truncated": truncated,
        }

    def observe(self, obs_mode: str, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Observations of the selected mazes (a fresh array)."""
        grid = self.grid[rows]
        return grid.copy() if obs_mode == "grid" else grid_to_rgb(grid)

    def current_mazes(self) -> list[Maze]:
        """The mazes as they stand now (mouse where it is)."""
        return [m.with_mouse(tuple(self.mouse[i])) for i, m in enumerate(self.mazes)]


class MazeVecEnvBase(VecEnv):
    """What the maze VecEnvs share (native and procgen): a :class:`MazeBatch` following every game,
    the supply of level seeds, queued explicit mazes, and the plumbing of a single-process VecEnv
    (attributes and methods are the env's own)."""

    def __init__(self, batch: MazeBatch, level_seeds: Sequence[int], sample_levels: bool,
                 observation_space: gym.spaces.Space, action_space: gym.spaces.Space) -> None:
        if len(level_seeds) == 0:
            raise ValueError("level_seeds is empty")
        self.batch, self.world_size = batch, batch.world_size
        self.level_seeds, self.sample_levels = level_seeds, sample_levels
        self._queue: deque[Maze] = deque()
        self._next_index = 0
        self.render_mode = "rgb_array"
        super().__init__(batch.n, observation_space, action_space)

    def _next_level_seed(self) -> int:
        """The level seed of the next episode: drawn with the env's generator, or the next in order."""
        if self.sample_levels:
            return self.level_seeds[int(self._rng.integers(len(self.level_seeds)))]
        level = self.level_seeds[self._next_index % len(self.level_seeds)]
        self._next_index += 1
        return level

    def play(self, mazes: Iterable[Maze]) -> None:
        """Queue explicit mazes: the next episodes (starting with the next reset) play them in order."""
        mazes = list(mazes)
        for maze in mazes:
            if not isinstance(maze, Maze) or maze.world_size != self.world_size:
                raise ValueError(f"can only play mazes of world size {self.world_size}; got {maze!r}")
        self._queue.extend(mazes)

    @property
    def mazes(self) -> list[Maze]:
        """The mazes being played now, with the mouse where it stands."""
        return self.batch.current_mazes()

    @property
    def level_seeds_playing(self) -> np.ndarray:
        """The level seed of each env's current episode (without building its maze as ``mazes`` does)."""
        return np.array([maze.level_seed for maze in self.batch.mazes])

    def _take_reset_options(self) -> None:
        """Apply what came with this reset: mazes to play (``options={"mazes": [...]}``), a seed."""
        options = self._options[0] if self._options else {}
        if options.get("mazes") is not None:
            self.play(options["mazes"])
        self._reset_options()
        if self._seeds[0] is not None:
            self.seed(self._seeds[0])
            self._reset_seeds()

    def get_attr(self, attr_name: str, indices=None) -> list[Any]:
        return [getattr(self, attr_name)] * len(self._get_indices(indices))

    def set_attr(self, attr_name: str, value: Any, indices=None) -> None:
        setattr(self, attr_name, value)

    def env_method(self, method_name: str, *method_args, indices=None, **method_kwargs) -> list[Any]:
        return [getattr(self, method_name)(*method_args, **method_kwargs)
                for _ in self._get_indices(indices)]

    def env_is_wrapped(self, wrapper_class, indices=None) -> list[bool]:
        return [False] * len(self._get_indices(indices))


class NativeMazeVecEnv(MazeVecEnvBase):
    """``num_envs`` mazes stepped together; see the module docstring for the game's rules."""

    def __init__(
        self,
        num_envs: int = 64,
        world_size: int = 15,
        region: int | None = 5,
        level_seeds: range = TRAIN_LEVELS,
        sample_levels: bool = True,
        obs_mode: str = "grid",
        action_mode: str = "compact",
        outcome_region: int = 5,
        max_steps: int = MAX_STEPS,
        seed: int = 0,
    ) -> None:
        check_world_size(world_size)
        check_region(region, world_size)
        check_obs_mode(obs_mode)
        check_action_mode(action_mode)
        if not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive integer; got {num_envs!r}")
        self.region, self.obs_mode, self.action_mode = region, obs_mode, action_mode
        self._actions = np.zeros(num_envs, dtype=np.int64)
        batch = MazeBatch(num_envs, world_size, action_mode, outcome_region, max_steps)
        super().__init__(batch, level_seeds, sample_levels, observation_space(obs_mode, world_size),
                         action_space(action_mode))
        self.seed(seed)

    # Level supply -------------------------------------------------------------------------------

    def _next_maze(self) -> Maze:
        if self._queue:
            return self._queue.popleft()
        return generate_maze(self._next_level_seed(), self.world_size, self.region)

    # VecEnv interface ----------------------------------------------------------------------------

    def reset(self) -> np.ndarray:
        self._take_reset_options()
        for i in range(self.num_envs):
            self.batch.load(i, self._next_maze())
        return self.batch.observe(self.obs_mode)

    def step_async(self, actions: np.ndarray) -> None:
        actions = np.asarray(actions).reshape(-1).astype(np.int64)
        self.batch.check_actions(actions)
        self._actions = actions

    def step_wait(self) -> VecEnvStepReturn:
        rewards, terminated, truncated = self.batch.move(self._actions)
        dones = terminated | truncated
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if dones.any():
            done_rows = np.flatnonzero(dones)
            terminal_obs = self.batch.observe(self.obs_mode, done_rows)
            for k, i in enumerate(done_rows):
                infos[i] = self.batch.episode_info(i, bool(terminated[i]), bool(truncated[i]))
                infos[i]["terminal_observation"] = terminal_obs[k]
                self.batch.load(i, self._next_maze())
        return self.batch.observe(self.obs_mode), rewards, dones, infos

    def close(self) -> None:
        pass

    def seed(self, seed: int | None = None) -> Sequence[None | int]:
        self._rng = np.random.default_rng(seed)
        self._next_index = 0
        return [seed] * self.num_envs

    def get_images(self) -> Sequence[np.ndarray]:
        return list(grid_to_rgb(self.batch.grid))
