"""The batched native env as stable-baselines3 sees it: auto-reset, terminal observations, timeouts,
episode info, seeding, levels given as data, batched replays, and input validation."""

from __future__ import annotations

import hand_mazes as hm
import numpy as np
import pytest
from stable_baselines3.common.vec_env import VecEnv, VecMonitor

from cheesemaze.envs import NativeMazeVecEnv
from cheesemaze.envs.actions import NOOP, parse_actions
from cheesemaze.envs.game import CHEESE_REWARD, MAX_STEPS
from cheesemaze.envs.maze import generate_maze
from cheesemaze.envs.render import CHEESE, MOUSE, WALL, grid_to_rgb
from cheesemaze.envs.text import parse_maze


def mouse_cells(obs: np.ndarray) -> np.ndarray:
    return np.argwhere(obs[:, MOUSE])[:, 1:]


def test_is_an_sb3_vecenv_with_the_documented_spaces():
    env = NativeMazeVecEnv(num_envs=4, world_size=25)
    assert isinstance(env, VecEnv)
    assert env.observation_space.shape == (3, 25, 25) and env.observation_space.dtype == np.uint8
    assert env.action_space.n == 5
    assert NativeMazeVecEnv(num_envs=2, obs_mode="rgb", action_mode="procgen").observation_space.shape == (64, 64, 3)
    obs = env.reset()
    assert obs.shape == (4, 3, 25, 25) and obs.dtype == np.uint8
    assert (obs[:, MOUSE].sum(axis=(1, 2)) == 1).all() and (obs[:, CHEESE].sum(axis=(1, 2)) == 1).all()
    assert [m.mouse for m in env.mazes] == [tuple(c) for c in mouse_cells(obs)]


def test_reaching_the_cheese_ends_the_episode_and_auto_resets():
    tiny = parse_maze(hm.TINY, level_seed=77)
    env = NativeMazeVecEnv(num_envs=1, world_size=5, region=None)
    env.set_options({"mazes": [tiny]})
    env.reset()
    actions = parse_actions(hm.TINY_TO_CHEESE)
    for action in actions[:-1]:
        _, reward, done, info = env.step(np.array([action]))
        assert reward[0] == 0 and not done[0] and info[0] == {}
    obs, reward, done, info = env.step(np.array([actions[-1]]))
    assert reward[0] == CHEESE_REWARD and done[0]
    episode = info[0]
    assert episode["outcome"] == "cheese" and episode["steps"] == len(actions) and episode["level_seed"] == 77
    assert episode["episode"] == {"r": CHEESE_REWARD, "l": len(actions)}
    assert episode["TimeLimit.truncated"] is False and episode["final_cell"] == tiny.cheese
    terminal = episode["terminal_observation"]
    assert terminal[MOUSE][tiny.cheese] == 1 and terminal[CHEESE][tiny.cheese] == 1
    # The returned observation is already the next episode's start.
    assert tuple(mouse_cells(obs)[0]) == env.mazes[0].start and env.mazes[0].level_seed != 77


def test_timeout_after_500_steps_is_a_truncation():
    env = NativeMazeVecEnv(num_envs=3, world_size=15, region=5, seed=1)
    env.reset()
    seeds = [m.level_seed for m in env.mazes]
    noop = np.full(3, NOOP)
    for _ in range(MAX_STEPS - 1):
        _, reward, done, _ = env.step(noop)
        assert not done.any() and not reward.any()
    obs, reward, done, infos = env.step(noop)
    assert done.all() and not reward.any()
    for info, seed in zip(infos, seeds):
        assert info["TimeLimit.truncated"] is True and info["steps"] == MAX_STEPS
        assert info["level_seed"] == seed and info["outcome"] in ("top_right", "other")
        assert info["episode"]["l"] == MAX_STEPS and info["terminal_observation"].shape == (3, 15, 15)


def test_outcome_top_right_when_the_region_was_visited():
    detour = parse_maze(hm.DETOUR)
    env = NativeMazeVecEnv(num_envs=2, world_size=9, outcome_region=1)
    env.set_options({"mazes": [detour, detour]})
    env.reset()
    to_corner = parse_actions(hm.DETOUR_TO_TOP_RIGHT)
    for t in range(MAX_STEPS):
        infos = env.step(np.array([to_corner[t] if t < len(to_corner) else NOOP, NOOP]))[3]
    assert [info["outcome"] for info in infos] == ["top_right", "other"]


def test_batched_replays_match_one_maze_at_a_time():
    # Each column plays its own level with its own action string, all in one batch.
    levels = [(hm.TINY, hm.TINY_TO_CHEESE), (hm.TINY, "LLDD..RRUU"), (hm.TINY, "URUURR")]
    mazes = [parse_maze(text) for text, _ in levels]
    env = NativeMazeVecEnv(num_envs=len(levels), world_size=5)
    env.set_options({"mazes": mazes})
    env.reset()
    length = max(len(a) for _, a in levels)
    plans = np.array([parse_actions(a.ljust(length, ".")) for _, a in levels]).T
    returns, ended_at = np.zeros(len(levels)), [None] * len(levels)
    for t, actions in enumerate(plans):
        _, reward, done, _ = env.step(actions)
        returns += reward
        for i in np.flatnonzero(done):
            ended_at[i] = ended_at[i] or t + 1
    assert list(returns) == [CHEESE_REWARD, 0.0, CHEESE_REWARD]
    assert ended_at == [4, None, 6]


