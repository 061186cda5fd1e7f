"""``cheesemaze maze show``: print one level's maze as ASCII with its key cells, optionally as a PNG."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import tyro

from cheesemaze.envs.geometry import decision_square
from cheesemaze.envs.maze import Maze, Region, generate_maze, placement_text
from cheesemaze.envs.text import ALPHABET, format_maze
from cheesemaze.scripts.args import RegionArg, refuse


@dataclass(frozen=True)
class ShowConfig:
    """Show the maze of one level seed."""

    level_seed: int
    """The level seed (a non-negative integer); it alone determines the layout."""
    world_size: int = 15
    """Side of the world in cells: 15 (procgen easy), 25 (hard), or another odd number from 3 to 63."""
    region: RegionArg = 5
    """Where the cheese goes: the maze's top-right R x R square (0: the top-right cell), or anywhere."""
    png: Path | None = None
    """Also draw the maze into this PNG file."""


def describe(maze: Maze, region: Region) -> str:
    """The ASCII maze followed by its size and key cells, for a person to read."""
    first, last = maze.offset, maze.offset + maze.size - 1
    square = decision_square(maze)
    lines = [
        f"level seed {maze.level_seed}: world {maze.world_size}x{maze.world_size}, "
        f"maze {maze.size}x{maze.size} (rows and columns {first}..{last}), cheese {placement_text(region)}",
        format_maze(maze),
        f"legend: {ALPHABET}; cells are (row, col), row 0 on top",
        f"mouse           {maze.mouse}",
        f"cheese          {maze.cheese}",
        f"top-right       {maze.top_right}",
        f"decision square {square or 'none (the cheese is on the path to the top-right cell)'}",
    ]
    return "\n".join(lines)


def show(argv: list[str], prog: str) -> int:
    """Run ``cheesemaze maze show``; returns the exit code (2 for a bad flag value)."""
    config = tyro.cli(ShowConfig, args=argv, prog=prog)
    try:
        if config.png is not None:
            if config.png.suffix.lower() != ".png":
                raise ValueError(f"--png {config.png}: the file name must end in .png")
            if config.png.exists():
                raise ValueError(f"--png {config.png} already exists; figures are never overwritten")
            if not config.png.parent.is_dir():
                raise ValueError(f"cannot write --png {config.png}: folder {config.png.parent} does not exist")
        maze = generate_maze(config.level_seed, config.world_size, config.region)
    except ValueError as err:
        return refuse(prog, err, ShowConfig)
    print(describe(maze, config.region))
    if config.png is not None:
        # Imported here so that printing a maze never pays for matplotlib.
        from cheesemaze.analysis.figures.maze import maze_figure, save_png

        title = f"level {maze.level_seed}, world {maze.world_size}, maze {maze.size}"
        save_png(maze_figure(maze, region=config.region, title=title), config.png)
        print(f"wrote {config.png}")
    return 0
