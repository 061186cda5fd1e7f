"""The region-sweep figure: rates and regression coefficients against the training region r."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cheesemaze.analysis.features import FEATURE_LABELS
from cheesemaze.analysis.figures.canvas import COLUMN_WIDTH, OUTCOME_COLOURS, chart, paper_style
from cheesemaze.envs.maze import placement

PANELS = (("p_cheese", "P(cheese | decision square)"), ("p_top_right", "P(top-right | decision square)"))


def region_ticks(regions: Iterable[int]) -> dict[float, str]:
    """Tick positions and labels of training regions on an axis that places each at its square's side:
    region 0 (the top-right cell alone) is region 1's placement, labelled ``0 = 1``."""
    ticks: dict[float, str] = {}
    for region in sorted(int(r) for r in regions):  # region 0 before 1, so that its label names the tick
        ticks.setdefault(float(placement(region)), "0 = 1" if region == 0 else str(region))
    return ticks


def control_position(max_region: float) -> float:
    """Where the cheese-anywhere control sits on an axis of training regions: past the largest one."""
    return max_region + max(2.0, 0.15 * max_region)


@paper_style
def sweep_figure(agents: pd.DataFrame, table: pd.DataFrame, coefs: pd.DataFrame, features: tuple[str, ...],
                 weak: Sequence[str] = (), floor: float | None = None) -> Figure:
    """Three panels against r: P(cheese | dsq) and P(top-right | dsq), one dot per seed and the mean
    over seeds with a 95% t interval, the control as a band at the right; and the mean regression
    coefficient of the key features per r. The ``weak`` agents (below ``floor`` on their own training
    mazes) get open circles. A region sits at the side of its cheese square, so region 0
    (the top-right cell alone) is drawn at r = 1, labelled as both."""
    fig, axes = chart(n_cols=3, width=COLUMN_WIDTH * 3, height=2.6)
    regions = table[table["region"].notna()]
    control = table[table["region"].isna()]
    side = regions["region"].map(placement).astype(float)
    xmax = float(side.max()) if len(regions) else 1.0
    x_control = control_position(xmax)
    agent_x = agents["region"].map(lambda r: x_control if pd.isna(r) else placement(int(r))).astype(float)
    for ax, (column, title) in zip(axes[0][:2], PANELS):
        colour = OUTCOME_COLOURS["cheese" if column == "p_cheese" else "top_right"]
        x = agent_x.to_numpy()
        ax.plot(x, agents[column], "o", ms=3, color=colour, alpha=0.6, label="one seed")
        if len(weak):  # below the floor on its own training mazes
            under = agents["agent"].isin(weak).to_numpy()
            ax.plot(x[under], agents.loc[under, column], "o", ms=4, mfc="white", color=colour,
                    label=f"below {floor} on its own mazes")
        for frame, xs in ((regions, side), (control, [x_control] * len(control))):
            if len(frame):
                mean = frame[column].to_numpy(float)
                low = frame[f"{column}_low"].clip(0, 1).to_numpy(float)  # a rate's t interval, drawn in [0, 1]
                high = frame[f"{column}_high"].clip(0, 1).to_numpy(float)
                err = np.vstack([np.nan_to_num(mean - low), np.nan_to_num(high - mean)])
                ax.errorbar(np.asarray(xs) + 0.15, mean, yerr=err, fmt="s-" if frame is regions else "s", ms=4,
                            color="black", capsize=2, lw=0.9, label="mean over seeds (t 95%)" if frame is regions else None)
        ax.set_ylim(0, 1)
        ax.set_title(title)
        ax.grid(axis="y", lw=0.3, alpha=0.5)
    axes[0][0].legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=3, fontsize=6)  # clear of the points
    ax = axes[0][2]
    region_of = agent_x.set_axis(agents["agent"])
    for feature in [f for f in features if f in coefs.columns]:
        by_r = coefs[feature].groupby(region_of).mean()
        line, = ax.plot(by_r.index[by_r.index < x_control], by_r.values[by_r.index < x_control], "o-", ms=3,
                        lw=0.9, label=FEATURE_LABELS.get(feature, feature))
        ax.plot(by_r.index[by_r.index == x_control], by_r.values[by_r.index == x_control], "D", ms=4,
                color=line.get_color())
    ax.axhline(0, color="0.5", lw=0.5)
    ax.set_title("regression coefficient (mean over seeds)")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, fontsize=6)
    else:
        ax.text(0.5, 0.5, "no regression could be fitted\n(every agent had one outcome only)",
                transform=ax.transAxes, ha="center", va="center")
    named = region_ticks(regions["region"])
    ticks = list(named) + ([x_control] if len(control) else [])
    labels = list(named.values()) + (["any"] if len(control) else [])
    for ax in axes[0]:
        ax.set_xticks(ticks, labels)
        ax.set_xlabel("training region r (any: the control)")
    return fig
