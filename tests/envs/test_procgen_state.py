"""procgen maze state bytes: byte-exact round trips, the maze a state holds, writing a maze back
(checked against procgen's own frames and rules), and clear errors for corrupt or truncated bytes."""

from __future__ import annotations

import math
import pickle
import re
import subprocess
import sys
import textwrap
from types import SimpleNamespace

import numpy as np
import pytest
from procgen import ProcgenGym3Env
from procgen_support import MONOCHROME, assert_frame_shows, path_actions

from cheesemaze.envs.maze import generate_maze
from cheesemaze.envs.procgen_env import ProcgenStates
from cheesemaze.envs.procgen_state import (
    GOAL,
    ProcgenState,
    parse_state,
    to_maze,
    with_maze,
)

WORLDS = {"easy": 15, "hard": 25}


def make_env(mode: str, num: int = 4, seed: int = 0) -> ProcgenGym3Env:
    return ProcgenGym3Env(num=num, env_name="maze", distribution_mode=mode, rand_seed=seed,
                          **MONOCHROME)


def raw_bytes(state: ProcgenState, entities=None, grid=None, **values) -> bytes:
    """Serialize fields without the checks a ProcgenState runs, to make corrupt states."""
    fake = SimpleNamespace(
        values={**state.values, **values},
        entities=state.entities if entities is None else entities,
        grid=state.grid if grid is None else grid,
    )
    return ProcgenState.to_bytes(fake)


@pytest.fixture(scope="module")
def hard_states() -> list[bytes]:
    """Fresh and mid-episode states of the hard maze."""
    env = make_env("hard", num=4)
    states = env.callmethod("get_state")
    rng = np.random.default_rng(0)
    for _ in range(30):
        env.act(rng.integers(0, 15, size=4).astype(np.int32))
    return states + env.callmethod("get_state")


@pytest.mark.parametrize("mode", WORLDS)
def test_round_trip_is_byte_exact(mode):
    env = make_env(mode, num=6, seed=1)
    rng = np.random.default_rng(1)
    for _ in range(5):
        for data in env.callmethod("get_state"):
            state = parse_state(data)
            assert state.to_bytes() == data
            assert parse_state(state.to_bytes()).values == state.values
        for _ in range(7):
            env.act(rng.integers(0, 15, size=6).astype(np.int32))


@pytest.mark.parametrize("mode", WORLDS)
def test_maze_is_what_procgen_draws(mode):
    env = make_env(mode, num=6, seed=2)
    _, obs, _ = env.observe()
    infos = env.get_info()
    for i, data in enumerate(env.callmethod("get_state")):
        maze = to_maze(parse_state(data))
        assert maze.world_size == WORLDS[mode]
        assert maze.mouse == maze.start  # procgen starts the mouse bottom-left
        assert maze.level_seed == infos[i]["level_seed"]
        assert_frame_shows(obs["rgb"][i], maze)


def test_written_maze_is_what_procgen_shows_and_plays():
    env = make_env("hard", num=3, seed=3)
    states = ProcgenStates(env)
    mazes = [generate_maze(seed, 25, region) for seed, region in ((11, None), (12, 5), (13, 0))]
    for i, maze in enumerate(mazes):
        states.set(i, with_maze(states.get(i), maze))
    _, obs, _ = env.observe()
    for i, maze in enumerate(mazes):
        assert_frame_shows(obs["rgb"][i], maze)
        assert to_maze(states.get(i)) == maze
    # procgen's own rules on the written maze: the shortest path ends on the cheese with 10.
    plans = [path_actions(m, m.mouse, m.cheese) for m in mazes]
    for t in range(max(map(len, plans))):
        env.act(np.array([p[t] if t < len(p) else 4 for p in plans], dtype=np.int32))
        rew, _, first = env.observe()
        for i, plan in enumerate(plans):
            if t == len(plan) - 1:
                assert (rew[i], first[i]) == (10.0, 1)
            elif t < len(plan) - 1:
                assert (rew[i], first[i]) == (0.0, 0)


