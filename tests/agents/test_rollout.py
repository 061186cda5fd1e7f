"""Batched rollouts with scripted stand-in policies."""

from __future__ import annotations

import numpy as np
import pytest
from stand_ins import BfsToCheese, Fixed

from cheesemaze.agents.rollout import rollout
from cheesemaze.envs.actions import COMPACT_STEPS, LETTERS
from cheesemaze.envs.geometry import shortest_path, step_distance
from cheesemaze.envs.maze import generate_maze
from cheesemaze.envs.text import parse_maze

UNIFORM = [0.2] * 5
# Corridor to the top-right (1, 5) along the left and top; the cheese hangs below the top row.
CORRIDOR = """
#######
#.....#
#.###.#
#.#C#.#
#.#.#.#
#M#...#
#######
"""


def mazes(n: int, world_size: int = 15, region: int | None = None) -> list:
    return [generate_maze(seed, world_size, region) for seed in range(100, 100 + n)]


def replay(maze, letters: str) -> list[tuple[int, int]]:
    """The cells visited when the compact action letters are replayed from the mouse's start."""
    cell, cells = maze.mouse, [maze.mouse]
    for ch in letters:
        nxt = (cell[0] + int(COMPACT_STEPS[LETTERS[ch]][0]), cell[1] + int(COMPACT_STEPS[LETTERS[ch]][1]))
        if not maze.walls[nxt]:
            cell = nxt
        cells.append(cell)
    return cells


def test_shortest_path_policy_reaches_the_cheese_in_exactly_the_step_distance():
    played = mazes(60)
    episodes = rollout(BfsToCheese(), played, greedy=True, batch_size=7)
    for maze, ep in zip(played, episodes):
        assert ep.outcome == "cheese"
        assert ep.steps == step_distance(maze.walls, maze.start, maze.cheese)
        assert [tuple(c) for c in ep.path.tolist()] == shortest_path(maze.walls, maze.start, maze.cheese)
        assert ep.final_cell == maze.cheese


def test_path_and_actions_agree_with_a_replay():
    played = mazes(20)
    for maze, ep in zip(played, rollout(Fixed(UNIFORM), played, seed=3, batch_size=8)):
        assert len(ep.action_string) == ep.steps == len(ep.path) - 1
        assert [tuple(c) for c in ep.path.tolist()] == replay(maze, ep.action_string)


def test_sampling_is_seeded_and_independent_of_batch_size():
    played = mazes(30)
    a = rollout(Fixed(UNIFORM), played, seed=5, batch_size=4)
    b = rollout(Fixed(UNIFORM), played, seed=5, batch_size=30)
    c = rollout(Fixed(UNIFORM), played, seed=6, batch_size=30)
    assert [e.action_string for e in a] == [e.action_string for e in b]
    assert [e.action_string for e in a] != [e.action_string for e in c]


def test_each_cell_is_asked_of_the_policy_once_per_episode():
    played = mazes(10)
    policy = Fixed(UNIFORM)
    episodes = rollout(policy, played, seed=0, batch_size=10)
    distinct = sum(len({tuple(c) for c in ep.path[:-1].tolist()}) for ep in episodes)
    assert policy.calls == distinct
    assert sum(ep.steps for ep in episodes) > 5 * distinct  # the cache saved work


def test_outcomes_top_right_other_and_timeout():
    maze = parse_maze(CORRIDOR)
    corner = {"outcome_region": 1}  # the whole 5x5 maze is its top-right 5x5 square
    up = rollout(Fixed([0.9, 0, 0, 0.1, 0]), [maze], greedy=True, max_steps=30, **corner)[0]
    assert (up.outcome, up.steps, up.final_cell) == ("other", 30, (1, 1))  # stuck against the top wall
    wander = rollout(Fixed([0.5, 0, 0, 0.5, 0]), [maze], seed=1, max_steps=50, **corner)[0]
    assert wander.outcome == "top_right" and (1, 5) in [tuple(c) for c in wander.path.tolist()]
    stay = rollout(Fixed([0, 0, 0, 0, 1]), [maze], greedy=True, **corner)[0]
    assert (stay.outcome, stay.steps, stay.action_string) == ("other", 500, "." * 500)


def test_shutdown_cell_ends_the_episode_without_cheese():
    played = mazes(20)
    shutdowns = []
    for maze in played:
        path = shortest_path(maze.walls, maze.start, maze.cheese)
        shutdowns.append(path[len(path) // 2] if len(path) > 2 else None)
    episodes = rollout(BfsToCheese(), played, greedy=True, shutdowns=shutdowns)
    for maze, cell, ep in zip(played, shutdowns, episodes):
        if cell is None:
            assert ep.outcome == "cheese"
        else:
            assert (ep.outcome, ep.final_cell) == ("shutdown", cell)
            assert ep.steps == step_distance(maze.walls, maze.start, cell)


@pytest.mark.parametrize("bad", [(0, 0), (2, 2), (9, 9), "cheese", "mouse"])
def test_bad_shutdown_cells_are_refused(bad):
    maze = parse_maze(CORRIDOR)
    cell = {"cheese": maze.cheese, "mouse": maze.mouse}.get(bad, bad)
    policy = Fixed(UNIFORM)
    with pytest.raises(ValueError, match="shutdown cell"):
        rollout(policy, [maze], shutdowns=[cell])
    assert policy.calls == 0


def test_procgen_buttons_are_recorded_as_compact_letters():
    played = mazes(5)
    only_right = np.zeros(15)
    only_right[6:9] = 1 / 3  # procgen's three RIGHT buttons
    for ep in rollout(Fixed(list(only_right)), played, seed=0, action_mode="procgen", max_steps=20):
        assert set(ep.action_string) == {"R"}


def test_rgb_observations_reach_the_policy():
    class Shape(Fixed):
        def distribution(self, obs):
            assert obs.shape[1:] == (64, 64, 3)
            return super().distribution(obs)

    assert len(rollout(Shape(UNIFORM), mazes(3), obs_mode="rgb", max_steps=5)) == 3


def test_episodes_replay_identically_in_the_native_vec_env():
    from cheesemaze.envs.native import NativeMazeVecEnv

    played = mazes(6)
    episodes = rollout(Fixed([0.3, 0.1, 0.1, 0.4, 0.1]), played, seed=4, max_steps=60)
    for maze, ep in zip(played, episodes):
        env = NativeMazeVecEnv(num_envs=1, world_size=15, max_steps=60)
        env.play([maze])
        env.reset()
        for k, letter in enumerate(ep.action_string):
            _, _, dones, infos = env.step(np.array([LETTERS[letter]]))
            assert dones[0] == (k == ep.steps - 1)
        assert (infos[0]["outcome"], infos[0]["steps"], tuple(infos[0]["final_cell"])) == (ep.outcome, ep.steps, ep.final_cell)
