"""ASCII mazes: round trips, size inference, and every parse error."""

from __future__ import annotations

import hand_mazes as hm
import numpy as np
import pytest

from cheesemaze.envs.maze import generate_maze
from cheesemaze.envs.text import format_maze, parse_maze


@pytest.mark.parametrize("world", [3, 15, 25])
@pytest.mark.parametrize("region", [None, 0, 3])
def test_generated_mazes_round_trip(world, region):
    for seed in range(100):
        maze = generate_maze(seed, world, region)
        assert parse_maze(format_maze(maze), level_seed=seed) == maze


def test_hand_drawn_maze_reads_as_drawn():
    maze = parse_maze(hm.TINY)
    assert maze.world_size == 5 and maze.size == 3 and maze.offset == 1
    assert maze.mouse == (3, 1) == maze.start
    assert maze.cheese == (1, 3) == maze.top_right
    assert maze.walls.sum() == 25 - 7
    assert format_maze(maze) == hm.TINY.strip()


def test_indented_text_and_surrounding_blank_lines_are_ignored():
    indented = "\n\n" + "\n".join("    " + line for line in hm.TINY.strip().split("\n")) + "\n\n"
    assert parse_maze(indented) == parse_maze(hm.TINY)


def test_explicit_size_for_a_maze_that_does_not_span_a_square():
    with pytest.raises(ValueError, match=r"cannot infer the maze size.*pass size= explicitly"):
        parse_maze(hm.CORRIDOR)
    maze = parse_maze(hm.CORRIDOR, size=hm.CORRIDOR_SIZE)
    assert maze.size == hm.CORRIDOR_SIZE and maze.offset == 1
    assert maze.mouse == (3, 1) and maze.cheese == (3, 4)
    assert format_maze(maze) == hm.CORRIDOR.strip()


def test_mouse_on_the_cheese_cannot_be_written():
    maze = parse_maze(hm.TINY)
    with pytest.raises(ValueError, match="mouse stands on the cheese"):
        format_maze(maze.with_mouse(maze.cheese))


def replace(text: str, row: int, col: int, char: str) -> str:
    lines = text.strip().split("\n")
    lines[row] = lines[row][:col] + char + lines[row][col + 1 :]
    return "\n".join(lines)


@pytest.mark.parametrize(
    "text, kwargs, message",
    [
        (hm.TINY.replace("M", "."), {}, r"exactly one mouse \('M'\); found 0"),
        (replace(hm.TINY, 1, 1, "M"), {}, r"exactly one mouse \('M'\); found 2 at \(1, 1\), \(3, 1\)"),
        (hm.TINY.replace("C", "."), {}, r"exactly one cheese \('C'\); found 0"),
        (replace(hm.TINY, 1, 2, "C"), {}, r"exactly one cheese \('C'\); found 2"),
        (replace(hm.TINY, 1, 2, "x"), {}, r"unknown character 'x' at row 1, column 2; use '#' wall"),
        (replace(hm.TINY, 1, 2, " "), {}, r"unknown character ' ' at row 1, column 2"),
        (hm.TINY.strip() + "\n#####", {}, r"must be square: 6 rows, but row 0 has 5 characters"),
        (hm.TINY.replace("#M..#", "#M..##"), {}, r"must be square: 5 rows, but row 3 has 6"),
        ("####\n#MC#\n#..#\n####", {}, r"the world is 4x4; its side must be odd and from 3 to 63"),
        ("", {}, "the ASCII maze is empty"),
        (hm.CORRIDOR.replace("C#", ".C"), {"size": 3}, r"the cheese at \(3, 5\) lies in the wall around the 3x3 maze"),
        (hm.CORRIDOR, {"size": 3}, r"open cell \(3, 1\) lies outside the 3x3 maze \(rows and columns 2..4\)"),
        (hm.CORRIDOR, {"size": 4}, "size must be an odd integer from 1 to the world side 7"),
        (hm.TINY, {"size": 7}, "size must be an odd integer from 1 to the world side 5"),
    ],
)
def test_parse_errors_name_the_problem(text, kwargs, message):
    with pytest.raises(ValueError, match=message):
        parse_maze(text, **kwargs)


def test_parsed_walls_are_exactly_the_hash_cells():
    maze = parse_maze(hm.DETOUR)
    rows = [line for line in hm.DETOUR.strip().split("\n")]
    assert np.array_equal(maze.walls, np.array([[ch == "#" for ch in row] for row in rows]))
