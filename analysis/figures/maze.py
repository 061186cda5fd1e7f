"""Drawing a maze on a matplotlib ``Axes``, and overlays on it for the analyses' plots.

Axes coordinates are cell coordinates: cell ``(row, col)`` is centred at ``x = col, y = row``, with
row 0 at the top (the y axis runs down, as in an image). Layers stack in a fixed order so the
functions can be called in any order: floor and walls, heatmap, trajectory and arrows, region outline
and decision square, then mouse and cheese.

Figures are built on matplotlib's Agg canvas directly, never through pyplot, so drawing needs no
display and leaves no global state behind.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colorbar import Colorbar
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, Rectangle, RegularPolygon
from matplotlib.quiver import Quiver

from cheesemaze.envs.actions import COMPACT_NAMES, COMPACT_STEPS
from cheesemaze.envs.files import write_atomic
from cheesemaze.envs.geometry import decision_square, region_box
from cheesemaze.envs.maze import Cell, Maze, Region, placement_text

FLOOR_COLOUR = "#efe6d2"
WALL_COLOUR = "#2f5a3a"
MOUSE_COLOUR = "#7a5236"
CHEESE_COLOUR = "#f2b705"
REGION_COLOUR = "#d62728"
DECISION_COLOUR = "#1f6fd1"
TRAJECTORY_COLOUR = "#8a2be2"
ARROW_COLOUR = "#1a1a1a"

# The four move channels of an action-probability field, in the compact action order.
ARROW_ACTIONS = COMPACT_NAMES[:4]

Z_BOARD, Z_HEAT, Z_PATH, Z_MARKS, Z_PIECES = 0, 1, 3, 4, 5


def new_figure(n_cols: int = 1, n_rows: int = 1, panel_inches: float = 4.0) -> tuple[Figure, np.ndarray]:
    """A figure on the Agg canvas with a grid of square panels; returns (figure, 2-D array of axes)."""
    fig = Figure(figsize=(panel_inches * n_cols, panel_inches * n_rows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    return fig, axes


def draw_maze(
    ax: Axes,
    maze: Maze,
    region: Region = 5,
    decision: bool = True,
    show_mouse: bool = True,
) -> None:
    """Draw walls, floor, cheese and mouse; outline the top-right ``region`` square (None: no
    outline) and mark the decision square when ``decision`` is set and the maze has one."""
    board = ListedColormap([FLOOR_COLOUR, WALL_COLOUR])
    ax.imshow(maze.walls.astype(np.uint8), cmap=board, vmin=0, vmax=1, interpolation="nearest",
              zorder=Z_BOARD)
    world = maze.world_size
    ticks = np.arange(0, world, 5)
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.tick_params(labelsize=7, length=2)
    ax.set_xlim(-0.5, world - 0.5)
    ax.set_ylim(world - 0.5, -0.5)
    if region is not None:
        top, bottom, left, right = region_box(maze, region)
        ax.add_patch(Rectangle((left - 0.5, top - 0.5), right - left + 1, bottom - top + 1, fill=False,
                               edgecolor=REGION_COLOUR, linewidth=1.5, linestyle="--", zorder=Z_MARKS,
                               label=placement_text(region)))
    if decision:
        square = decision_square(maze)
        if square is not None:
            ax.add_patch(Rectangle((square[1] - 0.45, square[0] - 0.45), 0.9, 0.9, fill=False,
                                   edgecolor=DECISION_COLOUR, linewidth=2, zorder=Z_MARKS,
                                   label="decision square"))
    row, col = maze.cheese
    ax.add_patch(RegularPolygon((col, row), numVertices=3, radius=0.55, orientation=np.pi,
                                facecolor=CHEESE_COLOUR, edgecolor="black", linewidth=0.6, zorder=Z_PIECES,
                                label="cheese"))
    if show_mouse:
        row, col = maze.mouse
        ax.add_patch(Circle((col, row), 0.33, facecolor=MOUSE_COLOUR, edgecolor="black", linewidth=0.6,
                            zorder=Z_PIECES, label="mouse"))


def draw_trajectory(ax: Axes, cells: Sequence[Cell], colour: str = TRAJECTORY_COLOUR,
                    label: str | None = "trajectory") -> Line2D:
    """Draw a path through cell centres (a list of ``(row, col)``), with a dot where it starts."""
    path = np.asarray(cells, dtype=float).reshape(-1, 2)
    (line,) = ax.plot(path[:, 1], path[:, 0], color=colour, linewidth=2, alpha=0.8, zorder=Z_PATH,
                      solid_capstyle="round", label=label)
    ax.plot(path[:1, 1], path[:1, 0], "o", color=colour, markersize=4, zorder=Z_PATH)
    return line


def draw_action_field(ax: Axes, probs: np.ndarray, mask: np.ndarray | None = None,
                      colour: str = ARROW_COLOUR, min_prob: float = 0.02) -> Quiver:
    """Draw, in each cell, one arrow per move (UP, DOWN, LEFT, RIGHT) as long as its probability.

    ``probs`` is (W, W, 4) in that channel order; a probability of 1 reaches the cell's edge.
    ``mask`` (W, W) picks the cells to draw (default: cells whose probabilities are finite);
    arrows shorter than ``min_prob`` are left out.
    """
    probs = np.asarray(probs, dtype=float)
    if probs.ndim != 3 or probs.shape[2] != 4 or probs.shape[0] != probs.shape[1]:
        raise ValueError(f"probs must have shape (W, W, 4) for {ARROW_ACTIONS}; got {probs.shape}")
    if mask is None:
        mask = np.isfinite(probs).all(axis=2)
    rows, cols = np.nonzero(mask)
    p = np.nan_to_num(probs[rows, cols])  # (n, 4)
    steps = COMPACT_STEPS[:4]  # (row, col) step of each arrow
    keep = p >= min_prob
    cell_idx, action_idx = np.nonzero(keep)
    length = 0.5 * p[cell_idx, action_idx]
    u, v = steps[action_idx, 1] * length, steps[action_idx, 0] * length
    return ax.quiver(cols[cell_idx], rows[cell_idx], u, v, angles="xy", scale_units="xy", scale=1,
                     color=colour, width=0.004, headwidth=3.5, headlength=4, headaxislength=3.5, zorder=Z_PATH)


def draw_heatmap(ax: Axes, values: np.ndarray, walls: np.ndarray | None = None, cmap: str = "viridis",
                 label: str = "", vmin: float | None = None, vmax: float | None = None) -> Colorbar:
    """Colour each cell by ``values`` (W, W), with a colorbar labelled ``label``.

    Cells that are NaN, or walls when ``walls`` is given, stay transparent so the maze shows through.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 2 or values.shape[0] != values.shape[1]:
        raise ValueError(f"values must be a square (W, W) array; got shape {values.shape}")
    hidden = ~np.isfinite(values)
    if walls is not None:
        hidden |= np.asarray(walls, dtype=bool)
    image = ax.imshow(np.ma.masked_array(values, hidden), cmap=cmap, vmin=vmin, vmax=vmax,
                      interpolation="nearest", zorder=Z_HEAT)
    return ax.figure.colorbar(image, ax=ax, label=label, shrink=0.8)


