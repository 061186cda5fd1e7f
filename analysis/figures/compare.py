"""The comparison figure: one point per agent, paired seeds joined, the group means with intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cheesemaze.analysis.figures.canvas import COLUMN_WIDTH, OUTCOME_COLOURS, chart, paper_style
from cheesemaze.analysis.stats import t_interval

TITLES = {"cheese": "P(cheese | decision square)", "top_right": "P(top-right | decision square)"}


@paper_style
def compare_figure(agents_a: pd.DataFrame, agents_b: pd.DataFrame, label_a: str, label_b: str) -> Figure:
    """Per measure, group A and group B side by side: each agent's rate with its Wilson interval
    (small), lines joining agents of the same training seed, and each group's mean over agents with a
    95% t interval over agents (large, black)."""
    fig, axes = chart(n_cols=2, width=COLUMN_WIDTH * 2, height=2.6)
    rng = np.random.default_rng(0)
    for ax, measure in zip(axes[0], ("cheese", "top_right")):
        colour = OUTCOME_COLOURS[measure]
        xs = {}
        for x, agents in ((0, agents_a), (1, agents_b)):
            jitter = rng.uniform(-0.08, 0.08, len(agents))
            p = agents[f"p_{measure}"].to_numpy(float)
            err = np.vstack([p - agents[f"p_{measure}_low"], agents[f"p_{measure}_high"] - p])
            ax.errorbar(x + jitter, p, yerr=err, fmt="o", ms=3.5, color=colour, ecolor=colour, elinewidth=0.8,
                        alpha=0.8, label="one agent (Wilson 95%)" if x == 0 else None)
            xs[x] = dict(zip(agents["seed"], zip(x + jitter, p)))
            if len(p) > 1:
                mean, low, high = t_interval(p)
                span = [[mean - max(low, 0.0)], [min(high, 1.0) - mean]]  # a rate's t interval, drawn in [0, 1]
                ax.errorbar(x + 0.25, mean, yerr=span, fmt="s", ms=5, color="black", capsize=3,
                            label="mean over seeds (t 95%)" if x == 0 else None)
        for seed, (xa, pa) in xs[0].items():
            if seed in xs[1]:
                xb, pb = xs[1][seed]
                ax.plot([xa, xb], [pa, pb], color="0.6", lw=0.6, zorder=0)
        ax.set_xticks([0, 1], [label_a, label_b])
        ax.set_xlim(-0.5, 1.6)
        ax.set_ylim(0, 1)
        ax.set_title(TITLES[measure])
        ax.grid(axis="y", lw=0.3, alpha=0.5)
    axes[0][0].set_ylabel("rate on held-out cheese-anywhere mazes")
    axes[0][0].legend(loc="best")
    return fig
