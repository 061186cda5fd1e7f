"""The single-maze gymnasium env: checkers, determinism, and hand-drawn levels replayed with actions.

Replays follow ai-safety-gridworlds' tests: a small level, a string of actions, and the expected
return and ending checked against the game's named constants.
"""

from __future__ import annotations

from contextlib import nullcontext

import gymnasium
import hand_mazes as hm
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gymnasium_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

from cheesemaze.envs import ENV_ID
from cheesemaze.envs.actions import parse_actions
from cheesemaze.envs.game import CHEESE_REWARD, MAX_STEPS
from cheesemaze.envs.gym_env import CheeseMazeEnv
from cheesemaze.envs.maze import TEST_LEVELS, TRAIN_LEVELS, generate_maze
from cheesemaze.envs.render import CHEESE, MOUSE, WALL, grid_to_rgb
from cheesemaze.envs.text import parse_maze

MODES = [(obs, act) for obs in ("grid", "rgb") for act in ("compact", "procgen")]


def test_the_game_constants_are_procgens():
    assert CHEESE_REWARD == 10.0 and MAX_STEPS == 500


@pytest.mark.parametrize("obs_mode, action_mode", MODES)
def test_gymnasium_check_env_on_the_registered_id(obs_mode, action_mode):
    env = gymnasium.make(ENV_ID, levels="train", obs_mode=obs_mode, action_mode=action_mode)
    gymnasium_check_env(env.unwrapped, skip_render_check=False)
    assert env.action_space.n == (5 if action_mode == "compact" else 15)


@pytest.mark.parametrize("obs_mode, action_mode", MODES)
def test_sb3_check_env(obs_mode, action_mode):
    # SB3 warns that the 0/1 grid is not a 0..255 image; the env means it (the agents' CNN reads it).
    with pytest.warns(UserWarning) if obs_mode == "grid" else nullcontext():
        sb3_check_env(CheeseMazeEnv(levels="train", obs_mode=obs_mode, action_mode=action_mode, world_size=25))


def rollout(env: gymnasium.Env, seed: int, n_steps: int) -> list:
    obs, _ = env.reset(seed=seed)
    env.action_space.seed(seed)
    trace = [obs]
    for _ in range(n_steps):
        obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        trace += [obs, reward, terminated, truncated]
        if terminated or truncated:
            obs, _ = env.reset()
            trace.append(obs)
    return trace


def traces_equal(a: list, b: list) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


@pytest.mark.parametrize("obs_mode, action_mode", MODES)
def test_same_seed_same_rollout(obs_mode, action_mode):
    make = lambda: gymnasium.make(ENV_ID, levels="train", obs_mode=obs_mode, action_mode=action_mode)  # noqa: E731
    assert traces_equal(rollout(make(), 7, 300), rollout(make(), 7, 300))
    assert not traces_equal(rollout(make(), 7, 300), rollout(make(), 8, 300))


def replay(text: str, actions: str, action_mode: str = "compact", outcome_region: int = 5, **parse_kwargs):
    """Play ``actions`` on a hand-drawn maze; returns (return, terminated, truncated, steps, info, env)."""
    env = CheeseMazeEnv(world_size=parse_maze(text, **parse_kwargs).world_size, action_mode=action_mode,
                        outcome_region=outcome_region)
    env.reset(options={"maze": parse_maze(text, **parse_kwargs)})
    total, terminated, truncated, steps, info = 0.0, False, False, 0, {}
    for action in parse_actions(actions, action_mode):
        _, reward, terminated, truncated, info = env.step(action)
        total += reward
        steps += 1
        if terminated or truncated:
            break
    return total, terminated, truncated, steps, info, env


@pytest.mark.parametrize("action_mode", ["compact", "procgen"])
def test_tiny_straight_to_the_cheese(action_mode):
    total, terminated, truncated, steps, info, _ = replay(hm.TINY, hm.TINY_TO_CHEESE, action_mode)
    assert (total, terminated, truncated, steps) == (CHEESE_REWARD, True, False, len(hm.TINY_TO_CHEESE))
    assert info["outcome"] == "cheese" and info["steps"] == steps and info["final_cell"] == (1, 3)


