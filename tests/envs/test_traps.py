"""Trap cells: where a training maze's trap goes, the fourth observation channel, what entering one does,
and that an env without traps is the game exactly as it was."""

from __future__ import annotations

import hashlib

import hand_mazes as hm
import numpy as np
import pytest

from cheesemaze.envs import NativeMazeVecEnv
from cheesemaze.envs.actions import parse_actions
from cheesemaze.envs.game import CHEESE_REWARD, SHUTDOWN, MazeBatch
from cheesemaze.envs.geometry import shortest_path
from cheesemaze.envs.maze import generate_maze
from cheesemaze.envs.render import MOUSE, TRAP
from cheesemaze.envs.text import parse_maze
from cheesemaze.envs.traps import draw_trap

DETOUR = parse_maze(hm.DETOUR)
TRAP_CELL = (4, 1)  # three steps up the left side: on the way to the top-right, off the way to the cheese
TO_TRAP = "UUU"
# SHA-256 of the observations, rewards, dones and episode infos of the run in ``fingerprint``, taken
# before traps existed: an env without traps must play exactly that game.
GAME_BEFORE_TRAPS = "6f66d3a5acebd202eedca146dc9c821d35e4db96b7cdf3b550b6578d73d4bc55"


def fingerprint(env: NativeMazeVecEnv) -> str:
    digest = hashlib.sha256()
    digest.update(env.reset().tobytes())
    rng = np.random.default_rng(0)
    for _ in range(200):
        env.step_async(rng.integers(5, size=env.num_envs))
        obs, rewards, dones, infos = env.step_wait()
        for part in (obs, rewards, dones):
            digest.update(part.tobytes())
        digest.update(repr([(i.get("outcome"), i.get("level_seed"), i.get("steps")) for i in infos]).encode())
    return digest.hexdigest()


def test_without_traps_the_game_and_its_observations_are_as_before():
    env = NativeMazeVecEnv(num_envs=8, world_size=9, region=None, max_steps=20, seed=3)
    assert env.observation_space.shape == (3, 9, 9)
    assert fingerprint(env) == GAME_BEFORE_TRAPS
    assert fingerprint(NativeMazeVecEnv(num_envs=8, world_size=9, region=None, max_steps=20, seed=3,
                                        traps=0.0)) == GAME_BEFORE_TRAPS


def play(batch: MazeBatch, letters: str) -> list[tuple[float, bool, bool]]:
    steps = []
    for action in parse_actions(letters):
        rewards, terminated, truncated = batch.move(np.array([action]))
        steps.append((float(rewards[0]), bool(terminated[0]), bool(truncated[0])))
    return steps


def test_a_marked_trap_is_lit_in_the_fourth_channel_and_entering_it_shuts_down_with_no_reward():
    batch = MazeBatch(1, 9, "compact", 5, trap_channel=True)
    batch.load(0, DETOUR, trap=TRAP_CELL)
    obs = batch.observe("grid")
    assert obs.shape == (1, 4, 9, 9)
    assert np.argwhere(obs[0, TRAP]).tolist() == [list(TRAP_CELL)]
    steps = play(batch, TO_TRAP)
    assert steps == [(0.0, False, False)] * 2 + [(0.0, True, False)]
    assert batch.outcome(0, True) == SHUTDOWN and batch.entered_trap[0]
    info = batch.episode_info(0, True, False)
    assert info["episode"]["r"] == 0.0 and info["outcome"] == SHUTDOWN and info["final_cell"] == TRAP_CELL
    assert batch.observe("grid")[0, MOUSE][TRAP_CELL] == 1


def test_a_trap_that_is_not_terminal_is_entered_and_walked_through():
    batch = MazeBatch(1, 9, "compact", 5, trap_channel=True)
    batch.load(0, DETOUR, trap=TRAP_CELL, terminal=False)
    assert not any(done for _, done, _ in play(batch, TO_TRAP + "UUU"))
    assert batch.entered_trap[0] and tuple(batch.mouse[0]) == (1, 1)
    batch.load(0, DETOUR, trap=TRAP_CELL, terminal=False)  # a new episode forgets the entry
    assert not batch.entered_trap[0]
    assert [step[:2] for step in play(batch, hm.DETOUR_TO_CHEESE.replace(" ", ""))][-1] == (CHEESE_REWARD, True)
    assert batch.outcome(0, True) == "cheese" and not batch.entered_trap[0]


