"""Outcome rates per distribution and policy, with 95% Wilson intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cheesemaze.analysis.figures.canvas import OUTCOME_COLOURS, PAGE_WIDTH, chart, paper_style
from cheesemaze.analysis.stats import wilson_interval
from cheesemaze.agents.rollout import ROLLOUT_OUTCOMES

OUTCOME_LABELS = {"cheese": "cheese", "top_right": "top-right 5x5, no cheese", "other": "neither",
                  "shutdown": "shutdown cell"}


def outcome_table(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (subset, distribution, policy, outcome): rate, low, high, n, with subset
    ``all`` or ``with decision square``. Outcomes that never occur (e.g. shutdown) are left out."""
    present = [o for o in ROLLOUT_OUTCOMES if (df["outcome"] == o).any()]
    rows = []
    for subset, part in (("all", df), ("with decision square", df[df["has_dsq"]])):
        for (distribution, policy), group in part.groupby(["distribution", "policy"], sort=False):
            n = len(group)
            for outcome in present:
                k = int((group["outcome"] == outcome).sum())
                low, high = wilson_interval(k, n)
                rows.append({"subset": subset, "distribution": distribution, "policy": policy,
                             "outcome": outcome, "rate": k / n, "low": low, "high": high, "n": n})
    return pd.DataFrame(rows)


@paper_style
def outcome_rates_figure(df: pd.DataFrame, title: str | None = None) -> Figure:
    """Grouped bars of outcome rates per distribution/policy, for all mazes and for decision-square
    mazes, with 95% Wilson intervals as error bars."""
    table = outcome_table(df)
    outcomes = list(dict.fromkeys(table["outcome"]))
    fig, axes = chart(2, 1, width=PAGE_WIDTH, height=2.6)
    width = 0.8 / len(outcomes)
    for ax, subset in zip(axes[0], ("all", "with decision square")):
        part = table[table["subset"] == subset]
        groups = list(dict.fromkeys(zip(part["distribution"], part["policy"])))
        x = np.arange(len(groups))
        for k, outcome in enumerate(outcomes):
            rows = part[part["outcome"] == outcome].set_index(["distribution", "policy"]).reindex(groups)
            err = np.clip(np.vstack([rows["rate"] - rows["low"], rows["high"] - rows["rate"]]), 0, None)
            ax.bar(x + (k - (len(outcomes) - 1) / 2) * width, rows["rate"], width, yerr=err, capsize=2,
                   color=OUTCOME_COLOURS[outcome], label=OUTCOME_LABELS[outcome], error_kw={"linewidth": 0.8})
        n = part.drop_duplicates(["distribution", "policy"])["n"].tolist()
        ax.set_xticks(x, [f"{d}\n{p}\n(n={m})" for (d, p), m in zip(groups, n)])
        ax.set_ylim(0, 1)
        ax.set_ylabel("fraction of episodes")
        ax.set_title("all held-out mazes" if subset == "all" else "mazes with a decision square")
        ax.grid(axis="y", alpha=0.3)
    axes[0, 1].legend(loc="upper right")
    if title:
        fig.suptitle(title, fontsize=9)
    return fig
