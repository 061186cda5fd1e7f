"""The procgen VecEnv: relocated cheese in the first frame and in procgen's rules, timeouts as
truncations with procgen's own final frame, chosen levels and played mazes, seeding, errors."""

from __future__ import annotations

import numpy as np
import pytest
from procgen import ProcgenGym3Env
from procgen_support import (
    CHEESE_RGB,
    MONOCHROME,
    MOUSE_RGB,
    WALL_RGB,
    assert_frame_shows,
    cells_of,
    only_cell,
    path_actions,
)
from stable_baselines3.common.vec_env import VecMonitor, VecTransposeImage

from cheesemaze.envs.geometry import shortest_path
from cheesemaze.envs.maze import generate_maze
from cheesemaze.envs.native import NativeMazeVecEnv
from cheesemaze.envs.procgen_env import ProcgenMazeVecEnv, ProcgenStates
from cheesemaze.envs.procgen_layout import procgen_level, procgen_maze
from cheesemaze.envs.procgen_state import to_maze, with_maze

NOOP = 4


def make(num_envs: int = 4, **kwargs) -> ProcgenMazeVecEnv:
    return ProcgenMazeVecEnv(num_envs=num_envs, **{**MONOCHROME, **kwargs})


def test_spaces_and_first_observation():
    env = make(3, distribution_mode="easy")
    obs = env.reset()
    assert obs.shape == (3, 64, 64, 3) and obs.dtype == np.uint8
    assert env.observation_space.contains(obs[0])
    assert env.action_space.n == 15
    assert [m.world_size for m in env.mazes] == [15, 15, 15]


@pytest.mark.parametrize("region", [0, 1, 5])
def test_every_first_frame_shows_the_relocated_cheese(region):
    env = make(6, region=region, seed=region)
    obs = env.reset()
    rng = np.random.default_rng(region)
    starts = 0
    for t in range(150):
        firsts = range(6) if t == 0 else np.flatnonzero(dones)
        for i in firsts:
            maze = to_maze(env.states.get(i))  # what procgen holds, not the env's own record
            assert maze == env.mazes[i]
            assert maze.in_region(maze.cheese, region) and maze.cheese != maze.start
            assert maze.mouse == maze.start
            assert_frame_shows(obs[i], maze)
            starts += 1
        # Mostly walk to the cheese, so that episodes end and new ones start.
        actions = rng.integers(0, 15, size=6)
        for i, maze in enumerate(env.mazes):
            if rng.random() < 0.8:
                actions[i] = path_actions(maze, maze.mouse, maze.cheese)[0]
        obs, _, dones, _ = env.step(actions)
    assert starts >= 6 + 5  # restarted episodes were checked too


def find_level_with_moved_cheese(env: ProcgenMazeVecEnv):
    """Reset until the only game plays a level whose cheese moved, with procgen's own cheese
    cell reachable from the start without crossing the new one."""
    for _ in range(50):
        env.reset()
        maze = env.mazes[0]
        old = procgen_level(maze.level_seed, 25).maze.cheese
        if old != maze.cheese and maze.cheese not in shortest_path(maze.walls, maze.start, old):
            return maze, old
    raise AssertionError("no suitable level in 50 resets")


def test_new_cheese_pays_ten_and_ends_old_cell_pays_nothing():
    env = make(1, region=5, seed=11)
    maze, old = find_level_with_moved_cheese(env)
    for action in path_actions(maze, maze.start, old):
        obs, rewards, dones, infos = env.step(np.array([action]))
        assert rewards[0] == 0.0 and not dones[0]
    assert env.mazes[0].mouse == old
    assert only_cell(obs[0], 25, MOUSE_RGB) == old
    to_new = path_actions(maze, old, maze.cheese)
    for k, action in enumerate(to_new):
        obs, rewards, dones, infos = env.step(np.array([action]))
        assert dones[0] == (k == len(to_new) - 1)
    assert rewards[0] == 10.0
    info = infos[0]
    assert info["outcome"] == "cheese" and info["final_cell"] == maze.cheese
    assert info["TimeLimit.truncated"] is False and info["episode"] == {"r": 10.0, "l": info["steps"]}
    final = info["terminal_observation"]  # procgen ate the cheese: mouse on its cell, no cheese
    assert only_cell(final, 25, MOUSE_RGB) == maze.cheese
    assert not cells_of(final, 25, CHEESE_RGB).any()
    assert np.array_equal(cells_of(final, 25, WALL_RGB), maze.walls)


