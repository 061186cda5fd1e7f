"""Steering figures: the dose-response of P(cheese) and P(top-right) to a vector's coefficient, and
the actor's field on one maze before and after steering (drawn like the actor-critic figure)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cheesemaze.analysis.cell_maps import CellMap
from cheesemaze.analysis.figures.canvas import PAGE_WIDTH, chart, interval_words, paper_style
from cheesemaze.analysis.figures.maze import draw_action_field, draw_legend, draw_maze, new_figure
from cheesemaze.analysis.figures.policy_maps import label_and_zoom

KIND_COLOURS = {"maze": "#1f6fd1", "random": "#7f7f7f", "transfer": "#2ca02c"}
KIND_LABELS = {"maze": "each maze's vector", "random": "random, same norm", "transfer": "one maze's vector"}
MEASURE_LABELS = {"cheese": "P(cheese | decision square)", "top_right": "P(top-right | decision square)"}
GROUP_STYLES = ("-", "--", ":", "-.")
TARGET_COLOUR = "#e377c2"
MAX_SHIFT_SCALE = 10.0
"""The field figure's change arrows are magnified this much at most."""


@paper_style
def dose_response_figure(table: pd.DataFrame, vector: str) -> Figure:
    """Rows: P(cheese) and P(top-right) on decision-square mazes; columns: layers. One line per kind
    of vector and group (line style), through the unedited agent at coefficient 0, with intervals.

    ``table`` has columns group, layer, kind, coeff, and for each measure ``p_<m>``, ``p_<m>_low``,
    ``p_<m>_high``; the unedited rows have kind ``none``.
    """
    layers = [layer for layer in dict.fromkeys(table["layer"]) if layer != "-"]
    groups = list(dict.fromkeys(table["group"]))
    cols = max(len(layers), 1)
    fig, axes = chart(cols, 2, width=min(PAGE_WIDTH, max(5.0, 2.2 * cols + 0.6)), height=4.8)
    span = np.ptp(table["coeff"].to_numpy(float)) or 1.0
    for row, measure in enumerate(("cheese", "top_right")):
        for col, layer in enumerate(layers):
            ax = axes[row, col]
            for g, group in enumerate(groups):
                mine = table[table["group"] == group]
                base = mine[mine["kind"] == "none"]
                for k, (kind, colour) in enumerate(KIND_COLOURS.items()):
                    dodge = (k - 1) * 0.012 * span  # keep the three kinds' intervals apart
                    part = pd.concat([base, mine[(mine["layer"] == layer) & (mine["kind"] == kind)]]).sort_values("coeff")
                    p = part[f"p_{measure}"].to_numpy(float)
                    err = np.clip(np.vstack([p - part[f"p_{measure}_low"], part[f"p_{measure}_high"] - p]), 0, None)
                    ax.errorbar(part["coeff"] + dodge, p, yerr=np.nan_to_num(err), fmt="o", ms=3, capsize=2, lw=1,
                                color=colour, ls=GROUP_STYLES[g % len(GROUP_STYLES)],
                                label=f"{group}: {KIND_LABELS[kind]}" if row == col == 0 else None)
            ax.axvline(0, color="0.8", lw=0.6, zorder=0)
            ax.set_ylim(0, 1)
            ax.grid(alpha=0.3)
            if row == 0:
                ax.set_title(layer.removesuffix(".add"), fontsize=7 if cols > 2 else None)
            else:
                ax.set_xlabel("coefficient")
            if col == 0:
                ax.set_ylabel(MEASURE_LABELS[measure])
    fig.legend(loc="outside lower center", ncol=min(len(groups), 4), fontsize=6)  # a column per group
    fig.suptitle(f"The {vector} vector added x coefficient\nheld-out decision-square mazes, {interval_words(table)}",
                 fontsize=8)
    return fig


GROUP_MARKERS = ("o", "s", "^", "D")


