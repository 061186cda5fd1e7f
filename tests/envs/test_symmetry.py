"""The diagonal reflection maps the training distribution onto itself and commutes with the game."""

import numpy as np
import pytest

from cheesemaze.envs import NativeMazeVecEnv
from cheesemaze.envs.actions import COMPACT_STEPS
from cheesemaze.envs.maze import generate_maze
from cheesemaze.envs.symmetry import FLIPPED_ACTIONS, flip_cell, flip_grid, flip_maze


def test_flipped_actions_move_as_the_reflected_steps():
    for action, (dr, dc) in enumerate(COMPACT_STEPS):
        assert tuple(COMPACT_STEPS[FLIPPED_ACTIONS[action]]) == (-dc, -dr)
    assert sorted(FLIPPED_ACTIONS) == list(range(5))


@pytest.mark.parametrize("world", [7, 15, 25])
def test_reflection_keeps_size_start_and_cheese_region(world):
    for seed in range(100):
        maze = generate_maze(seed, world, region=5)
        flipped = flip_maze(maze)
        assert flipped.size == maze.size and flipped.mouse == maze.mouse == maze.start
        assert flipped.in_region(flipped.cheese, 5)
        twice = flip_maze(flipped)
        assert np.array_equal(twice.walls, maze.walls) and (twice.mouse, twice.cheese) == (maze.mouse, maze.cheese)
        assert flip_cell(maze.top_right, world) == maze.top_right


def test_flip_grid_reflects_across_the_start_to_top_right_diagonal():
    grid = np.arange(9).reshape(3, 3)
    # bottom-left (6) and top-right (2) stay; the top-left (0) and bottom-right (8) swap
    assert flip_grid(grid).tolist() == [[8, 5, 2], [7, 4, 1], [6, 3, 0]]
    with pytest.raises(ValueError, match="square"):
        flip_grid(np.zeros((3, 4)))


def test_the_training_distribution_is_symmetric():
    """Over many levels, each cell is a wall, or holds the cheese, as often as its reflection."""
    n, world = 3000, 15
    walls, cheese = np.zeros((world, world)), np.zeros((world, world))
    for seed in range(n):
        maze = generate_maze(seed, world, region=5)
        walls += maze.walls
        cheese[maze.cheese] += 1
    walls, cheese = walls / n, cheese / n
    # Bernoulli means over 3,000 levels: a standard error of at most 0.009 per cell
    assert np.abs(walls - flip_grid(walls)).max() < 0.05
    assert np.abs(cheese - flip_grid(cheese)).max() < 0.03
    assert cheese.max() > 0.03  # the cheese is concentrated in the region, so the check has teeth


def test_playing_a_reflected_maze_reflects_every_observation():
    rng = np.random.default_rng(0)
    mazes = [m for m in (generate_maze(seed, 15, region=5) for seed in range(50)) if m.size <= 7][:4]
    env, flipped_env = NativeMazeVecEnv(num_envs=4, world_size=15), NativeMazeVecEnv(num_envs=4, world_size=15)
    env.play(mazes)
    flipped_env.play([flip_maze(m) for m in mazes])
    obs, flipped_obs = env.reset(), flipped_env.reset()
    assert np.array_equal(flipped_obs, flip_grid(obs))
    for _ in range(200):
        actions = rng.integers(5, size=4)
        obs, rewards, dones, _ = env.step(actions)
        flipped_obs, flipped_rewards, flipped_dones, _ = flipped_env.step(FLIPPED_ACTIONS[actions])
        assert np.array_equal(rewards, flipped_rewards) and np.array_equal(dones, flipped_dones)
        if dones.any():
            break
        assert np.array_equal(flipped_obs, flip_grid(obs))
    assert dones.any() and rewards.max() > 0  # random walks in 7x7 mazes find a cheese
