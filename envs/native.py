"""The native maze game behind stable-baselines3's VecEnv: a :class:`~cheesemaze.envs.game.MazeBatch`
of mazes stepped at once (the rules are in :mod:`cheesemaze.envs.game`).

Termination
    As in the game; a truncated episode is reported with ``info["TimeLimit.truncated"] = True``.
Level distribution
    Level seeds are drawn uniformly from ``level_seeds`` with the env's seeded generator, or played
    in order with ``sample_levels=False``, or taken from explicit mazes given to :meth:`play`.
    ``region`` places the cheese (None: anywhere; r: top-right r x r square of the maze).
Traps
    With ``traps`` > 0 (grid observations only) a maze holds, with that probability, one trap cell
    drawn from its level seed (``envs/traps.py``; a maze without a level seed has none): drawn in a
    fourth observation channel, entering it ends the episode with no reward and outcome
    ``shutdown``. With ``traps`` = 0 the observation has the three channels alone.
Training schedule
    ``max_steps_per_size`` truncates each maze's episodes at a limit scaled to its size, and
    ``size_curriculum_steps`` draws only small mazes at first (:mod:`cheesemaze.envs.schedule`); the
    env counts its own steps from ``start_step`` for the curriculum. Both default to off.
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

from cheesemaze.envs.actions import check_action_mode
from cheesemaze.envs.game import MAX_STEPS, MazeBatch, action_space, observation_space
from cheesemaze.envs.maze import TRAIN_LEVELS, Maze, Region, check_region, check_world_size, generate_maze, maze_size
from cheesemaze.envs.render import check_obs_mode, grid_to_rgb
from cheesemaze.envs.schedule import CURRICULUM_DRAWS, check_schedule, largest_size, time_limit
from cheesemaze.envs.traps import check_traps, draw_trap


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
        region: Region = 5,
        level_seeds: range = TRAIN_LEVELS,
        sample_levels: bool = True,
        obs_mode: str = "grid",
        action_mode: str = "compact",
        outcome_region: int = 5,
        max_steps: int = MAX_STEPS,
        seed: int = 0,
        max_steps_per_size: float = 0.0,
        size_curriculum_steps: int = 0,
        start_step: int = 0,
        traps: float = 0.0,
    ) -> None:
        check_world_size(world_size)
        check_traps(traps)
        check_schedule(max_steps_per_size, size_curriculum_steps)
        if not isinstance(start_step, (int, np.integer)) or start_step < 0:
            raise ValueError(f"start_step must be an integer >= 0; got {start_step!r}")
        check_region(region, world_size)
        check_obs_mode(obs_mode)
        check_action_mode(action_mode)
        if not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive integer; got {num_envs!r}")
        self.region, self.obs_mode, self.action_mode = region, obs_mode, action_mode
        self.max_steps_per_size, self.size_curriculum_steps = max_steps_per_size, size_curriculum_steps
        self.steps_done = start_step  # env-steps summed over envs, as SB3's num_timesteps counts them
        self._actions = np.zeros(num_envs, dtype=np.int64)
        self.traps = traps
        batch = MazeBatch(num_envs, world_size, action_mode, outcome_region, max_steps, trap_channel=traps > 0)
        super().__init__(batch, level_seeds, sample_levels, observation_space(obs_mode, world_size, traps > 0),
                         action_space(action_mode))
        self.seed(seed)

    # Level supply -------------------------------------------------------------------------------

    @property
    def largest_size(self) -> int:
        """The largest maze size the curriculum draws now (the world size without one)."""
        return largest_size(self.steps_done, self.size_curriculum_steps, self.world_size)

    def _next_maze(self) -> Maze:
        if self._queue:
            return self._queue.popleft()
        level, largest = self._next_level_seed(), self.largest_size
        draws = 1
        while largest < self.world_size and maze_size(level, self.world_size) > largest:
            if draws == CURRICULUM_DRAWS:  # a level range can lack small mazes: say so rather than hang
                raise ValueError(f"the size curriculum drew {draws:,} level seeds and none had a maze of size "
                                 f"{largest} or less; give more training levels or a shorter size_curriculum_steps")
            level, draws = self._next_level_seed(), draws + 1
        return generate_maze(level, self.world_size, self.region)

    def _load(self, i: int, maze: Maze) -> None:
        self.batch.load(i, maze, time_limit(maze.size, self.batch.max_steps, self.max_steps_per_size),
                        trap=draw_trap(maze, self.traps) if self.traps else None)

    # VecEnv interface ----------------------------------------------------------------------------

    def reset(self) -> np.ndarray:
        self._take_reset_options()
        for i in range(self.num_envs):
            self._load(i, self._next_maze())
        return self.batch.observe(self.obs_mode)

    def step_async(self, actions: np.ndarray) -> None:
        actions = np.asarray(actions).reshape(-1).astype(np.int64)
        self.batch.check_actions(actions)
        self._actions = actions

    def step_wait(self) -> VecEnvStepReturn:
        rewards, terminated, truncated = self.batch.move(self._actions)
        self.steps_done += self.num_envs
        dones = terminated | truncated
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if dones.any():
            done_rows = np.flatnonzero(dones)
            terminal_obs = self.batch.observe(self.obs_mode, done_rows)
            for k, i in enumerate(done_rows):
                infos[i] = self.batch.episode_info(i, bool(terminated[i]), bool(truncated[i]))
                infos[i]["terminal_observation"] = terminal_obs[k]
                self._load(i, self._next_maze())
        return self.batch.observe(self.obs_mode), rewards, dones, infos

    def close(self) -> None:
        pass

    def seed(self, seed: int | None = None) -> Sequence[None | int]:
        self._rng = np.random.default_rng(seed)
        self._next_index = 0
        return [seed] * self.num_envs

    def get_images(self) -> Sequence[np.ndarray]:
        return list(grid_to_rgb(self.batch.grid))
