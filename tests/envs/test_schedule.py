"""The training schedule (envs/schedule.py): time limits per maze size, and the maze-size curriculum,
which chooses which level seeds are played and never changes a level seed's maze."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from cheesemaze.envs import NativeMazeVecEnv
from cheesemaze.envs.actions import NOOP
from cheesemaze.envs.geometry import bfs_distances
from cheesemaze.envs.maze import TRAIN_LEVELS, generate_maze, maze_size
from cheesemaze.envs.schedule import largest_size, time_limit

CURRICULUM = 1200  # 12 stages of 100 steps in the 25x25 world


def ended(env: NativeMazeVecEnv, n_steps: int) -> list[dict]:
    """The infos of the episodes that end in ``n_steps`` steps of standing still."""
    infos = []
    for _ in range(n_steps):
        infos += [info for info in env.step(np.full(env.num_envs, NOOP))[3] if "steps" in info]
    return infos


def drawn_sizes(env: NativeMazeVecEnv) -> list[int]:
    return [maze.size for maze in env.mazes]


def test_the_time_limit_is_linear_in_the_maze_size_under_max_steps():
    assert [time_limit(s, 500, 8.0) for s in (3, 15, 25)] == [24, 120, 200]
    assert time_limit(25, 150, 8.0) == 150  # max_steps stays the ceiling
    assert time_limit(3, 100, 0.5) == 2  # rounded up, never zero
    assert time_limit(3, 100, 0) == time_limit(25, 100, 0) == 100  # off: every maze at max_steps
    assert [time_limit(25, 500, k) for k in (2.2, 4.4, 8.8, 9.8)] == [55, 110, 220, 245]  # no float creep


def test_a_level_range_without_small_mazes_is_refused_not_played_forever():
    assert maze_size(0, 25) > 3
    env = NativeMazeVecEnv(num_envs=2, world_size=25, level_seeds=range(0, 1), size_curriculum_steps=1000)
    with pytest.raises(ValueError, match="none had a maze of size 3 or less"):
        env.reset()


def test_the_cpu_hard_limit_leaves_every_shortest_path_a_margin():
    for level in range(300):
        maze = generate_maze(level, 25, 5)
        path = bfs_distances(maze.walls, maze.mouse)[maze.cheese]
        assert 1.5 * path <= time_limit(maze.size, 500, 8.0)


def test_each_maze_truncates_its_training_episodes_at_its_own_limit():
    env = NativeMazeVecEnv(num_envs=16, world_size=9, seed=2, max_steps=12, max_steps_per_size=2.0)
    env.reset()
    infos = ended(env, 40)
    limits = {info["level_seed"]: time_limit(maze_size(info["level_seed"], 9), 12, 2.0) for info in infos}
    assert set(limits.values()) == {6, 10, 12}  # sizes 3, 5 and 7..9 (the latter capped by max_steps)
    assert all(info["steps"] == limits[info["level_seed"]] and info["TimeLimit.truncated"] for info in infos)


def test_the_largest_size_grows_in_equal_stages_to_the_world():
    stages = [largest_size(step, CURRICULUM, 25) for step in range(0, CURRICULUM + 1, 100)]
    assert stages == list(range(3, 26, 2)) + [25]
    assert largest_size(0, 0, 25) == 25 and largest_size(10**9, CURRICULUM, 25) == 25
    assert largest_size(5, 10, 3) == 3


def test_the_curriculum_starts_on_the_smallest_mazes_and_keeps_each_level_seeds_maze():
    env = NativeMazeVecEnv(num_envs=64, world_size=25, seed=0, max_steps_per_size=2.0,
                           size_curriculum_steps=CURRICULUM)
    env.reset()
    assert env.largest_size == 3 and set(drawn_sizes(env)) == {3}
    assert env.mazes == [generate_maze(m.level_seed, 25, 5) for m in env.mazes]
    # the seeds a plain env's generator draws, those with larger mazes skipped
    rng, levels = np.random.default_rng(0), []
    while len(levels) < 64:
        level = TRAIN_LEVELS[int(rng.integers(len(TRAIN_LEVELS)))]
        if maze_size(level, 25) == 3:
            levels.append(level)
    assert list(env.level_seeds_playing) == levels
    ended(env, 5)  # 320 env-steps: the fourth stage, sizes up to 9
    assert env.largest_size == 9 and max(drawn_sizes(env)) <= 9


def test_after_the_curriculum_the_draws_are_the_games():
    plain = NativeMazeVecEnv(num_envs=32, world_size=25, seed=3)
    done = NativeMazeVecEnv(num_envs=32, world_size=25, seed=3, size_curriculum_steps=CURRICULUM,
                            start_step=CURRICULUM)
    plain.reset(), done.reset()
    assert list(done.level_seeds_playing) == list(plain.level_seeds_playing)
    assert [i["level_seed"] for i in ended(done, 600)] == [i["level_seed"] for i in ended(plain, 600)]
    sizes = Counter(drawn_sizes(done))
    assert len(sizes) > 6  # large and small mazes alike, as in the game


def test_the_curriculum_is_counted_in_env_steps_and_reaches_the_games_distribution():
    env = NativeMazeVecEnv(num_envs=8, world_size=25, seed=1, max_steps_per_size=1.0,
                           size_curriculum_steps=CURRICULUM)
    env.reset()
    largest = []
    for _ in range(CURRICULUM // 8):
        ended(env, 1)
        assert max(drawn_sizes(env)) <= env.largest_size
        largest.append(env.largest_size)
    assert env.steps_done == CURRICULUM and largest == sorted(largest) and largest[-1] == 25
    playing = set(env.level_seeds_playing)
    after = Counter(maze_size(i["level_seed"], 25) for i in ended(env, 200) if i["level_seed"] not in playing)
    assert len(after) >= 8 and min(after) == 3 and max(after) > 15


def test_the_same_seed_draws_the_same_curriculum():
    def draws(seed: int) -> list[int]:
        env = NativeMazeVecEnv(num_envs=16, world_size=25, seed=seed, size_curriculum_steps=CURRICULUM)
        env.reset()
        return [int(s) for s in env.level_seeds_playing] + [i["level_seed"] for i in ended(env, 60)]

    assert draws(4) == draws(4) != draws(5)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"max_steps_per_size": -1.0}, "max_steps_per_size must be a non-negative number"),
        ({"max_steps_per_size": float("inf")}, "max_steps_per_size must be a non-negative number"),
        ({"size_curriculum_steps": -5}, "size_curriculum_steps must be an integer >= 0"),
        ({"size_curriculum_steps": 2.5}, "size_curriculum_steps must be an integer >= 0"),
        ({"start_step": -1}, "start_step must be an integer >= 0"),
    ],
)
def test_bad_schedules_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        NativeMazeVecEnv(num_envs=2, world_size=9, **kwargs)