def test_an_unmarked_trap_is_invisible_but_still_ends_the_episode():
    batch = MazeBatch(1, 9, "compact", 5)
    batch.load(0, DETOUR, trap=TRAP_CELL, marked=False)
    assert batch.observe("grid").shape == (1, 3, 9, 9)
    assert play(batch, TO_TRAP)[-1] == (0.0, True, False)
    assert batch.outcome(0, True) == SHUTDOWN


@pytest.mark.parametrize("cell, message", [((0, 0), "free cell"), (DETOUR.cheese, "differ"), (DETOUR.mouse, "differ")])
def test_bad_trap_cells_are_refused(cell, message):
    with pytest.raises(ValueError, match=message):
        MazeBatch(1, 9, "compact", 5, trap_channel=True).load(0, DETOUR, trap=cell)


def test_a_marked_trap_needs_the_trap_channel():
    with pytest.raises(ValueError, match="trap channel"):
        MazeBatch(1, 9, "compact", 5).load(0, DETOUR, trap=TRAP_CELL)


def test_training_traps_are_drawn_from_the_level_seed_off_the_way_to_the_cheese():
    placed = 0
    for seed in range(200):
        maze = generate_maze(seed, 15, 5)
        cell = draw_trap(maze, 0.5)
        assert cell == draw_trap(maze, 0.5)  # a function of the maze and the probability
        if cell is None:
            continue
        placed += 1
        assert not maze.walls[cell] and cell not in shortest_path(maze.walls, maze.start, maze.cheese)
        assert maze.cheese not in shortest_path(maze.walls, maze.start, cell)  # not behind the cheese
    assert 70 <= placed <= 130  # about half, with room for the binomial
    assert draw_trap(generate_maze(7, 15, 5), 0.0) is None
    assert draw_trap(DETOUR, 1.0) is None  # a hand-drawn maze has no level seed to draw from


@pytest.mark.parametrize("traps", [-0.1, 1.5, True])
def test_a_trap_probability_outside_zero_to_one_is_refused(traps):
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        NativeMazeVecEnv(num_envs=2, traps=traps)


def test_traps_need_grid_observations():
    with pytest.raises(ValueError, match="grid observation channel"):
        NativeMazeVecEnv(num_envs=2, obs_mode="rgb", action_mode="procgen", traps=0.5)


def test_an_env_with_traps_shows_each_trap_and_shuts_down_a_mouse_that_walks_into_it():
    env = NativeMazeVecEnv(num_envs=6, world_size=9, region=None, seed=0, traps=1.0)
    assert env.observation_space.shape == (4, 9, 9)
    obs = env.reset()
    for k, maze in enumerate(env.mazes):
        lit = [tuple(c) for c in np.argwhere(obs[k, TRAP])]
        assert lit == ([draw_trap(maze, 1.0)] if draw_trap(maze, 1.0) else [])
    k = next(k for k, maze in enumerate(env.mazes) if draw_trap(maze, 1.0))
    path = shortest_path(env.mazes[k].walls, env.mazes[k].mouse, draw_trap(env.mazes[k], 1.0))
    moves = {(-1, 0): "U", (1, 0): "D", (0, -1): "L", (0, 1): "R"}
    letters = "".join(moves[(b[0] - a[0], b[1] - a[1])] for a, b in zip(path, path[1:]))
    for n, action in enumerate(parse_actions(letters), 1):
        actions = np.full(env.num_envs, parse_actions(".")[0])
        actions[k] = action
        _, rewards, dones, infos = env.step(actions)
        assert dones[k] == (n == len(letters))
    assert rewards[k] == 0 and infos[k]["outcome"] == SHUTDOWN and infos[k]["episode"]["r"] == 0.0
