"""Stock procgen ``maze`` (gym3) behind stable-baselines3's VecEnv, with corner-region cheese.

Description
    procgen's own game (the ``procgen-mirror`` wheel) steps the mazes and renders the frames. At
    every episode start the game state is read and, where needed, rewritten before the first
    frame is shown: the cheese moved into the region, or a chosen maze or level put in place.
    A native :class:`~cheesemaze.envs.game.MazeBatch` follows every game step for step (it is
    what knows the path for the episode info) and must agree with procgen's endings.
Observations
    procgen's 64x64 RGB frame of the whole world; ``use_backgrounds``, ``restrict_themes`` and
    ``use_monochrome_assets`` are procgen's rendering options.
Actions
    procgen's Discrete(15) (see :mod:`~cheesemaze.envs.actions`).
Rewards and termination
    As in procgen: 10 and the end of the episode on reaching the cheese; after 500 steps procgen
    restarts the level, reported here as a truncation (``info["TimeLimit.truncated"] = True``,
    told apart from the cheese by procgen's ``prev_level_complete``).
Level distribution
    ``level_seeds`` given as a ``range`` with step 1 and ``sample_levels=True`` is procgen's own
    ``start_level`` / ``num_levels`` sampling, seeded by ``seed``. Any other sequence, or
    ``sample_levels=False`` (in order), picks level seeds here and writes procgen's layout of each
    (reproduced by :mod:`~cheesemaze.envs.procgen_layout`, background included) into the game.
    ``region`` moves the cheese by the native rule (:func:`~cheesemaze.envs.maze.draw_cheese`, a
    function of the level seed); ``None`` keeps procgen's cheese. :meth:`play` queues explicit mazes.
Episode info
    The native env's keys: ``terminal_observation`` (procgen's frame of the final state, rendered
    by loading that state, since procgen restarts a level before showing it), ``episode``
    (``r``, ``l``), ``outcome``, ``steps``, ``level_seed``, ``final_cell``, ``TimeLimit.truncated``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import cffi
import numpy as np
from procgen import ProcgenGym3Env
from stable_baselines3.common.vec_env.base_vec_env import VecEnvStepReturn

from cheesemaze.envs.actions import COMPACT_STEPS, PROCGEN_TO_COMPACT
from cheesemaze.envs.game import MazeBatch, action_space, observation_space
from cheesemaze.envs.maze import TRAIN_LEVELS, WORLD_SIZES, Maze, Region, check_region, draw_cheese
from cheesemaze.envs.native import MazeVecEnvBase
from cheesemaze.envs.procgen_layout import procgen_level
from cheesemaze.envs.procgen_state import (
    GOAL,
    SPACE,
    ProcgenState,
    parse_state,
    to_maze,
    with_maze,
)
from cheesemaze.envs.render import RGB_SIZE

# procgen's MAX_STATE_SIZE: get_state exits the process when a state does not fit its buffer.
STATE_BUFFER_SIZE = 2**20
MAX_SEED = 2**31 - 1
# procgen draws levels from [low, high) with high an int32, so the last level seed is 2**31 - 2.
MAX_LEVEL_SEED = 2**31 - 2
# procgen steps a game with action -1 as a no-op that ends the episode (Game::step).
FORCE_RESET = -1
# Horizontal moves turn the mouse sprite (MazeGame::game_step): +1 faces right, -1 left, 0 keeps.
FACING = np.sign(COMPACT_STEPS[PROCGEN_TO_COMPACT][:, 1])


class ProcgenStates:
    """``get_state`` / ``set_state`` on single games of a gym3 procgen env.

    procgen's own ``get_state`` method serializes every game and allocates a 1 MiB buffer per call;
    an episode start needs one game, so this calls the C functions procgen declares, one game at a
    time, through one reused buffer.
    """

    def __init__(self, env: ProcgenGym3Env) -> None:
        self.env = env
        self.ffi = cffi.FFI()
        self.buffer = self.ffi.new("char[]", STATE_BUFFER_SIZE)

    def get(self, i: int) -> ProcgenState:
        """The parsed state of game ``i``."""
        n = self.env.call_c_func("get_state", i, self.buffer, STATE_BUFFER_SIZE)
        return parse_state(bytes(self.ffi.buffer(self.buffer, n)))

    def set(self, i: int, state: ProcgenState) -> None:
        """Load ``state`` (checked when it was built) into game ``i``; its next frame shows it."""
        data = state.to_bytes()
        self.env.call_c_func("set_state", i, data, len(data))


def world_size_of(distribution_mode: str) -> int:
    """The world side of a procgen distribution mode; ``ValueError`` unless easy or hard."""
    if distribution_mode not in WORLD_SIZES:
        raise ValueError(f"distribution_mode must be one of {sorted(WORLD_SIZES)}; "
                         f"got {distribution_mode!r}")
    return WORLD_SIZES[distribution_mode]


def read_procgen_mazes(level_seeds: Iterable[int], distribution_mode: str = "hard") -> list[Maze]:
    """procgen's own mazes (its cheese included) for ``level_seeds``, read from its game states.

    :func:`~cheesemaze.envs.procgen_layout.procgen_maze` computes the same mazes without procgen
    (and faster); this reads them from procgen itself.
    """
    world_size_of(distribution_mode)
    mazes = []
    for seed in level_seeds:
        check_level_seeds([seed])
        env = ProcgenGym3Env(num=1, env_name="maze", distribution_mode=distribution_mode,
                             start_level=int(seed), num_levels=1)
        mazes.append(to_maze(ProcgenStates(env).get(0)))
        env.close()
    return mazes


def check_level_seeds(level_seeds: Sequence[int]) -> None:
    """Raise ``ValueError`` unless ``level_seeds`` is non-empty and fits procgen's int32 seeds."""
    if len(level_seeds) == 0:
        raise ValueError("level_seeds is empty")
    # A range's ends bound it; min() would walk all 1e9 training seeds.
    ends = (level_seeds[0], level_seeds[-1]) if isinstance(level_seeds, range) else level_seeds
    low, high = min(ends), max(ends)
    if low < 0 or high > MAX_LEVEL_SEED:
        raise ValueError(f"procgen level seeds lie in 0 .. {MAX_LEVEL_SEED}; got {low} .. {high}")