def test_mouse_written_anywhere_is_drawn_there():
    env = make_env("easy", num=1, seed=4)
    states = ProcgenStates(env)
    maze = to_maze(states.get(0))
    free = [tuple(c) for c in maze.free_cells() if tuple(c) != maze.cheese]
    for cell in free[:: max(1, len(free) // 6)]:
        moved = maze.with_mouse(cell)
        states.set(0, with_maze(states.get(0), moved))
        assert_frame_shows(env.observe()[1]["rgb"][0], moved)


def test_every_truncation_is_a_value_error(hard_states):
    data = hard_states[0]
    for cut in list(range(0, 200)) + list(range(200, len(data), 97)) + [len(data) - 1]:
        with pytest.raises(ValueError, match="procgen state"):
            parse_state(data[:cut])


def test_non_bytes_and_trailing_bytes_are_value_errors(hard_states):
    with pytest.raises(ValueError, match="bytes"):
        parse_state("not bytes")
    with pytest.raises(ValueError, match="after its end"):
        parse_state(hard_states[0] + b"\x00")


CORRUPTIONS = {  # name: (fields to overwrite, given the state; what the error must name)
    "serialize version": (lambda s: {"serialize_version": 1}, "serialize version"),
    "another game": (lambda s: {"game_name": b"coinrun"}, "coinrun"),
    "stepping flag": (lambda s: {"is_waiting_for_step": 1}, "is_waiting_for_step"),
    "generated assets": (lambda s: {"use_generated_assets": 1}, "use_generated_assets"),
    "own background": (lambda s: {"use_procgen_background": 1}, "use_procgen_background"),
    "centred view": (lambda s: {"center_agent": 1}, "center_agent"),
    "background index": (lambda s: {"background_index": 9}, "background_index"),
    "memory mode": (lambda s: {"distribution_mode": 10}, "distribution mode"),
    "world side": (lambda s: {"world_dim": 23}, "world sides"),
    "grid size": (lambda s: {"grid_size": 3}, "world sides"),
    "not a number": (lambda s: {"unit": math.nan}, "unit"),
    "infinite": (lambda s: {"bg_pct_x": math.inf}, "bg_pct_x"),
    "empty level range": (lambda s: {"level_seed_low": 5, "level_seed_high": 5}, "level seed range"),
    "unseeded generator": (lambda s: {"rand_gen": (0, s.values["rand_gen"][1])}, "not seeded"),
    "garbled generator": (lambda s: {"rand_gen": (1, b"1 2 3")}, "garbled"),
}


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_corrupt_fields_are_value_errors(hard_states, name):
    state = parse_state(hard_states[0])
    values, message = CORRUPTIONS[name]
    with pytest.raises(ValueError, match=message):
        parse_state(raw_bytes(state, **values(state)))


@pytest.mark.parametrize(
    "entity, message",
    [
        ({"type": 3}, "type"),
        ({"image_theme": 4}, "image_theme"),
        ({"x": -3.0}, "off the world"),
        ({"y": math.inf}, "not a finite"),
        ({"rx": 20.0}, "rx"),
        ({"grow_rate": 1.5}, "grow_rate"),
    ],
)
def test_corrupt_mouse_is_a_value_error(hard_states, entity, message):
    state = parse_state(hard_states[0])
    with pytest.raises(ValueError, match=message):
        parse_state(raw_bytes(state, entities=({**state.agent, **entity},)))


def test_corrupt_entities_grid_and_marker_are_value_errors(hard_states):
    state = parse_state(hard_states[0])
    with pytest.raises(ValueError, match="exactly one entity"):
        parse_state(raw_bytes(state, entities=()))
    with pytest.raises(ValueError, match="exactly one entity"):
        parse_state(raw_bytes(state, entities=(state.agent, state.agent)))
    with pytest.raises(ValueError, match="grid holds objects"):
        parse_state(raw_bytes(state, grid=np.where(state.grid == GOAL, 7, state.grid)))
    data = bytearray(state.to_bytes())
    data[-4:] = b"\x00\x00\x00\x00"
    with pytest.raises(ValueError, match="end-of-buffer"):
        parse_state(bytes(data))
    count_at = len(data) - 4 * (625 + 3 + 1)  # grid count: before the cells, maze fields, marker
    data = bytearray(state.to_bytes())
    data[count_at : count_at + 4] = (2**30).to_bytes(4, "little")
    with pytest.raises(ValueError, match="grid cells"):
        parse_state(bytes(data))


def test_a_checked_state_cannot_be_edited_in_place(hard_states):
    state = parse_state(hard_states[0])
    with pytest.raises(TypeError):
        state.values["is_waiting_for_step"] = 1
    with pytest.raises(TypeError):
        state.agent["rx"] = 9.0
    with pytest.raises(ValueError, match="read-only"):
        state.grid[0, 0] = 7


def test_maze_conversion_errors(hard_states):
    state = parse_state(hard_states[0])
    two_cheeses = state.grid.copy()
    two_cheeses[np.argwhere(state.grid == 100)[0][0], np.argwhere(state.grid == 100)[0][1]] = GOAL
    with pytest.raises(ValueError, match="one cheese"):
        to_maze(state.replace(grid=two_cheeses))
    with pytest.raises(ValueError, match="world is 25x25"):
        with_maze(state, generate_maze(0, 15))
    with pytest.raises(ValueError, match="unknown procgen state fields"):
        state.replace(no_such_field=1)


CHILD = textwrap.dedent(
    """
    import pickle, sys
    import numpy as np
    from procgen import ProcgenGym3Env
    states = pickle.load(open(sys.argv[1], "rb"))
    env = ProcgenGym3Env(num=1, env_name="maze", distribution_mode="hard", rand_seed=0)
    rng = np.random.default_rng(0)
    for data in states:
        env.callmethod("set_state", [data])
        for _ in range(10):
            env.act(rng.integers(-1, 15, size=1).astype(np.int32))
            env.observe()
        env.callmethod("get_state")
    print("survived", len(states))
    """
)


@pytest.mark.slow
def test_corrupt_states_that_parse_never_crash_procgen(hard_states, tmp_path):
    # Overwrite random 4-byte words outside the generator texts; whatever still parses must load
    # and step in procgen (in a child process, so an exit would show as a failure, not kill pytest).
    rng = np.random.default_rng(5)
    accepted, rejected = [], 0
    for k in range(600):
        data = bytearray(hard_states[k % len(hard_states)])
        texts = [m.span() for m in re.finditer(rb"[0-9 ]{1000,}", bytes(data))]
        while True:
            pos = int(rng.integers(len(data) - 3))
            if not any(a - 4 < pos < b for a, b in texts):
                break
        value = int(rng.choice([0, 1, -1, 9, 2**31 - 1, 0x7F800000, 0x7FC00000, 0x3F000000,
                                int(rng.integers(-(2**31), 2**31))]))
        data[pos : pos + 4] = value.to_bytes(4, "little", signed=True)
        try:
            parse_state(bytes(data))
            accepted.append(bytes(data))
        except ValueError:
            rejected += 1
    assert accepted and rejected  # both kinds occur, so the check below means something
    path = tmp_path / "states.pkl"
    path.write_bytes(pickle.dumps(accepted))
    done = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert f"survived {len(accepted)}" in done.stdout
