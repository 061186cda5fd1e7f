"""Probe figures: held-out accuracy by layer against chance, shuffled labels and the raw observation,
and the channels that track the cheese drawn over one maze."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cheesemaze.analysis.figures.canvas import PAGE_WIDTH, chart, interval_words, paper_style
from cheesemaze.analysis.figures.maze import CHEESE_COLOUR, draw_maze, new_figure
from cheesemaze.envs.maze import Maze

GROUP_COLOURS = ("#d62728", "#1f6fd1", "#2ca02c", "#9467bd", "#8c564b")
"""One colour per group (condition), in the order the groups are named."""
GROUP_MARKERS = ("o", "s", "^", "D", "v")
TARGET_LABELS = {"cheese": "the cheese's cell", "top_right": "the top-right cell"}


@paper_style
def probe_accuracy_figure(table: pd.DataFrame, observation: str = "observation") -> Figure:
    """One panel per target: accuracy at each layer (in forward order) with its interval, one colour
    and marker per group, beside chance (dashed, grey), the probe on shuffled labels (dotted, grey)
    and, as a horizontal dash-dotted line (black where every group's is the same, as on the same mazes;
    else in the group's colour), the same probe on the raw observation (the rows
    whose layer is ``observation``, :data:`cheesemaze.analysis.probes.OBSERVATION`: the network's
    input). One legend, below, covers both panels.

    ``table`` has columns group, layer, target, accuracy, accuracy_low, accuracy_high, chance, shuffled.
    """
    fig, axes = chart(2, 1, width=PAGE_WIDTH, height=3.6)
    layers = [layer for layer in dict.fromkeys(table["layer"]) if layer != observation]
    groups = list(dict.fromkeys(table["group"]))
    x = np.arange(len(layers))
    offset = 0.15 * (np.arange(len(groups)) - (len(groups) - 1) / 2)  # groups side by side: no overlap
    for ax, target in zip(axes[0], ("cheese", "top_right")):
        mine = table[table["target"] == target]
        raw = mine[mine["layer"] == observation].set_index("group")["accuracy"]
        if len(raw) and np.ptp(raw.to_numpy(float)) == 0:  # every group saw the same mazes: one line says it
            ax.axhline(raw.iloc[0], color="black", ls="-.", lw=1.0, label="raw observation (the input; every group)")
        for g, group in enumerate(groups):
            part = mine[mine["group"] == group].set_index("layer")
            colour, marker = GROUP_COLOURS[g % len(GROUP_COLOURS)], GROUP_MARKERS[g % len(GROUP_MARKERS)]
            if group in raw.index and np.ptp(raw.to_numpy(float)) > 0:
                ax.axhline(raw[group], color=colour, ls="-.", lw=1.0, label=f"{group}: raw observation (the input)")
            part = part.loc[layers]
            acc = part["accuracy"].to_numpy(float)
            err = np.nan_to_num(np.clip(np.vstack([acc - part["accuracy_low"], part["accuracy_high"] - acc]), 0, None))
            ax.errorbar(x + offset[g], acc, yerr=err, fmt=marker, ls="-", ms=3.5, capsize=2, color=colour,
                        label=f"{group}: probe on the layer")
            ax.plot(x + offset[g], part["chance"], ls="--", color="0.45", lw=0.8, marker=marker, ms=2,
                    label=f"{group}: chance (most common cell)")
            ax.plot(x + offset[g], part["shuffled"], ls=":", color="0.65", lw=0.8, marker=marker, ms=2,
                    label=f"{group}: shuffled labels")
        ax.set_xticks(x, [layer.removesuffix(".add") for layer in layers], rotation=35, ha="right")
        ax.set_ylim(0, 1.05)
        ax.set_title(f"probing {TARGET_LABELS[target]}")
        ax.grid(alpha=0.3)
    axes[0, 0].set_ylabel("held-out accuracy")
    # one legend for both panels, below them: the panels draw the same lines, and a legend inside covers data
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncol=4, fontsize=6)
    fig.suptitle(f"Linear probes by layer, against the raw observation ({interval_words(table)})", fontsize=8)
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
