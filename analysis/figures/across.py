"""The figure of prediction across agents: each model's gain over the target agent's own base rate,
fitted on the target itself and on every other agent."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cheesemaze.analysis.figures.canvas import PAGE_WIDTH, chart, paper_style

CAP = -3.0
"""Gains below this (minus infinity included: a zero-probability outcome) are drawn at it."""
MARKERS = {"within agent": "o", "across seeds": "s"}
"""Marker by the kind of relation (the part after the condition); another condition's fit is a triangle."""


@paper_style
def across_figure(table: pd.DataFrame) -> Figure:
    """One panel per target agent; x: the models; points: the gain over the target's own base rate
    (95% bootstrap interval over its mazes), one per source agent, filled when fitted on the target."""
    targets = list(dict.fromkeys(table["target"]))
    models = list(dict.fromkeys(table["model"]))
    fig, axes = chart(len(targets), 1, width=PAGE_WIDTH, height=2.8)
    sources = list(dict.fromkeys(table["source"]))
    for ax, target in zip(axes[0], targets):
        part = table[table["target"] == target]
        for j, source in enumerate(sources):
            rows = part[part["source"] == source].set_index("model").reindex(models)
            x = np.arange(len(models)) + (j - (len(sources) - 1) / 2) * 0.8 / len(sources)
            gain = rows["gain"].to_numpy(dtype=float)
            shown = np.maximum(gain, CAP)
            low = np.maximum(rows["gain_low"].to_numpy(dtype=float), CAP)
            high = np.maximum(rows["gain_high"].to_numpy(dtype=float), CAP)
            within = source == target
            marker = MARKERS.get(rows["relation"].iloc[0].split(": ")[-1], "^")
            ax.errorbar(x, shown, yerr=[np.nan_to_num(shown - low), np.nan_to_num(high - shown)], fmt=marker,
                        markersize=4, capsize=2, linewidth=0.8, mfc=None if within else "white",
                        label=f"fitted on {source}" + (" (itself)" if within else ""))
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.axhline(CAP, color="grey", linestyle=":", linewidth=0.8)
        ax.set_xticks(np.arange(len(models)), models, rotation=35, ha="right")
        ax.set_ylabel(f"gain over {target}'s base rate\n(nats per maze)")
        ax.set_title(f"scored on {target}'s test rollouts", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(loc="center left")
    fig.suptitle(f"Prediction across agents (dotted line: {CAP:g} or below, -inf included)", fontsize=9)
    return fig