def rollout(env: NativeMazeVecEnv, n_steps: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    trace = [env.reset()]
    for _ in range(n_steps):
        obs, reward, done, infos = env.step(rng.integers(env.action_space.n, size=env.num_envs))
        trace += [obs, reward, done, np.array([i.get("level_seed", -1) for i in infos])]
    return trace


@pytest.mark.parametrize("obs_mode", ["grid", "rgb"])
def test_same_seed_same_rollout(obs_mode):
    def run(seed):
        return rollout(NativeMazeVecEnv(num_envs=4, world_size=15, region=None, obs_mode=obs_mode, seed=seed), 520, 0)

    a, b, c = run(3), run(3), run(4)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


def test_seed_method_restarts_the_level_stream():
    env = NativeMazeVecEnv(num_envs=4, seed=0)
    env.seed(11)
    first = [m.level_seed for m in (env.reset(), env.mazes)[1]]
    env.seed(11)
    env.reset()
    assert [m.level_seed for m in env.mazes] == first


def test_levels_in_order_without_sampling():
    env = NativeMazeVecEnv(num_envs=3, world_size=25, region=5, level_seeds=range(100, 110), sample_levels=False)
    env.reset()
    assert [m.level_seed for m in env.mazes] == [100, 101, 102]
    assert env.mazes[0] == generate_maze(100, 25, 5)
    assert env.level_seeds_playing.tolist() == [100, 101, 102]
    for _ in range(MAX_STEPS):  # every episode ends at the time limit; the next seeds come in order
        env.step(np.full(3, NOOP))
    assert env.level_seeds_playing.tolist() == [m.level_seed for m in env.mazes] == [103, 104, 105]


def test_play_queues_mazes_for_the_next_episodes():
    mazes = [generate_maze(s, 15, None).with_cheese(generate_maze(s, 15, 0).cheese) for s in range(3)]
    env = NativeMazeVecEnv(num_envs=2, world_size=15)
    env.play(mazes)
    env.reset()
    assert env.mazes == mazes[:2]
    for _ in range(MAX_STEPS):
        env.step(np.full(2, NOOP))
    assert env.mazes[0] == mazes[2]


def test_rgb_observations_are_the_rendered_grid():
    grid_env = NativeMazeVecEnv(num_envs=3, world_size=25, seed=5)
    rgb_env = NativeMazeVecEnv(num_envs=3, world_size=25, seed=5, obs_mode="rgb")
    grid, rgb = grid_env.reset(), rgb_env.reset()
    assert rgb.shape == (3, 64, 64, 3) and np.array_equal(rgb, grid_to_rgb(grid))
    assert np.array_equal(np.stack(grid_env.get_images()), rgb)


def test_works_under_sb3_wrappers():
    env = VecMonitor(NativeMazeVecEnv(num_envs=2, world_size=5, max_steps=7))
    env.reset()
    assert env.get_attr("world_size") == [5, 5]
    for _ in range(7):
        _, _, done, infos = env.step(np.full(2, NOOP))
    assert done.all() and all(info["episode"]["l"] == 7 for info in infos)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"world_size": 24}, "world_size must be an odd integer from 3 to 63"),
        ({"world_size": 65}, "world_size must be an odd integer from 3 to 63"),
        ({"region": 26, "world_size": 25}, "region must be None .* from 0 to the world size 25"),
        ({"region": -2}, "region must be None"),
        ({"obs_mode": "state"}, r"observation mode must be one of \('grid', 'rgb'\)"),
        ({"action_mode": "diagonal"}, r"action mode must be one of \('compact', 'procgen'\)"),
        ({"num_envs": 0}, "num_envs must be a positive integer"),
        ({"outcome_region": -1}, "outcome_region must be an integer from 0"),
        ({"max_steps": 0}, "max_steps must be a positive integer"),
        ({"level_seeds": range(0)}, "level_seeds is empty"),
    ],
)
def test_bad_settings_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        NativeMazeVecEnv(**kwargs)


def test_bad_actions_and_mazes_change_nothing():
    env = NativeMazeVecEnv(num_envs=2, world_size=15, seed=0)
    obs = env.reset()
    with pytest.raises(ValueError, match=r"actions must lie in 0..4; got -1..2"):
        env.step(np.array([-1, 2]))
    with pytest.raises(ValueError, match="expected 2 actions, one per maze"):
        env.step(np.array([1, 2, 3]))
    with pytest.raises(ValueError, match="can only play mazes of world size 15"):
        env.play([generate_maze(0, 15), generate_maze(0, 25)])
    assert np.array_equal(env.batch.observe("grid"), obs) and not env.batch.steps.any()
    assert len(env._queue) == 0
    obs_after, *_ = env.step(np.array([NOOP, NOOP]))
    assert np.array_equal(obs_after[:, WALL], obs[:, WALL])
