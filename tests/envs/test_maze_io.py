"""Maze files: JSON round trips, and clear errors for bad files."""

from __future__ import annotations

import json

import hand_mazes as hm
import pytest

from cheesemaze.envs.maze import generate_maze
from cheesemaze.envs.maze_io import (
    FORMAT,
    VERSION,
    load_maze,
    load_mazes,
    maze_to_dict,
    save_mazes,
)
from cheesemaze.envs.text import parse_maze


def test_a_list_of_mazes_round_trips(tmp_path):
    mazes = [generate_maze(s, 25, r) for s in range(20) for r in (None, 5)]
    mazes.append(parse_maze(hm.CORRIDOR, size=hm.CORRIDOR_SIZE))
    path = tmp_path / "mazes.json"
    save_mazes(path, mazes)
    assert load_mazes(path) == mazes
    assert [m.level_seed for m in load_mazes(path)][:3] == [0, 0, 1]


def test_one_maze_round_trips_and_the_file_is_readable(tmp_path):
    maze = parse_maze(hm.TINY, level_seed=None)
    path = tmp_path / "one.json"
    save_mazes(path, maze)
    assert load_maze(path) == maze
    document = json.loads(path.read_text())
    assert document["format"] == FORMAT and document["version"] == VERSION
    assert document["mazes"][0]["walls"] == ["#####", "#...#", "#.###", "#...#", "#####"]
    assert document["mazes"][0]["mouse"] == [3, 1] and document["mazes"][0]["cheese"] == [1, 3]


def test_a_moved_mouse_round_trips(tmp_path):
    maze = generate_maze(4, 15, 5)
    moved = maze.with_mouse(maze.cheese)
    save_mazes(tmp_path / "m.json", [moved])
    assert load_maze(tmp_path / "m.json") == moved


def test_load_maze_refuses_a_file_of_several(tmp_path):
    save_mazes(tmp_path / "two.json", [generate_maze(0), generate_maze(1)])
    with pytest.raises(ValueError, match="holds 2 mazes, not one; use load_mazes"):
        load_maze(tmp_path / "two.json")


def test_a_failed_save_keeps_the_old_file(tmp_path):
    path = tmp_path / "mazes.json"
    save_mazes(path, generate_maze(0))
    before = path.read_text()
    with pytest.raises(AttributeError):
        save_mazes(path, [generate_maze(1), "not a maze"])
    assert path.read_text() == before


def good_record() -> dict:
    return maze_to_dict(parse_maze(hm.TINY))


def write_document(tmp_path, document) -> str:
    path = tmp_path / "bad.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return str(path)


def wrapped(*records) -> dict:
    return {"format": FORMAT, "version": VERSION, "mazes": list(records)}


def with_field(**changes) -> dict:
    record = good_record()
    for key, value in changes.items():
        if value is KeyError:
            del record[key]
        else:
            record[key] = value
    return record


@pytest.mark.parametrize(
    "document, message",
    [
        ('{"format": "cheesemaze-mazes", "version": 1, "mazes": [', r"not valid JSON \(Expecting value at line 1, column"),
        ("", r"not valid JSON"),
        ({"mazes": []}, r"not a maze file \(expected a JSON object with \"format\": \"cheesemaze-mazes\"\)"),
        ([1, 2], r"not a maze file"),
        ({"format": FORMAT, "version": 99, "mazes": []}, r"maze file version 99 is not supported; this code reads version 1"),
        ({"format": FORMAT, "version": VERSION}, r"field 'mazes' must be a list of mazes"),
        (wrapped(good_record(), with_field(cheese=KeyError)), r"maze 1: maze misses field\(s\) cheese; a maze has walls"),
        (wrapped(with_field(walls=KeyError, size=KeyError)), r"maze 0: maze misses field\(s\) walls, size"),
        (wrapped("maze"), r"maze 0: a maze must be a JSON object"),
        (wrapped(with_field(walls="#####")), r"field 'walls' must be a non-empty list of strings"),
        (wrapped(with_field(walls=["#####", "#..x#", "#.###", "#...#", "#####"])), r"'walls' may hold only '#' \(wall\) and '.' \(open\)"),
        (wrapped(with_field(walls=["#####", "#...#", "#.###", "#...#"])), r"walls must be a square 2-D grid"),
        (wrapped(with_field(walls=["#####", "#...#", "#.##", "#...#", "#####"])), r"'walls' has rows of different lengths"),
        (wrapped(with_field(cheese=[1, 4])), r"maze 0: cheese cell \(1, 4\) is a wall"),
        (wrapped(with_field(mouse=[9, 1])), r"mouse cell \(9, 1\) lies outside the 5x5 world"),
        (wrapped(with_field(mouse=[3])), r"field 'mouse' must be a \[row, col\] pair of integers"),
        (wrapped(with_field(cheese=[1.0, 3])), r"field 'cheese' must be a \[row, col\] pair of integers"),
        (wrapped(with_field(size="3")), r"field 'size' must be an integer"),
        (wrapped(with_field(size=4)), r"maze size must be an odd integer"),
        (wrapped(with_field(level_seed="7")), r"field 'level_seed' must be an integer or null"),
    ],
)
def test_bad_files_get_clear_errors(tmp_path, document, message):
    path = write_document(tmp_path, document)
    with pytest.raises(ValueError, match=message) as info:
        load_mazes(path)
    assert str(info.value).startswith(path)


def test_a_missing_file_says_so(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_mazes(tmp_path / "nowhere.json")