def test_timeout_is_a_truncation_with_procgen_final_frame():
    # Full assets and backgrounds: the final frame must match procgen's pixel for pixel, the
    # facing of the mouse sprite included. Mazes of side >= 9 keep the start row out of the
    # top-right region, and a mouse that never presses UP stays on that row, far from the cheese.
    mazes = [m for m in (procgen_maze(s, 25, 5) for s in range(40)) if m.size >= 9][:2]
    env = ProcgenMazeVecEnv(num_envs=2, region=5, seed=5)
    env.play(mazes)
    env.reset()
    rng = np.random.default_rng(5)
    for _ in range(499):
        env.step(rng.choice([0, 1, 3, 6, 7, 8], size=2))  # LEFT, DOWN, RIGHT buttons only
    last_states = [env.states.get(i) for i in range(2)]
    actions = np.array([1, 7])  # LEFT and RIGHT: both facings
    obs, rewards, dones, infos = env.step(actions)
    assert dones.all() and (rewards == 0).all()
    reference = ProcgenGym3Env(num=2, env_name="maze", distribution_mode="hard")
    states = ProcgenStates(reference)
    for i in range(2):
        states.set(i, last_states[i].replace(timeout=10**6))  # here procgen must not restart
    reference.act(actions.astype(np.int32))
    procgen_final = reference.observe()[1]["rgb"]
    for i, maze in enumerate(mazes):
        info = infos[i]
        assert info["TimeLimit.truncated"] is True and info["outcome"] == "other"
        assert info["steps"] == 500 and info["episode"] == {"r": 0.0, "l": 500}
        assert info["final_cell"] == to_maze(states.get(i)).mouse
        assert info["final_cell"][0] == maze.start[0]
        assert np.array_equal(info["terminal_observation"], procgen_final[i])
    assert all(m.mouse == m.start for m in env.mazes)  # the next frames show new episodes


def test_info_keys_match_the_native_env():
    procgen_env = make(2, region=0, seed=1)
    procgen_env.reset()
    native = NativeMazeVecEnv(num_envs=2, world_size=25, region=0, action_mode="procgen")
    native.reset()
    keys = []
    for env in (procgen_env, native):
        while True:
            maze = env.mazes[0]
            _, _, dones, infos = env.step(np.array([path_actions(maze, maze.mouse, maze.cheese)[0], 4]))
            if dones[0]:
                keys.append(set(infos[0]))
                break
    assert keys[0] == keys[1]


def test_same_seed_same_rollouts_other_seed_other_levels():
    def rollout(seed: int):
        env = make(3, seed=seed)
        frames = [env.reset()]
        record = []
        rng = np.random.default_rng(0)
        for _ in range(120):
            actions = rng.integers(0, 15, size=3)
            for i, maze in enumerate(env.mazes):
                if rng.random() < 0.7:
                    actions[i] = path_actions(maze, maze.mouse, maze.cheese)[0]
            obs, rewards, dones, infos = env.step(actions)
            frames.append(obs)
            record.append((rewards.tolist(), dones.tolist(),
                           [{k: v for k, v in i.items() if k != "terminal_observation"} for i in infos]))
        env.close()
        return np.stack(frames), record

    frames_a, record_a = rollout(3)
    frames_b, record_b = rollout(3)
    assert np.array_equal(frames_a, frames_b) and record_a == record_b
    assert any(d for r in record_a for d in r[1])  # episodes ended along the way
    frames_c, _ = rollout(4)
    assert not np.array_equal(frames_a[0], frames_c[0])


