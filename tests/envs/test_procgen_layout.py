"""procgen's own layout for a level seed, reproduced without procgen: compared with procgen's game
states field by field, down to the random generator's state after the level was drawn."""

from __future__ import annotations

import numpy as np
import pytest
from procgen import ProcgenGym3Env

from cheesemaze.envs.maze import draw_cheese
from cheesemaze.envs.procgen_env import read_procgen_mazes
from cheesemaze.envs.procgen_layout import MersenneTwister, procgen_level, procgen_maze
from cheesemaze.envs.procgen_state import parse_state, to_maze

WORLDS = {"easy": 15, "hard": 25}


def test_mersenne_twister_is_the_cpp_standard_one():
    # The C++ standard requires the 10000th output of a default-seeded (5489) mt19937 to be this.
    rng = MersenneTwister(5489)
    outputs = [rng.next() for _ in range(10000)]
    assert outputs[0] == 3499211612 and outputs[-1] == 4123659995
    assert rng.draws == 10000


def generator_words(rng_text: bytes) -> list[int]:
    return [int(w) for w in rng_text.split()]


@pytest.mark.parametrize("mode", WORLDS)
def test_levels_match_procgen_states(mode):
    world = WORLDS[mode]
    env = ProcgenGym3Env(num=32, env_name="maze", distribution_mode=mode, rand_seed=7)
    checked = 0
    for _ in range(2):
        for data in env.callmethod("get_state"):
            state = parse_state(data)
            maze = to_maze(state)
            level = procgen_level(maze.level_seed, world)
            assert level.maze == maze
            assert level.background_index == state.values["background_index"]
            assert level.bg_pct_x == state.values["bg_pct_x"]
            # Same number of draws: the generator ends in the state procgen saved.
            replay = MersenneTwister(maze.level_seed)
            replay.bits.random_raw(level.draws)
            key = replay.bits.state["state"]
            assert generator_words(state.values["rand_gen"][1]) == [*key["key"].tolist(), key["pos"]]
            checked += 1
        env.act(np.full(32, -1, dtype=np.int32))  # every game moves on to a new level
    assert checked == 64


def test_chosen_level_seeds_match_procgen():
    seeds = [0, 1, 2, 997, 123456789, 2**31 - 2]
    assert read_procgen_mazes(seeds, "hard") == [procgen_maze(s, 25) for s in seeds]
    assert read_procgen_mazes(seeds[:2], "easy") == [procgen_maze(s, 15) for s in seeds[:2]]


@pytest.mark.parametrize("region", [0, 1, 5, 25])
def test_region_moves_only_the_cheese_by_the_native_rule(region):
    for seed in range(40):
        stock = procgen_maze(seed, 25)
        moved = procgen_maze(seed, 25, region)
        assert np.array_equal(moved.walls, stock.walls) and moved.mouse == stock.mouse
        assert moved.cheese == draw_cheese(stock.walls, stock.size, region, seed)
        assert moved.in_region(moved.cheese, region) and moved.cheese != moved.start


@pytest.mark.parametrize("seed", [-1, 2**31, 1.5, "3"])
def test_bad_level_seeds_are_value_errors(seed):
    with pytest.raises(ValueError, match="level seed"):
        procgen_level(seed)


def test_bad_world_and_region_are_value_errors():
    with pytest.raises(ValueError, match="world_size"):
        procgen_level(0, 16)
    with pytest.raises(ValueError, match="region"):
        procgen_maze(0, 25, 26)
