"""The RGB frame: the whole world scaled to 64x64, one flat colour per cell kind."""

from __future__ import annotations

import hand_mazes as hm
import numpy as np
import pytest

from cheesemaze.envs.gym_env import CheeseMazeEnv
from cheesemaze.envs.maze import generate_maze
from cheesemaze.envs.render import PALETTE, RGB_SIZE, grid_to_rgb
from cheesemaze.envs.text import parse_maze

FLOOR, WALL_COLOUR, CHEESE_COLOUR, MOUSE_COLOUR = (tuple(int(v) for v in c) for c in PALETTE)


def expected_frame(maze) -> np.ndarray:
    """Pixel by pixel: pixel (y, x) shows cell (y * W // 64, x * W // 64)."""
    world = maze.world_size
    frame = np.zeros((RGB_SIZE, RGB_SIZE, 3), dtype=np.uint8)
    for y in range(RGB_SIZE):
        for x in range(RGB_SIZE):
            cell = (y * world // RGB_SIZE, x * world // RGB_SIZE)
            colour = MOUSE_COLOUR if cell == maze.mouse else CHEESE_COLOUR if cell == maze.cheese else (
                WALL_COLOUR if maze.walls[cell] else FLOOR)
            frame[y, x] = colour
    return frame


@pytest.mark.parametrize("maze", [parse_maze(hm.TINY), parse_maze(hm.DETOUR), generate_maze(3, 25, 5),
                                  generate_maze(8, 15, None)], ids=["tiny", "detour", "hard", "easy"])
def test_each_pixel_shows_its_cell(maze):
    env = CheeseMazeEnv(world_size=maze.world_size, obs_mode="rgb")
    frame, _ = env.reset(options={"maze": maze})
    assert frame.flags["C_CONTIGUOUS"]
    assert np.array_equal(frame, expected_frame(maze))


def test_mouse_is_drawn_over_the_cheese():
    maze = parse_maze(hm.TINY)
    grid = np.zeros((1, 3, 5, 5), dtype=np.uint8)
    grid[0, 1][maze.cheese] = grid[0, 2][maze.cheese] = 1
    frame = grid_to_rgb(grid)[0]
    y, x = (maze.cheese[0] * RGB_SIZE + RGB_SIZE // 2) // 5, (maze.cheese[1] * RGB_SIZE + RGB_SIZE // 2) // 5
    assert tuple(frame[y, x]) == MOUSE_COLOUR
