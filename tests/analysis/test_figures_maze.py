"""Maze drawings, headless: each function's marks are checked on the Axes it drew on."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.patches import Circle, Rectangle, RegularPolygon

from cheesemaze.analysis.figures.maze import (
    draw_action_field,
    draw_heatmap,
    draw_maze,
    draw_trajectory,
    maze_figure,
    new_figure,
    save_png,
)
from cheesemaze.envs.geometry import decision_square, shortest_path
from cheesemaze.envs.maze import generate_maze
from cheesemaze.envs.text import parse_maze

FORK = """
#######
#.....#
#.#####
#...C.#
#.#####
#M....#
#######
"""


def patches_of(ax, kind):
    return [p for p in ax.patches if isinstance(p, kind)]


def test_draw_maze_shows_walls_pieces_region_and_decision_square():
    maze = parse_maze(FORK)
    fig, axes = new_figure()
    ax = axes[0, 0]
    draw_maze(ax, maze, region=2)
    assert np.array_equal(ax.images[0].get_array(), maze.walls.astype(np.uint8))
    (mouse,) = patches_of(ax, Circle)
    assert mouse.center == (maze.mouse[1], maze.mouse[0])
    (cheese,) = patches_of(ax, RegularPolygon)
    assert tuple(cheese.xy) == (maze.cheese[1], maze.cheese[0])
    region, square = sorted(patches_of(ax, Rectangle), key=lambda p: -p.get_width())
    # The 2x2 top-right square spans rows 1..2 and columns 4..5, edges half a cell out.
    assert (region.get_x(), region.get_y(), region.get_width(), region.get_height()) == (3.5, 0.5, 2, 2)
    dr, dc = decision_square(maze)
    assert square.get_x() == pytest.approx(dc - 0.45) and square.get_y() == pytest.approx(dr - 0.45)
    assert ax.get_ylim() == (6.5, -0.5)  # row 0 on top


def test_no_region_outline_or_decision_square_when_not_asked():
    fig, axes = new_figure()
    draw_maze(axes[0, 0], parse_maze(FORK), region=None, decision=False)
    assert patches_of(axes[0, 0], Rectangle) == []


def test_trajectory_goes_through_cell_centres():
    maze = parse_maze(FORK)
    path = shortest_path(maze.walls, maze.mouse, maze.cheese)
    fig, axes = new_figure()
    line = draw_trajectory(axes[0, 0], path)
    assert np.array_equal(line.get_xydata(), np.array([(c, r) for r, c in path], dtype=float))


def test_action_field_draws_one_arrow_per_likely_move():
    maze = parse_maze(FORK)
    probs = np.full((7, 7, 4), np.nan)
    probs[maze.mouse] = [1.0, 0.0, 0.0, 0.0]  # UP with certainty
    probs[maze.cheese] = [0.0, 0.0, 0.5, 0.5]  # LEFT or RIGHT
    fig, axes = new_figure()
    quiver = draw_action_field(axes[0, 0], probs)
    arrows = sorted(zip(quiver.X, quiver.Y, quiver.U, quiver.V))
    assert arrows == sorted([(1, 5, 0.0, -0.5), (4, 3, -0.25, 0.0), (4, 3, 0.25, 0.0)])


def test_action_field_rejects_a_wrong_shape():
    fig, axes = new_figure()
    with pytest.raises(ValueError, match=r"probs must have shape \(W, W, 4\)"):
        draw_action_field(axes[0, 0], np.zeros((7, 7, 5)))


def test_heatmap_hides_walls_and_has_a_labelled_colorbar():
    maze = parse_maze(FORK)
    values = np.arange(49, dtype=float).reshape(7, 7)
    fig, axes = new_figure()
    colorbar = draw_heatmap(axes[0, 0], values, walls=maze.walls, label="steps")
    shown = axes[0, 0].images[0].get_array()
    assert np.array_equal(shown.mask, maze.walls)
    assert np.array_equal(shown.data[~maze.walls], values[~maze.walls])
    assert colorbar.ax.get_ylabel() == "steps"


def test_maze_figure_saves_a_png(tmp_path):
    fig = maze_figure(generate_maze(3, 25, 5), region=5, title="level 3")
    path = tmp_path / "m.png"
    save_png(fig, path)
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert fig.axes[0].get_title() == "level 3"
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert {"mouse", "cheese", "top-right 5x5", "decision square"} <= set(labels)


def test_the_legend_shows_the_cheese_and_mouse_as_drawn():
    legend = maze_figure(generate_maze(3, 25, 5), region=5).axes[0].get_legend()
    shown = dict(zip((t.get_text() for t in legend.get_texts()), legend.legend_handles))
    assert shown["cheese"].get_marker() == "v" and shown["mouse"].get_marker() == "o"
    assert isinstance(shown["decision square"], Rectangle)