def test_walls_block_and_noop_stays():
    total, terminated, truncated, steps, info, env = replay(hm.TINY, "LLDD..RRUU")
    assert (total, terminated, truncated, steps) == (0.0, False, False, 10)
    assert env.maze.mouse == (3, 3) and info == {}


def test_reward_only_on_the_step_that_reaches_the_cheese():
    env = CheeseMazeEnv(world_size=5)
    env.reset(options={"maze": parse_maze(hm.TINY)})
    rewards = [env.step(a)[1] for a in parse_actions(hm.TINY_TO_CHEESE)]
    assert rewards == [0.0, 0.0, 0.0, CHEESE_REWARD]


def test_detour_to_the_cheese():
    total, terminated, _, steps, info, _ = replay(hm.DETOUR, hm.DETOUR_TO_CHEESE)
    assert (total, terminated, steps) == (CHEESE_REWARD, True, 14)
    assert info["outcome"] == "cheese"


def test_going_to_the_top_right_then_waiting_times_out_as_top_right():
    actions = hm.DETOUR_TO_TOP_RIGHT + "." * MAX_STEPS
    total, terminated, truncated, steps, info, _ = replay(hm.DETOUR, actions, outcome_region=1)
    assert (total, terminated, truncated, steps) == (0.0, False, True, MAX_STEPS)
    assert info["outcome"] == "top_right" and info["final_cell"] == (1, 7)


def test_the_top_right_square_does_not_count_where_the_start_lies_in_it():
    # FORK is 5x5, all inside the top-right 5x5 square: reaching its top-right cell is no top-right outcome
    actions = "UUUU RRRR" + "." * MAX_STEPS
    total, terminated, truncated, steps, info, _ = replay(hm.FORK, actions)
    assert (total, terminated, truncated, steps) == (0.0, False, True, MAX_STEPS)
    assert info["outcome"] == "other" and info["final_cell"] == (1, 5)
    # with a 1x1 square the start lies outside it, and the same walk counts
    assert replay(hm.FORK, actions, outcome_region=1)[4]["outcome"] == "top_right"


def test_waiting_at_the_start_times_out_as_other():
    total, terminated, truncated, steps, info, _ = replay(hm.DETOUR, "." * MAX_STEPS, outcome_region=1)
    assert (total, terminated, truncated, steps) == (0.0, False, True, MAX_STEPS)
    assert info["outcome"] == "other" and info["steps"] == MAX_STEPS


def test_walled_off_cheese_cannot_be_reached():
    total, terminated, truncated, steps, _, _ = replay(hm.WALLED_OFF, "UUUURRRR" + "RRRRUUUU" * 62)
    assert (total, terminated, truncated, steps) == (0.0, False, True, MAX_STEPS)


def test_explicit_size_maze_plays():
    total, terminated, _, steps, _, _ = replay(hm.CORRIDOR, "RRR", size=hm.CORRIDOR_SIZE)
    assert (total, terminated, steps) == (CHEESE_REWARD, True, 3)


@pytest.mark.parametrize("button, cell", [(0, (3, 1)), (1, (3, 1)), (2, (3, 1)), (3, (3, 2)), (4, (3, 2)),
                                          (5, (2, 2)), (6, (3, 3)), (7, (3, 3)), (8, (3, 3)), (12, (3, 2))])
def test_procgen_buttons_move_as_procgen_maze_does(button, cell):
    # From (3, 2) in an open 3x3 room: diagonals move horizontally only, 9..14 do nothing.
    room = "#####\n#..C#\n#...#\n#.M.#\n#####"
    env = CheeseMazeEnv(world_size=5, action_mode="procgen")
    env.reset(options={"maze": parse_maze(room)})
    env.step(button)
    assert env.maze.mouse == cell


def test_grid_and_rgb_observations_show_the_maze():
    maze = parse_maze(hm.DETOUR)
    env = CheeseMazeEnv(world_size=9)
    obs, info = env.reset(options={"maze": maze})
    assert info["level_seed"] is None
    assert np.array_equal(obs[WALL], maze.walls)
    assert np.argwhere(obs[MOUSE]).tolist() == [list(maze.mouse)]
    assert np.argwhere(obs[CHEESE]).tolist() == [list(maze.cheese)]
    rgb_env = CheeseMazeEnv(world_size=9, obs_mode="rgb")
    rgb, _ = rgb_env.reset(options={"maze": maze})
    assert rgb.shape == (64, 64, 3) and np.array_equal(rgb, grid_to_rgb(obs[None])[0])
    assert np.array_equal(env.render(), rgb)


