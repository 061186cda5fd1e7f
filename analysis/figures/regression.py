"""The behavioural regressions: single-feature accuracies and the L1 model's coefficients."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from cheesemaze.analysis.behaviour import PUBLISHED, PUBLISHED_SIDE, BehaviourStats
from cheesemaze.analysis.figures.canvas import PAGE_WIDTH, chart, paper_style


@paper_style
def regression_figure(stats: BehaviourStats, title: str | None = None) -> Figure:
    """Top: held-out accuracy of each single-feature regression, as a point with its sd over splits on a
    stem from the majority baseline (so a stem's length is the gain over it; bars from an axis cut near
    the baseline would exaggerate), with the published accuracies marked. Bottom: standardized L1
    coefficients with bootstrap 95% intervals."""
    fig, axes = chart(1, 2, width=PAGE_WIDTH, height=6.0)
    single = stats.single.iloc[::-1]
    ax = axes[0, 0]
    y = np.arange(len(single))
    baseline = single["baseline"].iloc[0]
    ax.hlines(y, baseline, single["accuracy"], color="#4c72b0", linewidth=3, alpha=0.5)
    ax.errorbar(single["accuracy"], y, xerr=single["accuracy_sd"], fmt="o", color="#4c72b0", markersize=4,
                capsize=2, label="ours (mean, sd over 80/20 splits)")
    published = [PUBLISHED["single"].get(f, np.nan) for f in single["feature"]]
    ax.plot(published, y, "D", color="#dd8452", markersize=4, label=f"published (Turner et al., {PUBLISHED_SIDE} world)")
    ax.axvline(baseline, color="black", linestyle="--", linewidth=1, label="majority baseline")
    ax.set_yticks(y, single["label"])
    low = np.nanmin([baseline, (single["accuracy"] - single["accuracy_sd"]).min(), *published]) - 0.02
    ax.set_xlim(max(0.0, low), 1.0)
    ax.set_xlabel("held-out accuracy (stem: gain over the majority baseline)")
    ax.set_title("single-feature logistic regressions")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    coefs = stats.multiple.coefficients.iloc[::-1]
    ax = axes[1, 0]
    y = np.arange(len(coefs))
    err = np.vstack([coefs["coef"] - coefs["low"], coefs["high"] - coefs["coef"]])
    ax.errorbar(coefs["coef"], y, xerr=np.nan_to_num(err), fmt="o", color="#4c72b0", markersize=4, capsize=2,
                label="ours, bootstrap 95%")
    tr = np.flatnonzero(coefs["feature"].to_numpy() == "d_euclid_cheese_tr")
    if len(tr):
        ax.plot([PUBLISHED["study2_coef_d_euclid_cheese_tr"]], tr, "D", color="#dd8452", markersize=4,
                label=f"published (study 2, {PUBLISHED_SIDE} world)")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y, coefs["label"])
    ax.set_xlabel("standardized coefficient (log-odds of cheese per sd)")
    ax.set_title(f"L1 multiple regression: held-out accuracy {stats.multiple.accuracy:.3f} "
                 f"(majority baseline {stats.multiple.baseline:.3f})")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if title:
        fig.suptitle(title, fontsize=9)
    return fig
