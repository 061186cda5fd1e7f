"""Maze generation: procgen's invariants over 1,000 level seeds per mode, and input validation."""

from __future__ import annotations

import numpy as np
import pytest

from cheesemaze.envs.maze import MAX_WORLD_SIZE, Maze, generate_maze

N_SEEDS = 1000
WORLDS = (15, 25)  # procgen easy and hard
REGIONS = (None, 0, 1, 5)


def stack(mazes: list[Maze]) -> dict[str, np.ndarray]:
    """The mazes' fields as arrays over the batch, for vectorized checks."""
    return {
        "walls": np.stack([m.walls for m in mazes]),
        "size": np.array([m.size for m in mazes]),
        "offset": np.array([m.offset for m in mazes]),
        "mouse": np.array([m.mouse for m in mazes]),
        "cheese": np.array([m.cheese for m in mazes]),
    }


def reachable(open_: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """Flood fill of open cells from one source per maze, all mazes at once."""
    n = len(open_)
    reach = np.zeros_like(open_)
    reach[np.arange(n), sources[:, 0], sources[:, 1]] = True
    while True:
        grown = reach.copy()
        grown[:, 1:] |= reach[:, :-1]
        grown[:, :-1] |= reach[:, 1:]
        grown[:, :, 1:] |= reach[:, :, :-1]
        grown[:, :, :-1] |= reach[:, :, 1:]
        grown &= open_
        if np.array_equal(grown, reach):
            return reach
        reach = grown


@pytest.fixture(scope="module", params=[(w, r) for w in WORLDS for r in REGIONS], ids=lambda p: f"world{p[0]}-region{p[1]}")
def batch(request):
    world, region = request.param
    return world, region, stack([generate_maze(seed, world, region) for seed in range(N_SEEDS)])


def maze_relative(batch_: dict[str, np.ndarray], world: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per maze: row and column indices relative to the maze's corner, and a mask of the maze square."""
    idx = np.arange(world)
    rel = idx[None, :] - batch_["offset"][:, None]  # (n, W)
    inside_1d = (rel >= 0) & (rel < batch_["size"][:, None])
    inside = inside_1d[:, :, None] & inside_1d[:, None, :]
    return rel[:, :, None], rel[:, None, :], inside


def test_sizes_are_odd_centred_and_cover_the_range(batch):
    world, _, b = batch
    sizes = b["size"]
    assert set(sizes) == set(range(3, world + 1, 2))
    counts = np.bincount(sizes)[3::2]
    expected = N_SEEDS / len(counts)
    assert counts.min() > 0.6 * expected and counts.max() < 1.4 * expected, counts
    assert np.array_equal(b["offset"], (world - sizes) // 2)


def test_outside_of_the_maze_is_wall_and_parity_holds(batch):
    world, _, b = batch
    rows, cols, inside = maze_relative(b, world)
    walls = b["walls"]
    assert walls[~inside].all()
    both_even = inside & (rows % 2 == 0) & (cols % 2 == 0)
    both_odd = inside & (rows % 2 == 1) & (cols % 2 == 1)
    assert not walls[both_even].any()
    assert walls[both_odd].all()


def test_open_cells_form_a_tree(batch):
    _, _, b = batch
    open_ = ~b["walls"]
    nodes = open_.sum(axis=(1, 2))
    edges = (open_[:, 1:] & open_[:, :-1]).sum(axis=(1, 2)) + (open_[:, :, 1:] & open_[:, :, :-1]).sum(axis=(1, 2))
    assert np.array_equal(edges, nodes - 1)
    assert np.array_equal(reachable(open_, b["mouse"]), open_)


def test_mouse_at_bottom_left_and_cheese_free_elsewhere(batch):
    world, region, b = batch
    offset, size = b["offset"], b["size"]
    assert np.array_equal(b["mouse"], np.stack([offset + size - 1, offset], axis=1))
    n = np.arange(N_SEEDS)
    cheese_r, cheese_c = b["cheese"][:, 0], b["cheese"][:, 1]
    assert not b["walls"][n, cheese_r, cheese_c].any()
    assert ((cheese_r != b["mouse"][:, 0]) | (cheese_c != b["mouse"][:, 1])).all()
    if region is None:
        # Stock procgen: anywhere in the maze, so across 1,000 levels well beyond any corner.
        assert ((cheese_r - offset) > size // 2).any() and ((cheese_c - offset) < size // 2).any()
        return
    side = np.minimum(max(region, 1), size)
    assert (cheese_r >= offset).all() and (cheese_r < offset + side).all()
    assert (cheese_c >= offset + size - side).all() and (cheese_c < offset + size).all()
    if region > 1:
        # Not only the corner: the cheese uses the square.
        assert ((cheese_r != offset) | (cheese_c != offset + size - 1)).any()


@pytest.mark.parametrize("world", WORLDS)
def test_same_layout_for_every_region(world):
    for seed in range(200):
        mazes = [generate_maze(seed, world, region) for region in REGIONS]
        for m in mazes[1:]:
            assert np.array_equal(m.walls, mazes[0].walls) and m.size == mazes[0].size
            assert m.mouse == mazes[0].mouse


def test_region_zero_and_one_put_the_cheese_on_the_top_right_cell():
    for seed in range(50):
        for region in (0, 1):
            m = generate_maze(seed, 25, region)
            assert m.cheese == m.top_right


def test_a_pure_function_of_its_arguments():
    assert generate_maze(123, 25, 5) == generate_maze(123, 25, 5)
    assert generate_maze(123, 25, 5).level_seed == 123
    assert len({generate_maze(s, 25, None) for s in range(50)}) == 50


@pytest.mark.parametrize("world", [14, 2, 1, 0, -3, MAX_WORLD_SIZE + 2, 15.0, "15", True])
def test_bad_world_size_is_rejected_naming_what_is_allowed(world):
    with pytest.raises(ValueError, match=rf"world_size must be an odd integer from 3 to {MAX_WORLD_SIZE}"):
        generate_maze(0, world)


@pytest.mark.parametrize("region", [-1, 16, 2.5, "5"])
def test_bad_region_is_rejected_naming_what_is_allowed(region):
    with pytest.raises(ValueError, match=r"region must be None \(cheese anywhere\) or an integer from 0 to the world size 15"):
        generate_maze(0, 15, region)


@pytest.mark.parametrize("seed", [-1, 1.5, None])
def test_bad_level_seed_is_rejected(seed):
    with pytest.raises(ValueError, match="level_seed must be a non-negative integer"):
        generate_maze(seed, 15)


def test_maze_value_object_checks_its_fields():
    m = generate_maze(0, 15, None)
    with pytest.raises(ValueError, match="cheese cell .* is a wall"):
        m.with_cheese((0, 0))
    with pytest.raises(ValueError, match="mouse cell .* outside the 15x15 world"):
        m.with_mouse((15, 3))
    with pytest.raises(ValueError, match="maze size must be an odd integer from 1 to the world size 15"):
        Maze(m.walls, m.mouse, m.cheese, 4)
    with pytest.raises(ValueError, match="walls must be a square 2-D grid"):
        Maze(m.walls[:, :-1], m.mouse, m.cheese, m.size)
    assert not m.walls.flags.writeable