def legend_marker(handle: Any) -> Any:
    """A legend entry that looks like the piece drawn: a triangle for the cheese, a disc for the mouse
    (matplotlib would show any patch as a square)."""
    marker = {RegularPolygon: "v", Circle: "o"}.get(type(handle))
    if marker is None:
        return handle
    return Line2D([], [], linestyle="none", marker=marker, markersize=7, markerfacecolor=handle.get_facecolor(),
                  markeredgecolor="black", markeredgewidth=0.6)


def draw_legend(ax: Axes) -> None:
    """A compact legend of the labelled pieces drawn on ``ax``."""
    handles, labels = ax.get_legend_handles_labels()
    ax.legend([legend_marker(h) for h in handles], labels, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              fontsize=7, frameon=False, handlelength=1.2)


def maze_figure(maze: Maze, region: Region = 5, title: str | None = None) -> Figure:
    """One maze on its own figure, with a legend: what ``cheesemaze maze show --png`` writes."""
    fig, axes = new_figure(panel_inches=4.5)
    fig.set_size_inches(6.0, 4.5)  # room for the legend beside the square maze
    ax = axes[0, 0]
    draw_maze(ax, maze, region=region)
    draw_legend(ax)
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def png_bytes(fig: Figure, dpi: int = 150) -> bytes:
    """The figure encoded as PNG."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def save_png(fig: Figure, path: str | os.PathLike, dpi: int = 150) -> None:
    """Write the figure as a PNG file, atomically."""
    write_atomic(path, png_bytes(fig, dpi))