class ProcgenMazeVecEnv(MazeVecEnvBase):
    """``num_envs`` procgen maze games; see the module docstring for the rules and the levels.

    ``gym3_env`` is the procgen env underneath and ``states`` reads and writes its games' states
    (``states.get(i)``, ``states.set(i, state)``); a state changed behind the env's back makes the
    next step raise ``RuntimeError`` when procgen and the env's record of the game disagree.
    """

    def __init__(
        self,
        num_envs: int = 64,
        distribution_mode: str = "hard",
        region: Region = 5,
        level_seeds: Sequence[int] = TRAIN_LEVELS,
        sample_levels: bool = True,
        outcome_region: int = 5,
        seed: int = 0,
        use_backgrounds: bool = True,
        restrict_themes: bool = False,
        use_monochrome_assets: bool = False,
    ) -> None:
        world_size = world_size_of(distribution_mode)
        check_region(region, world_size)
        check_level_seeds(level_seeds)
        if not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"num_envs must be a positive integer; got {num_envs!r}")
        self.region = region
        self.procgen_draws_levels = (
            sample_levels and isinstance(level_seeds, range) and level_seeds.step == 1
        )
        self.options = {
            "distribution_mode": distribution_mode,
            "use_backgrounds": use_backgrounds,
            "restrict_themes": restrict_themes,
            "use_monochrome_assets": use_monochrome_assets,
        }
        self.gym3_env: ProcgenGym3Env | None = None
        self._start_states: list[ProcgenState | None] = [None] * num_envs
        self._facing = np.zeros(num_envs, dtype=np.int64)
        self._actions = np.zeros(num_envs, dtype=np.int32)
        self._obs = np.zeros((num_envs, RGB_SIZE, RGB_SIZE, 3), dtype=np.uint8)
        batch = MazeBatch(num_envs, world_size, "procgen", outcome_region)
        super().__init__(batch, level_seeds, sample_levels, observation_space("rgb", world_size),
                         action_space("procgen"))
        self.seed(seed)

    # Levels -------------------------------------------------------------------------------------

    def _next_level(self, state: ProcgenState) -> tuple[Maze, dict[str, Any]]:
        """The maze for a new episode in a game now in ``state``, and state fields for its look."""
        if self._queue:
            return self._queue.popleft(), {}
        look: dict[str, Any] = {}
        if self.procgen_draws_levels:
            maze = to_maze(state)
        else:
            level = procgen_level(int(self._next_level_seed()), self.world_size)
            maze = level.maze
            look = {"background_index": level.background_index, "bg_pct_x": level.bg_pct_x}
        if self.region is not None:
            maze = maze.with_cheese(draw_cheese(maze.walls, maze.size, self.region, maze.level_seed))
        return maze, look

    def _begin(self, rows: Iterable[int], states: Sequence[ProcgenState], loaded: bool) -> None:
        """Start episodes in games ``rows`` from ``states``, procgen's fresh levels there (already
        in the games if ``loaded``), each replaced by the maze it is to play."""
        for i, state in zip(rows, states):
            maze, look = self._next_level(state)
            changed = bool(look) or maze != to_maze(state)
            if changed:
                state = with_maze(state, maze).replace(**look)
            if changed or not loaded:
                self.states.set(i, state)
            self._start_states[i] = state
            self._facing[i] = 1 if state.agent["is_reflected"] else -1
            self.batch.load(i, maze)

    def _final_frames(self, rows: np.ndarray, terminated: np.ndarray) -> np.ndarray:
        """procgen's frames of the final states of the episodes that just ended in ``rows``."""
        for i in rows:
            final = self.batch.mazes[i].with_mouse(tuple(self.batch.mouse[i]))
            state = with_maze(self._start_states[i], final)
            state = state.replace(entity={"is_reflected": int(self._facing[i] > 0)})
            if terminated[i]:  # procgen eats the cheese: its cell turns to floor
                state = state.replace(grid=np.where(state.grid == GOAL, SPACE, state.grid))
            self.states.set(i, state)
        return self.gym3_env.observe()[1]["rgb"][rows]

    # VecEnv interface ----------------------------------------------------------------------------

    def reset(self) -> np.ndarray:
        self._take_reset_options()
        # Every game gives up its level and starts a fresh one, as a native reset does.
        self.gym3_env.act(np.full(self.num_envs, FORCE_RESET, dtype=np.int32))
        self.gym3_env.observe()
        self._begin(range(self.num_envs), [self.states.get(i) for i in range(self.num_envs)], True)
        self._obs = self.gym3_env.observe()[1]["rgb"]
        return self._obs

    def step_async(self, actions: np.ndarray) -> None:
        actions = np.asarray(actions).reshape(-1).astype(np.int64)
        self.batch.check_actions(actions)
        self._actions = actions.astype(np.int32)

    def step_wait(self) -> VecEnvStepReturn:
        self.gym3_env.act(self._actions)
        _, expect_terminated, expect_truncated = self.batch.move(self._actions)
        turn = FACING[self._actions]
        self._facing = np.where(turn != 0, turn, self._facing)
        rewards, obs, first = self.gym3_env.observe()
        dones = first.astype(bool)
        terminated = np.zeros(self.num_envs, dtype=bool)
        if dones.any():
            infos = self.gym3_env.get_info()
            terminated = dones & np.array([bool(info["prev_level_complete"]) for info in infos])
        truncated = dones & ~terminated
        if (terminated != expect_terminated).any() or (truncated != expect_truncated).any():
            bad = np.flatnonzero((terminated != expect_terminated) | (truncated != expect_truncated))
            raise RuntimeError(f"procgen and the native rules disagree on how games {bad.tolist()} "
                               f"ended (procgen state edited outside this env?)")
        infos_out: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if dones.any():
            rows = np.flatnonzero(dones)
            restarted = [self.states.get(i) for i in rows]
            final_frames = self._final_frames(rows, terminated)
            for k, i in enumerate(rows):
                infos_out[i] = self.batch.episode_info(i, bool(terminated[i]), bool(truncated[i]))
                infos_out[i]["terminal_observation"] = final_frames[k]
            self._begin(rows, restarted, False)
            obs = self.gym3_env.observe()[1]
        self._obs = obs["rgb"]
        return self._obs, rewards.astype(np.float32), dones, infos_out

    def close(self) -> None:
        if self.gym3_env is not None:
            self.gym3_env.close()
            self.gym3_env = None

    def seed(self, seed: int | None = None) -> Sequence[None | int]:
        """Reseed level choice and procgen's own generators; the next reset starts afresh."""
        if seed is None:
            seed = int(np.random.SeedSequence().generate_state(1)[0] & MAX_SEED)
        if not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
            raise ValueError(f"seed must be an integer in 0 .. {MAX_SEED}; got {seed!r}")
        self._rng = np.random.default_rng(seed)
        self._next_index = 0
        self.close()
        levels = {}
        if self.procgen_draws_levels:
            levels = {"start_level": self.level_seeds.start, "num_levels": len(self.level_seeds)}
        self.gym3_env = ProcgenGym3Env(
            num=self.num_envs, env_name="maze", rand_seed=int(seed), **self.options, **levels
        )
        self.states = ProcgenStates(self.gym3_env)
        return [seed] * self.num_envs

    def get_images(self) -> Sequence[np.ndarray]:
        return list(self._obs)
