"""P(cheese) against maze features: binned curves and a heatmap over the cheese's location."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cheesemaze.analysis.features import FEATURE_LABELS
from cheesemaze.analysis.figures.canvas import PAGE_WIDTH, chart, paper_style
from cheesemaze.analysis.figures.maze import draw_heatmap
from cheesemaze.analysis.stats import wilson_interval

BINNED_FEATURES = ("d_euclid_cheese_tr", "d_step_dsq_cheese")
MIN_PER_BIN = 5
MIN_PER_CELL = 5
"""Cells of the location map resting on fewer episodes are left grey: a rate of 3 episodes reads 0 or 1."""


def binned_rate(rows: pd.DataFrame, feature: str, n_bins: int = 10, min_count: int = MIN_PER_BIN) -> pd.DataFrame:
    """P(cheese) in equal-width bins of ``feature`` (integer features: one bin per value when there are
    few values). Columns: centre, rate, low, high (95% Wilson), n; bins under ``min_count`` are dropped."""
    values = rows[feature].to_numpy(dtype=float)
    got = (rows["outcome"] == "cheese").to_numpy()
    distinct = np.unique(values)
    if np.all(distinct == np.round(distinct)) and len(distinct) <= 2 * n_bins:
        edges = np.append(distinct - 0.5, distinct[-1] + 0.5)
    else:
        edges = np.linspace(values.min(), values.max(), n_bins + 1)
    index = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)
    out = []
    for b in range(len(edges) - 1):
        mask = index == b
        n = int(mask.sum())
        if n < min_count:
            continue
        k = int(got[mask].sum())
        low, high = wilson_interval(k, n)
        out.append({"centre": float(values[mask].mean()), "rate": k / n, "low": low, "high": high, "n": n})
    return pd.DataFrame(out, columns=["centre", "rate", "low", "high", "n"])


@paper_style
def binned_rate_figure(rows: pd.DataFrame, features: Sequence[str] = BINNED_FEATURES,
                       title: str | None = None) -> Figure:
    """One panel per feature: P(cheese) per bin with 95% Wilson intervals, and the bin counts."""
    fig, axes = chart(len(features), 1, width=PAGE_WIDTH, height=2.5)
    overall = (rows["outcome"] == "cheese").mean()
    for ax, feature in zip(axes[0], features):
        table = binned_rate(rows, feature)
        err = np.clip(np.vstack([table["rate"] - table["low"], table["high"] - table["rate"]]), 0, None)
        ax.errorbar(table["centre"].to_numpy(float), table["rate"].to_numpy(float), yerr=err, fmt="o-", markersize=3, capsize=2,
                    linewidth=1, color="#e0a500", label="P(cheese), 95% interval")
        ax.axhline(overall, color="grey", linestyle=":", linewidth=1, label=f"overall {overall:.2f}")
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(FEATURE_LABELS[feature])
        ax.set_ylabel("P(cheese)")
        ax.grid(alpha=0.3)
        counts = ax.twinx()
        counts.bar(table["centre"], table["n"], width=0.6 * np.min(np.diff(table["centre"]), initial=1.0),
                   color="grey", alpha=0.15, label="episodes per bin")
        counts.set_ylabel("episodes per bin", color="grey")
        counts.tick_params(axis="y", colors="grey")
        ax.set_zorder(counts.get_zorder() + 1)
        ax.patch.set_visible(False)
    axes[0, 0].legend(loc="lower left")
    fig.suptitle(title or f"P(cheese) on {len(rows)} mazes with a decision square", fontsize=9)
    return fig


def location_grid(rows: pd.DataFrame, align: str, min_count: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """P(cheese) and episode count per cheese cell, (W, W) each; NaN where under ``min_count``.

    ``align="world"``: world cells, as the agent sees them. ``align="top_right"``: each maze shifted so
    its top-right cell sits in the world's top-right corner (cells are then maze-relative).
    """
    if align not in ("world", "top_right"):
        raise ValueError(f"align must be 'world' or 'top_right'; got {align!r}")
    world = int(rows["world_size"].iloc[0])
    r, c = rows["cheese_r"].to_numpy(), rows["cheese_c"].to_numpy()
    if align == "top_right":
        r = r - rows["top_right_r"].to_numpy()
        c = c - rows["top_right_c"].to_numpy() + world - 1
    hits = np.zeros((world, world))
    counts = np.zeros((world, world))
    np.add.at(counts, (r, c), 1)
    np.add.at(hits, (r, c), (rows["outcome"] == "cheese").to_numpy())
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(counts >= min_count, hits / counts, np.nan)
    return rate, counts


@paper_style
def location_heatmap_figure(rows: pd.DataFrame, title: str | None = None) -> Figure:
    """P(cheese) by the cheese's cell: in world coordinates and relative to the maze's top-right. Each
    coloured cell is labelled with its number of episodes; cells with fewer than ``MIN_PER_CELL`` stay grey."""
    fig, axes = chart(2, 1, width=PAGE_WIDTH, height=3.3)
    world = int(rows["world_size"].iloc[0])
    for ax, align in zip(axes[0], ("world", "top_right")):
        rate, counts = location_grid(rows, align, min_count=MIN_PER_CELL)
        ax.set_facecolor("#dddddd")
        draw_heatmap(ax, rate, cmap="viridis", label="P(cheese)", vmin=0, vmax=1)
        for r, c in zip(*np.nonzero(np.isfinite(rate))):
            # viridis is dark below about 0.6: white numbers there, black above
            ax.text(c, r, str(int(counts[r, c])), ha="center", va="center", fontsize=4.5,
                    color="white" if rate[r, c] < 0.6 else "black")
        ax.set_xlim(-0.5, world - 0.5)
        ax.set_ylim(world - 0.5, -0.5)
        if align == "world":
            ax.set_title("cheese cell in the world (as observed)")
            ax.set_xlabel("column")
            ax.set_ylabel("row")
        else:
            ax.set_title("cheese cell relative to the maze's top-right")
            ticks = np.arange(world - 1, -1, -4)
            ax.set_xticks(ticks, [str(world - 1 - t) for t in ticks])
            ax.set_xlabel("columns left of the top-right cell")
            ax.set_ylabel("rows below the top-right cell")
    fig.suptitle(title or f"P(cheese) by cheese location, {len(rows)} mazes with a decision square\n"
                 f"number: episodes in the cell; grey: fewer than {MIN_PER_CELL}", fontsize=9)
    return fig
