"""Mazes in JSON files.

A maze file holds one maze or several, always as a list::

    {"format": "cheesemaze-mazes", "version": 1,
     "mazes": [{"walls": ["#####", "#...#", ...], "mouse": [3, 1], "cheese": [1, 3],
                "size": 3, "level_seed": 12}]}

``walls`` has one string per world row, ``#`` for a wall and ``.`` for open floor, so a file can be
read (and edited) by a person; cells are ``[row, col]`` with row 0 on top.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from cheesemaze.envs.files import write_atomic
from cheesemaze.envs.maze import Maze
from cheesemaze.envs.text import OPEN_CHAR, WALL_CHAR

FORMAT = "cheesemaze-mazes"
VERSION = 1
MAZE_FIELDS = ("walls", "mouse", "cheese", "size", "level_seed")


def maze_to_dict(maze: Maze) -> dict[str, Any]:
    """The JSON-ready record of one maze."""
    rows = np.where(maze.walls, WALL_CHAR, OPEN_CHAR)
    return {
        "walls": ["".join(row) for row in rows],
        "mouse": list(maze.mouse),
        "cheese": list(maze.cheese),
        "size": maze.size,
        "level_seed": maze.level_seed,
    }


def maze_from_dict(record: Any) -> Maze:
    """The maze a record describes; ``ValueError`` naming the missing or malformed field."""
    if not isinstance(record, dict):
        raise ValueError(
            f"a maze must be a JSON object with fields {', '.join(MAZE_FIELDS)}; got {type(record).__name__}"
        )
    missing = [name for name in MAZE_FIELDS if name not in record]
    if missing:
        raise ValueError(f"maze misses field(s) {', '.join(missing)}; a maze has {', '.join(MAZE_FIELDS)}")
    rows = record["walls"]
    if not isinstance(rows, list) or not rows or not all(isinstance(row, str) for row in rows):
        raise ValueError("field 'walls' must be a non-empty list of strings, one per world row")
    if any(set(row) - {WALL_CHAR, OPEN_CHAR} for row in rows):
        raise ValueError(f"field 'walls' may hold only '{WALL_CHAR}' (wall) and '{OPEN_CHAR}' (open)")
    if len({len(row) for row in rows}) > 1:
        raise ValueError("field 'walls' has rows of different lengths")
    for name in ("mouse", "cheese"):
        cell = record[name]
        if not (isinstance(cell, list) and len(cell) == 2 and all(type(v) is int for v in cell)):
            raise ValueError(f"field '{name}' must be a [row, col] pair of integers; got {cell!r}")
    if type(record["size"]) is not int:
        raise ValueError(f"field 'size' must be an integer; got {record['size']!r}")
    level_seed = record["level_seed"]
    if level_seed is not None and type(level_seed) is not int:
        raise ValueError(f"field 'level_seed' must be an integer or null; got {level_seed!r}")
    walls = np.array([[ch == WALL_CHAR for ch in row] for row in rows], dtype=bool)
    return Maze(walls, tuple(record["mouse"]), tuple(record["cheese"]), record["size"], level_seed)


def save_mazes(path: str | os.PathLike, mazes: Maze | Sequence[Maze]) -> None:
    """Write one maze or a list of mazes to a JSON file (atomically)."""
    if isinstance(mazes, Maze):
        mazes = [mazes]
    document = {"format": FORMAT, "version": VERSION, "mazes": [maze_to_dict(m) for m in mazes]}
    # One wall row per line keeps the file readable by a person.
    write_atomic(path, json.dumps(document, indent=1) + "\n")


def load_mazes(path: str | os.PathLike) -> list[Maze]:
    """All mazes of a file written by :func:`save_mazes`.

    Raises ``ValueError`` (naming the file and, where it applies, the maze's index) when the file is
    not JSON, is not a maze file, comes from a newer version, or holds a malformed maze.
    """
    text = Path(path).read_text()
    try:
        document = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{path}: not a maze file (expected a JSON object with \"format\": \"{FORMAT}\")")
    version = document.get("version")
    if version != VERSION:
        raise ValueError(
            f"{path}: maze file version {version!r} is not supported; this code reads version {VERSION}"
        )
    records = document.get("mazes")
    if not isinstance(records, list):
        raise ValueError(f"{path}: field 'mazes' must be a list of mazes")
    mazes = []
    for i, record in enumerate(records):
        try:
            mazes.append(maze_from_dict(record))
        except ValueError as e:
            raise ValueError(f"{path}: maze {i}: {e}") from None
    return mazes


def load_maze(path: str | os.PathLike) -> Maze:
    """The single maze of a file; ``ValueError`` if it holds none or several (use :func:`load_mazes`)."""
    mazes = load_mazes(path)
    if len(mazes) != 1:
        raise ValueError(f"{path}: holds {len(mazes)} mazes, not one; use load_mazes to read them all")
    return mazes[0]