@paper_style
def layer_effect_figure(table: pd.DataFrame, vector: str) -> Figure:
    """One panel per non-zero coefficient: the change in P(cheese | decision square) from the unedited
    agent against the layer edited (in the network's order), one line per group and kind of vector.

    ``table`` is the dose-response figure's (``effect``, ``effect_low``, ``effect_high`` per row).
    """
    edited = table[table["kind"] != "none"]
    layers = list(dict.fromkeys(edited["layer"]))
    groups = list(dict.fromkeys(table["group"]))
    coeffs = sorted(c for c in edited["coeff"].unique() if c != 0)
    fig, axes = chart(len(coeffs), 1, width=min(PAGE_WIDTH, 1.0 + 3.0 * len(coeffs)), height=3.0)
    x = np.arange(len(layers))
    for ax, coeff in zip(axes[0], coeffs):
        for g, group in enumerate(groups):
            for k, (kind, colour) in enumerate(KIND_COLOURS.items()):
                part = edited[(edited["group"] == group) & (edited["kind"] == kind) & (edited["coeff"] == coeff)]
                part = part.set_index("layer").reindex(layers)
                if part["effect"].isna().all():
                    continue
                e = part["effect"].to_numpy(float)
                err = np.clip(np.vstack([e - part["effect_low"], part["effect_high"] - e]), 0, None)
                lines = len(groups) * len(KIND_COLOURS)
                dodge = (g * len(KIND_COLOURS) + k - (lines - 1) / 2) * 0.06  # intervals apart, centred on the layer
                ax.errorbar(x + dodge, e, yerr=np.nan_to_num(err), color=colour, ms=3, capsize=2, lw=1,
                            marker=GROUP_MARKERS[g % len(GROUP_MARKERS)], ls=GROUP_STYLES[g % len(GROUP_STYLES)],
                            label=f"{group}: {KIND_LABELS[kind]}" if ax is axes[0, 0] else None)
        ax.axhline(0, color="0.5", lw=0.8, zorder=0)
        ax.set_xticks(x, [layer.removesuffix(".add") for layer in layers], rotation=35, ha="right", fontsize=6)
        ax.set_title(f"coefficient {coeff:g}", fontsize=8)
        ax.grid(alpha=0.3)
    low, high = min(ax.get_ylim()[0] for ax in axes[0]), max(ax.get_ylim()[1] for ax in axes[0])
    for ax in axes[0]:  # one scale, so the coefficients' effects compare by eye
        ax.set_ylim(low, high)
    axes[0, 0].set_ylabel("change in P(cheese | decision square)")
    fig.legend(loc="outside lower center", ncol=min(len(groups) * len(KIND_COLOURS), 3), fontsize=6)
    fig.suptitle(f"The {vector} vector at each layer: change from the unedited agent, {interval_words(table)}",
                 fontsize=8)
    return fig


def draw_shift(ax, before: CellMap, after: CellMap) -> float:
    """Arrows of the change in the expected step per cell (steered minus unedited), scaled so that the
    largest is 0.9 of a cell, by at most ``MAX_SHIFT_SCALE`` (small changes stay visible, noise stays
    small); returns the scale (1: a cell per unit of step), printed with the panel."""
    shift = after.mean_step - before.mean_step
    rows, cols = np.nonzero(np.isfinite(shift).all(axis=2))
    d = shift[rows, cols]
    largest = float(np.linalg.norm(d, axis=1).max()) if len(d) else 0.0
    scale = min(0.9 / largest, MAX_SHIFT_SCALE) if largest > 0 else 1.0
    ax.quiver(cols, rows, d[:, 1] * scale, d[:, 0] * scale, angles="xy", scale_units="xy", scale=1, color="#2ca02c",
              width=0.005, headwidth=3.5, zorder=3)
    return scale


@paper_style
def steering_field_figure(before: CellMap, after: CellMap, title: str, mark: tuple[int, int] | None = None,
                          name: str = "steered") -> Figure:
    """The actor on every open cell unedited and edited (``name``), and the change in its expected
    step; ``mark`` circles a cell (a retargeting target) on every panel."""
    maze = before.maze
    fig, axes = new_figure(3, 1, panel_inches=3.0)
    for ax, cells, label in zip(axes[0], (before, after), ("unedited", name)):
        draw_maze(ax, maze, show_mouse=False)
        draw_action_field(ax, cells.probs[:, :, :4])
        ax.set_title(f"{label}: P(move) per cell")
    draw_maze(axes[0, 2], maze, show_mouse=False)
    scale = draw_shift(axes[0, 2], before, after)
    axes[0, 2].set_title(f"{name} minus unedited (expected step, x{scale:.2g})")
    for ax in axes[0]:
        label_and_zoom(ax, maze)
        if mark is not None:
            ax.plot(mark[1], mark[0], marker="o", ms=11, mfc="none", mec=TARGET_COLOUR, mew=2, ls="none",
                    label="target" if ax is axes[0, 2] else None)
    draw_legend(axes[0, 2])
    fig.suptitle(title, fontsize=9)
    return fig
