"""Probe figures: held-out accuracy by layer against chance and shuffled labels, and the channels that
track the cheese drawn over one maze."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cheesemaze.analysis.figures.canvas import PAGE_WIDTH, chart, interval_words, paper_style
from cheesemaze.analysis.figures.maze import CHEESE_COLOUR, draw_maze, new_figure
from cheesemaze.envs.maze import Maze

TARGET_COLOURS = {"cheese": "#e0a500", "top_right": "#d62728"}
TARGET_LABELS = {"cheese": "the cheese's cell", "top_right": "the top-right cell"}


@paper_style
def probe_accuracy_figure(table: pd.DataFrame) -> Figure:
    """One panel per target: accuracy at each layer (in forward order) with its interval, one line per
    group, beside chance (dashed) and the probe on shuffled labels (dotted).

    ``table`` has columns group, layer, target, accuracy, accuracy_low, accuracy_high, chance, shuffled.
    """
    fig, axes = chart(2, 1, width=PAGE_WIDTH, height=2.8)
    layers = list(dict.fromkeys(table["layer"]))
    x = np.arange(len(layers))
    for ax, target in zip(axes[0], ("cheese", "top_right")):
        for g, (group, part) in enumerate(table[table["target"] == target].groupby("group", sort=False)):
            part = part.set_index("layer").loc[layers]
            acc = part["accuracy"].to_numpy(float)
            err = np.nan_to_num(np.clip(np.vstack([acc - part["accuracy_low"], part["accuracy_high"] - acc]), 0, None))
            ls = ("-", "--", ":")[g % 3]
            ax.errorbar(x, acc, yerr=err, fmt="o", ls=ls, ms=3, capsize=2, color=TARGET_COLOURS[target], label=f"{group}: probe")
            ax.plot(x, part["chance"], ls=ls, color="0.4", lw=0.8, marker="_", label=f"{group}: chance (most common cell)")
            ax.plot(x, part["shuffled"], ls=ls, color="0.7", lw=0.8, marker=".", label=f"{group}: shuffled labels")
        ax.set_xticks(x, [layer.removesuffix(".add") for layer in layers], rotation=35, ha="right")
        ax.set_ylim(0, 1)
        ax.set_title(f"probing {TARGET_LABELS[target]}")
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("held-out accuracy")
    axes[0, 0].legend(loc="upper right", fontsize=6)
    fig.suptitle(f"Linear probes by layer ({interval_words(table)})", fontsize=8)
    return fig


@paper_style
def channel_maps_figure(maze: Maze, acts: np.ndarray, ranking: pd.DataFrame, layer: str, top: int = 8) -> Figure:
    """The maze, then the ``top`` channels ranked first, each as a heatmap over the world (its grid
    stretched to cover it) with the cheese marked.

    ``acts`` is the layer's activations (C, H, W) on this maze; ``ranking`` is :func:`channel_ranking`'s table.
    """
    shown = ranking.head(top)
    n_cols = min(5, len(shown) + 1)
    n_rows = int(np.ceil((len(shown) + 1) / n_cols))
    fig, axes = new_figure(n_cols, n_rows, panel_inches=1.9)
    world = maze.world_size
    draw_maze(axes[0, 0], maze)
    axes[0, 0].set_title("the maze", fontsize=7)
    extent = (-0.5, world - 0.5, world - 0.5, -0.5)
    for k, row in enumerate(shown.itertuples()):
        ax = axes.flat[k + 1]
        values = acts[int(row.channel)]
        bound = float(np.abs(values).max()) or 1.0
        image = ax.imshow(values, cmap="RdBu", vmin=-bound, vmax=bound, extent=extent, interpolation="nearest")
        ax.plot(maze.cheese[1], maze.cheese[0], marker="v", ms=7, mfc=CHEESE_COLOUR, mec="black", ls="none")
        ax.set_title(f"channel {row.channel}: r = {row.corr:+.2f}", fontsize=7)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(image, ax=ax, shrink=0.7)
    for ax in axes.flat[len(shown) + 1:]:
        ax.set_axis_off()
    fig.suptitle(f"{layer}: channels ranked by correlation with the cheese's position (blue positive)", fontsize=8)
    return fig
