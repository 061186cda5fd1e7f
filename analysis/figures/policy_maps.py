"""The agent on one maze: its action-probability field beside its value map, and its trajectories."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from cheesemaze.analysis.cell_maps import CellMap
from cheesemaze.analysis.figures.canvas import OUTCOME_COLOURS, paper_style
from cheesemaze.analysis.figures.maze import draw_action_field, draw_heatmap, draw_legend, draw_maze, draw_trajectory, new_figure
from cheesemaze.analysis.figures.outcomes import OUTCOME_LABELS
from cheesemaze.envs.maze import Maze, Region


def label_and_zoom(ax: Axes, maze: Maze) -> None:
    """Axis labels, and limits that show the maze with a one-cell border rather than the whole world."""
    lo, hi = max(maze.offset - 1, 0), min(maze.offset + maze.size, maze.world_size - 1)
    ax.set_xlim(lo - 0.5, hi + 0.5)
    ax.set_ylim(hi + 0.5, lo - 0.5)
    ax.set_xlabel("column")
    ax.set_ylabel("row")


@paper_style
def actor_critic_figure(cell_map: CellMap, region: Region = 5, title: str | None = None) -> Figure:
    """Left: with the mouse placed on each open cell, one arrow per move, as long as its probability.
    Right: the value head's estimate with the mouse on each open cell. Cheese, decision square and the
    top-right square are marked on both."""
    maze = cell_map.maze
    fig, axes = new_figure(2, 1, panel_inches=3.4)
    left, right = axes[0]
    draw_maze(left, maze, region=region, show_mouse=False)
    draw_action_field(left, cell_map.probs[:, :, :4])
    left.set_title("actor: P(move) per cell")
    draw_maze(right, maze, region=region, show_mouse=False)
    draw_heatmap(right, cell_map.values, walls=maze.walls, cmap="magma", label="value estimate")
    right.set_title("critic: value per cell")
    for ax in (left, right):
        label_and_zoom(ax, maze)
    draw_legend(left)
    fig.suptitle(title or f"level {maze.level_seed}: actor and critic", fontsize=9)
    return fig


@paper_style
def trajectories_figure(maze: Maze, paths: Sequence[np.ndarray], outcomes: Sequence[str], region: Region = 5,
                        title: str | None = None) -> Figure:
    """Episodes on one maze, coloured by outcome; each path is nudged a little so overlapping ones show."""
    fig, axes = new_figure(1, 1, panel_inches=4.4)
    fig.set_size_inches(6.5, 4.4)  # the legend's lines of outcome counts sit beside the square maze
    ax = axes[0, 0]
    draw_maze(ax, maze, region=region)
    counts = {o: list(outcomes).count(o) for o in dict.fromkeys(outcomes)}
    labelled = set()
    nudges = np.linspace(-0.2, 0.2, len(paths)) if len(paths) > 1 else [0.0]
    for path, outcome, nudge in zip(paths, outcomes, nudges):
        episodes = "episode" if counts[outcome] == 1 else "episodes"
        label = None if outcome in labelled else f"{OUTCOME_LABELS.get(outcome, outcome)}: {counts[outcome]} {episodes}"
        labelled.add(outcome)
        draw_trajectory(ax, np.asarray(path, dtype=float) + nudge, colour=OUTCOME_COLOURS[outcome], label=label)
    label_and_zoom(ax, maze)
    draw_legend(ax)
    ax.set_title(title or f"level {maze.level_seed}: {len(paths)} episodes")
    return fig