def test_reset_starts_new_levels():
    env = make(4, seed=2)
    env.reset()
    first = [m.level_seed for m in env.mazes]
    env.step(np.full(4, 7))
    env.reset()
    assert [m.level_seed for m in env.mazes] != first
    assert all(m.mouse == m.start for m in env.mazes)
    assert all(env.states.get(i).values["cur_time"] == 0 for i in range(4))


def test_chosen_level_seeds_look_exactly_like_procgen_own_levels():
    seeds = [5, 1234567, 42]
    env = ProcgenMazeVecEnv(num_envs=3, region=None, level_seeds=seeds, sample_levels=False)
    obs = env.reset()
    assert [m.level_seed for m in env.mazes] == seeds
    for i, seed in enumerate(seeds):
        own = ProcgenGym3Env(num=1, env_name="maze", distribution_mode="hard", start_level=seed,
                             num_levels=1)
        assert np.array_equal(obs[i], own.observe()[1]["rgb"][0])
        own.close()


def test_chosen_level_seeds_with_region_and_sampling():
    env = make(4, region=5, level_seeds=[7, 8], sample_levels=True, seed=0)
    env.reset()
    assert {m.level_seed for m in env.mazes} <= {7, 8}
    for maze in env.mazes:
        assert maze == procgen_maze(maze.level_seed, 25, 5)


def test_played_mazes_are_shown_and_reported():
    mazes = [generate_maze(seed, 25, 5) for seed in (3, 4, 5)]
    env = make(2, region=5)
    env.play(mazes)
    obs = env.reset()
    for i in range(2):
        assert env.mazes[i] == mazes[i]
        assert_frame_shows(obs[i], mazes[i])
    plan = path_actions(mazes[0], mazes[0].mouse, mazes[0].cheese)
    for action in plan:
        obs, rewards, dones, infos = env.step(np.array([action, NOOP]))
    assert dones[0] and rewards[0] == 10.0 and infos[0]["level_seed"] == 3
    assert env.mazes[0] == mazes[2]  # the next queued maze follows
    assert_frame_shows(obs[0], mazes[2])


def test_sb3_wrappers_accept_the_env():
    env = VecMonitor(VecTransposeImage(make(2, region=1, seed=0)))
    obs = env.reset()
    assert obs.shape == (2, 3, 64, 64)
    for _ in range(600):
        obs, rewards, dones, infos = env.step(np.random.default_rng(0).integers(0, 15, size=2))
        if dones.any():
            i = int(np.flatnonzero(dones)[0])
            assert infos[i]["terminal_observation"].shape == (3, 64, 64)
            assert "r" in infos[i]["episode"]
            break
    else:
        raise AssertionError("no episode ended in 600 steps")


def test_a_state_changed_behind_the_env_is_caught():
    env = make(1, region=5, seed=1)
    env.reset()
    maze = env.mazes[0]
    # Move procgen's mouse next to the cheese without telling the env, then step onto it.
    before = shortest_path(maze.walls, maze.start, maze.cheese)[-2]
    env.states.set(0, with_maze(env.states.get(0), maze.with_mouse(before)))
    with pytest.raises(RuntimeError, match="disagree"):
        env.step(np.array(path_actions(maze, before, maze.cheese)))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"distribution_mode": "extreme"}, "distribution_mode"),
        ({"distribution_mode": "easy", "region": 16}, "region"),
        ({"level_seeds": []}, "empty"),
        ({"level_seeds": [-1, 3]}, "level seeds"),
        ({"level_seeds": range(2**31 - 5, 2**31)}, "level seeds"),
        ({"num_envs": 0}, "num_envs"),
        ({"seed": -1}, "seed"),
        ({"outcome_region": -2}, "outcome_region"),
    ],
)
def test_bad_arguments_are_value_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ProcgenMazeVecEnv(**{"num_envs": 1, **kwargs})


def test_bad_mazes_and_actions_are_value_errors():
    env = make(2)
    with pytest.raises(ValueError, match="world size 25"):
        env.play([generate_maze(0, 15)])
    env.reset()
    with pytest.raises(ValueError, match="actions"):
        env.step(np.array([0, 15]))
    with pytest.raises(ValueError, match="expected 2 actions"):
        env.step(np.array([0]))