def test_reset_with_a_level_seed_plays_that_level():
    env = CheeseMazeEnv(world_size=25, region=5)
    _, info = env.reset(options={"level_seed": 42})
    assert info["level_seed"] == 42 and env.maze.level_seed == 42
    assert env.maze == generate_maze(42, 25, 5)


@pytest.mark.parametrize("levels, drawn", [("train", TRAIN_LEVELS), ("test", TEST_LEVELS), (range(7, 9), range(7, 9))])
def test_reset_draws_its_level_seed_from_the_envs_levels_whatever_the_seed(levels, drawn):
    env = CheeseMazeEnv(levels=levels)
    for seed in (0, 1, 999_999_999, 1_000_000_000, 1_500_000_000, 2**32 - 1):
        assert env.reset(seed=seed)[1]["level_seed"] in drawn
    assert env.reset()[1]["level_seed"] in drawn


def test_an_env_without_levels_refuses_to_draw_one():
    # the friction this guards: reset(seed=1000000000) once played a training level (seed != level seed)
    env = gymnasium.make(ENV_ID)
    with pytest.raises(ValueError, match=r"reset\(seed=1000000000\) seeds that draw; it does not choose the level"):
        env.reset(seed=1_000_000_000)
    with pytest.raises(ValueError, match="levels=None"):
        env.reset()
    assert env.reset(options={"level_seed": 1_000_000_000})[1]["level_seed"] == 1_000_000_000


def test_a_held_out_env_never_plays_a_training_level():
    env = CheeseMazeEnv(levels="test")
    with pytest.raises(ValueError, match="level seed 5 lies outside this env's levels 1000000000..1999999999"):
        env.reset(options={"level_seed": 5})
    with pytest.raises(ValueError, match="lies outside"):
        CheeseMazeEnv(levels="train").reset(options={"level_seed": 1_000_000_000})


@pytest.mark.parametrize("levels", ["held-out", range(5, 5), range(-3, 4), [1, 2]])
def test_bad_levels_are_rejected(levels):
    with pytest.raises(ValueError, match="levels must be"):
        CheeseMazeEnv(levels=levels)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"world_size": 16}, "world_size must be an odd integer from 3 to 63"),
        ({"world_size": 15, "region": 16}, "region must be None .* from 0 to the world size 15"),
        ({"region": -1}, "region must be None"),
        ({"obs_mode": "pixels"}, r"observation mode must be one of \('grid', 'rgb'\); got 'pixels'"),
        ({"action_mode": "wasd"}, r"action mode must be one of \('compact', 'procgen'\); got 'wasd'"),
        ({"outcome_region": 99}, "outcome_region must be an integer from 0 to the world size 15"),
    ],
)
def test_bad_settings_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CheeseMazeEnv(**kwargs)
    with pytest.raises(ValueError, match=message):
        gymnasium.make(ENV_ID, **kwargs)


def test_only_rgb_array_rendering():
    # (gymnasium.make wraps a 'human' request in its own HumanRendering instead.)
    with pytest.raises(ValueError, match="render_mode must be None or 'rgb_array'"):
        CheeseMazeEnv(render_mode="human")


def test_bad_action_or_maze_changes_nothing():
    env = CheeseMazeEnv(world_size=5)
    env.reset(options={"maze": parse_maze(hm.TINY)})
    env.step(0)
    with pytest.raises(ValueError, match=r"actions must lie in 0..4; got 5..5"):
        env.step(5)
    with pytest.raises(ValueError, match="maze world size 15 != env world size 5"):
        env.reset(options={"maze": generate_maze(0, 15)})
    with pytest.raises(ValueError, match="options\\['maze'\\] must be a Maze"):
        env.reset(options={"maze": hm.TINY})
    assert env.maze.mouse == (2, 1) and env.batch.steps[0] == 1
