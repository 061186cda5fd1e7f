"""``cheesemaze maze show`` end to end: the printed maze, the PNG, and one-line errors with exit code 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cheesemaze.envs.geometry import decision_square
from cheesemaze.envs.maze import generate_maze
from cheesemaze.envs.text import format_maze, parse_maze
from cheesemaze.scripts.main import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_show_prints_the_maze_and_its_key_cells(capsys):
    assert main(["maze", "show", "--level-seed", "3", "--world-size", "25", "--region", "5"]) == 0
    out = capsys.readouterr().out
    maze = generate_maze(3, 25, 5)
    assert format_maze(maze) in out
    block = "\n".join(line for line in out.splitlines() if line and line[0] in "#.MC")
    assert parse_maze(block, level_seed=3) == maze
    assert f"maze {maze.size}x{maze.size}" in out
    assert f"mouse           {maze.mouse}" in out
    assert f"cheese          {maze.cheese}" in out
    assert f"top-right       {maze.top_right}" in out
    assert f"decision square {decision_square(maze)}" in out


def test_region_none_and_the_default_world(capsys):
    assert main(["maze", "show", "--level-seed", "12", "--region", "anywhere"]) == 0
    out = capsys.readouterr().out
    assert format_maze(generate_maze(12, 15, None)) in out and "cheese anywhere" in out


def test_png_is_written(tmp_path, capsys):
    png = tmp_path / "maze.png"
    assert main(["maze", "show", "--level-seed", "5", "--png", str(png)]) == 0
    assert png.read_bytes().startswith(PNG_SIGNATURE)
    assert f"wrote {png}" in capsys.readouterr().out
    written = png.read_bytes()
    assert main(["maze", "show", "--level-seed", "6", "--png", str(png)]) == 2
    assert "already exists" in capsys.readouterr().err and png.read_bytes() == written


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--world-size", "14"], "--world-size must be an odd integer from 3 to 63"),
        (["--world-size", "99"], "--world-size must be an odd integer from 3 to 63"),
        (["--region", "16"], "region must be None (cheese anywhere) or an integer from 0 to the world size 15"),
        (["--png", "no/such/folder/m.png"], "folder no/such/folder does not exist"),
        (["--png", "maze.txt"], "must end in .png"),
    ],
)
def test_bad_values_give_one_line_and_exit_code_2(flags, message, capsys, tmp_path):
    assert main(["maze", "show", "--level-seed", "1", *flags]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and message in captured.err
    assert captured.err.startswith("cheesemaze maze show: ")


def test_negative_level_seed_is_refused(capsys):
    assert main(["maze", "show", "--level-seed=-4"]) == 2
    assert "--level-seed must be a non-negative integer" in capsys.readouterr().err


@pytest.mark.parametrize(
    "flags",
    [["--level-seed", "1", "--region", "corner"], ["--level-seed", "x"], ["--world-size", "25"]],
)
def test_unparsable_or_missing_flags_exit_2_at_parse_time(flags, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["maze", "show", *flags])
    assert exit_info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("region", ["-1", "none", "corner"])
def test_a_bad_region_is_refused_at_parse_time_saying_what_is_allowed(region, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["maze", "show", "--level-seed", "1", "--region", region])
    assert exit_info.value.code == 2
    err = " ".join(capsys.readouterr().err.replace("│", " ").split())
    assert f"region must be an integer >= 0, or 'anywhere'; got '{region}'" in err and "R|anywhere" in err


def test_console_script_end_to_end(tmp_path):
    png = tmp_path / "m.png"
    command = [sys.executable, "-m", "cheesemaze.scripts.main", "maze", "show", "--level-seed", "9", "--png", str(png)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert format_maze(generate_maze(9, 15, 5)) in done.stdout and png.exists()
    bad = subprocess.run(command[:-2] + ["--world-size", "16"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "--world-size must be an odd integer" in bad.stderr
