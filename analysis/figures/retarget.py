"""The retargeting figure: how often the mouse reaches the target, unedited and with the cheese
channels or random channels rewritten, per gain, with intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cheesemaze.analysis.figures.canvas import PAGE_WIDTH, chart, interval_words, paper_style

KIND_COLOURS = {"none": "#7f7f7f", "cheese_channels": "#e0a500", "random_channels": "#1f6fd1"}
KIND_LABELS = {"none": "unedited", "cheese_channels": "cheese channels", "random_channels": "random channels"}
MEASURES = {"target": "P(reach the target)", "cheese": "P(reach the cheese)"}


@paper_style
def retarget_figure(table: pd.DataFrame) -> Figure:
    """Per measure, one point per condition (kind, gain) and group, with its interval.

    ``table`` has columns group, kind, gain and, per measure ``m``, ``p_<m>``, ``p_<m>_low``, ``p_<m>_high``.
    """
    fig, axes = chart(2, 1, width=PAGE_WIDTH, height=2.6)
    conditions = list(dict.fromkeys(zip(table["kind"], table["gain"])))
    groups = list(dict.fromkeys(table["group"]))
    width = 0.8 / max(len(groups), 1)
    for ax, (measure, label) in zip(axes[0], MEASURES.items()):
        for g, group in enumerate(groups):
            part = table[table["group"] == group].set_index(["kind", "gain"]).loc[conditions]
            p = part[f"p_{measure}"].to_numpy(float)
            err = np.nan_to_num(np.clip(np.vstack([p - part[f"p_{measure}_low"], part[f"p_{measure}_high"] - p]), 0, None))
            x = np.arange(len(conditions)) - 0.4 + width * (g + 0.5)
            for k, (kind, _) in enumerate(conditions):
                ax.errorbar(x[k], p[k], yerr=err[:, k : k + 1], fmt="os^D"[g % 4], ms=4, capsize=2,
                            color=KIND_COLOURS[kind], label=group if k == 0 else None)
        ax.set_xticks(np.arange(len(conditions)),
                      [KIND_LABELS[k] if k == "none" else f"{KIND_LABELS[k]}\ngain {g:g}" for k, g in conditions],
                      rotation=30, ha="right")
        ax.set_ylim(0, 1)
        ax.set_ylabel(label)
        ax.grid(axis="y", alpha=0.3)
    axes[0, 0].legend(title="group (marker)", loc="upper right")
    fig.suptitle(f"Retargeting on held-out mazes, a random target each ({interval_words(table)})", fontsize=9)
    return fig
