"""Mazes as ASCII text: one character per world cell, row 0 on top.

The text is the whole world (a square of odd side): ``#`` wall, ``.`` open floor, ``M`` the mouse,
``C`` the cheese. The mouse never starts on the cheese, so there is no character for both. For
example a 7x7 world holding a 5x5 maze::

    #######
    #....C#
    #.###.#
    #...#.#
    ###.#.#
    #M....#
    #######

The maze's size and placement are read from the open cells: their bounding box must be a centred
square of odd side, as in every generated maze. A hand-drawn maze whose open cells do not span such
a square (a short corridor, say) is parsed with an explicit ``size``.
"""

from __future__ import annotations

import textwrap

import numpy as np

from cheesemaze.envs.maze import MAX_WORLD_SIZE, Cell, Maze

WALL_CHAR = "#"
OPEN_CHAR = "."
MOUSE_CHAR = "M"
CHEESE_CHAR = "C"
ALPHABET = f"'{WALL_CHAR}' wall, '{OPEN_CHAR}' open, '{MOUSE_CHAR}' mouse, '{CHEESE_CHAR}' cheese"


def format_maze(maze: Maze) -> str:
    """The maze as ASCII lines joined by newlines (no trailing newline); inverse of :func:`parse_maze`."""
    if maze.mouse == maze.cheese:
        raise ValueError(f"the mouse stands on the cheese at {maze.cheese}; ASCII cannot show both")
    chars = np.where(maze.walls, WALL_CHAR, OPEN_CHAR)
    chars[maze.mouse] = MOUSE_CHAR
    chars[maze.cheese] = CHEESE_CHAR
    return "\n".join("".join(row) for row in chars)


def parse_maze(text: str, size: int | None = None, level_seed: int | None = None) -> Maze:
    """Read a maze drawn in ASCII (see the module docstring).

    Leading and trailing blank lines and common indentation are ignored. ``size`` gives the maze's
    side when it cannot be inferred from the open cells; ``level_seed`` is recorded on the maze.
    Raises ``ValueError`` naming the problem: ragged or non-square rows, an even or out-of-range
    world side, unknown characters, not exactly one mouse and one cheese, or open cells (the cheese
    included) outside the maze square.
    """
    chars = _char_grid(text)
    world = chars.shape[0]
    mouse = _single(chars, MOUSE_CHAR, "mouse")
    cheese = _single(chars, CHEESE_CHAR, "cheese")
    walls = chars == WALL_CHAR
    if size is None:
        size = _inferred_size(walls)
    elif not isinstance(size, (int, np.integer)) or size % 2 == 0 or not 1 <= size <= world:
        raise ValueError(f"size must be an odd integer from 1 to the world side {world}; got {size!r}")
    offset = (world - size) // 2
    inside = np.zeros_like(walls)
    inside[offset : offset + size, offset : offset + size] = True
    if not inside[cheese]:
        raise ValueError(
            f"the cheese at {cheese} lies in the wall around the {size}x{size} maze "
            f"(rows and columns {offset}..{offset + size - 1})"
        )
    outside = np.argwhere(~walls & ~inside)
    if len(outside):
        raise ValueError(
            f"open cell {tuple(int(v) for v in outside[0])} lies outside the {size}x{size} maze "
            f"(rows and columns {offset}..{offset + size - 1}); everything around the maze is wall"
        )
    return Maze(walls, mouse, cheese, int(size), level_seed)


def _char_grid(text: str) -> np.ndarray:
    """The text as a square array of single characters, after checking its shape and alphabet."""
    lines = [line.rstrip() for line in textwrap.dedent(text).strip("\n").split("\n")]
    if not lines or lines == [""]:
        raise ValueError("the ASCII maze is empty")
    world = len(lines)
    for r, line in enumerate(lines):
        if len(line) != world:
            raise ValueError(
                f"the world must be square: {world} rows, but row {r} has {len(line)} characters"
            )
        for c, ch in enumerate(line):
            if ch not in (WALL_CHAR, OPEN_CHAR, MOUSE_CHAR, CHEESE_CHAR):
                raise ValueError(f"unknown character {ch!r} at row {r}, column {c}; use {ALPHABET}")
    if world % 2 == 0 or not 3 <= world <= MAX_WORLD_SIZE:
        raise ValueError(
            f"the world is {world}x{world}; its side must be odd and from 3 to {MAX_WORLD_SIZE}"
        )
    return np.array([list(line) for line in lines])


def _single(chars: np.ndarray, char: str, name: str) -> Cell:
    """The one cell holding ``char``; ``ValueError`` if there is none or more than one."""
    cells = [(int(r), int(c)) for r, c in np.argwhere(chars == char)]
    if len(cells) != 1:
        where = f" at {', '.join(map(str, cells))}" if cells else ""
        raise ValueError(f"the maze needs exactly one {name} ('{char}'); found {len(cells)}{where}")
    return cells[0]


def _inferred_size(walls: np.ndarray) -> int:
    """The maze side read off the open cells' bounding box, which must be a centred odd square."""
    world = walls.shape[0]
    rows = np.flatnonzero((~walls).any(axis=1))
    cols = np.flatnonzero((~walls).any(axis=0))
    top, bottom, left, right = rows[0], rows[-1], cols[0], cols[-1]
    size = bottom - top + 1
    if not (top == left == world - 1 - bottom == world - 1 - right and size % 2 == 1):
        raise ValueError(
            f"cannot infer the maze size: the open cells span rows {top}..{bottom} and columns "
            f"{left}..{right}, not a centred square of odd side in the {world}x{world} world; "
            f"pass size= explicitly"
        )
    return int(size)
