"""Cross-backend equivalence: the same procgen buttons on the same mazes give the same mouse cells,
rewards and endings in stock procgen (read from its game state every step) and in the native env.

Two directions: procgen draws its own levels (cheese relocated) and the native env plays them as
imported mazes; and native mazes are played in procgen. Each maze plays one episode, under a policy
mixing shortest-path moves with random buttons (some slots purely random, to reach timeouts).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from procgen_support import MONOCHROME, path_actions

from cheesemaze.envs.maze import WORLD_SIZES, Maze, generate_maze
from cheesemaze.envs.native import NativeMazeVecEnv
from cheesemaze.envs.procgen_env import ProcgenMazeVecEnv
from cheesemaze.envs.procgen_layout import procgen_maze
from cheesemaze.envs.procgen_state import to_maze

NOOP = 4
GREED = (1.0, 0.9, 0.6, 0.0)  # per slot, cycled: chance of a shortest-path move over a random button
COMPARED_INFO = ("outcome", "steps", "final_cell", "level_seed", "TimeLimit.truncated", "episode")


def native_for(mazes: list[Maze], world: int) -> NativeMazeVecEnv:
    env = NativeMazeVecEnv(len(mazes), world, region=None, action_mode="procgen", outcome_region=5)
    env.play(mazes)
    env.reset()
    return env


def play_one_episode_each(procgen: ProcgenMazeVecEnv, native: NativeMazeVecEnv, seed: int) -> Counter:
    """Step both envs with the same buttons until every slot has ended one episode; compare the
    procgen mouse (parsed from procgen's state) with the native one after every step."""
    n = procgen.num_envs
    rng = np.random.default_rng(seed)
    finished = np.zeros(n, dtype=bool)
    counts: Counter = Counter()
    while not finished.all():
        actions = rng.integers(0, 15, size=n)
        for i, maze in enumerate(native.mazes):
            if finished[i]:
                actions[i] = NOOP
            elif maze.mouse != maze.cheese and rng.random() < GREED[i % len(GREED)]:
                actions[i] = path_actions(maze, maze.mouse, maze.cheese)[0]
        _, p_rewards, p_dones, p_infos = procgen.step(actions)
        _, n_rewards, n_dones, n_infos = native.step(actions)
        for i in np.flatnonzero(~finished):
            assert p_rewards[i] == n_rewards[i] and p_dones[i] == n_dones[i]
            if p_dones[i]:
                for key in COMPARED_INFO:
                    assert p_infos[i][key] == n_infos[i][key], key
                finished[i] = True
                counts["truncated" if p_infos[i]["TimeLimit.truncated"] else "terminated"] += 1
                counts["outcome " + p_infos[i]["outcome"]] += 1
            else:
                assert to_maze(procgen.states.get(i)).mouse == native.mazes[i].mouse
            counts["steps compared"] += 1
    counts["mazes"] += n
    return counts


def procgen_levels_in_native(mode: str, n: int, seed: int) -> Counter:
    """procgen draws and relocates; the native env plays the mazes read from procgen's states."""
    world = WORLD_SIZES[mode]
    procgen = ProcgenMazeVecEnv(n, mode, region=5, seed=seed, **MONOCHROME)
    procgen.reset()
    imported = [to_maze(procgen.states.get(i)) for i in range(n)]
    assert imported == [procgen_maze(m.level_seed, world, 5) for m in imported]
    counts = play_one_episode_each(procgen, native_for(imported, world), seed)
    procgen.close()
    return counts


def native_mazes_in_procgen(mode: str, n: int, seed: int) -> Counter:
    """Native mazes (cheese anywhere or in a corner region) played in procgen."""
    world = WORLD_SIZES[mode]
    mazes = [generate_maze(seed * 1000 + k, world, (None, 5, 1)[k % 3]) for k in range(n)]
    procgen = ProcgenMazeVecEnv(n, mode, region=None, seed=seed, **MONOCHROME)
    procgen.play(mazes)
    procgen.reset()
    counts = play_one_episode_each(procgen, native_for(mazes, world), seed)
    procgen.close()
    return counts


def test_backends_agree_on_a_few_mazes():
    counts = procgen_levels_in_native("easy", 8, seed=1) + native_mazes_in_procgen("easy", 8, seed=2)
    assert counts["mazes"] == 16 and counts["terminated"] > 0 and counts["truncated"] > 0


@pytest.mark.slow
def test_backends_agree_on_hundreds_of_mazes():
    counts = Counter()
    for seed in range(4):
        counts += procgen_levels_in_native("hard", 32, seed=10 + seed)
        counts += native_mazes_in_procgen("hard", 32, seed=20 + seed)
    counts += procgen_levels_in_native("easy", 32, seed=30) + native_mazes_in_procgen("easy", 32, seed=31)
    print(f"\ncross-backend equivalence: {dict(counts)}")
    assert counts["mazes"] == 320
    assert counts["terminated"] + counts["truncated"] == 320
    assert counts["terminated"] >= 100 and counts["truncated"] >= 20 and counts["outcome top_right"] > 0
