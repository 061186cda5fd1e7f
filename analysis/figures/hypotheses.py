"""Figures of the hypotheses' scores: predicted against observed outcomes, calibration, per-maze
log-likelihood differences against maze features, dynamic consistency, and the shutdown variant."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cheesemaze.analysis.features import FEATURE_LABELS
from cheesemaze.analysis.figures.canvas import OUTCOME_COLOURS, PAGE_WIDTH, chart, paper_style
from cheesemaze.analysis.stats import wilson_interval
from cheesemaze.envs.game import OUTCOMES

HYPOTHESIS_COLOURS = {"intended": "#e0a500", "compatible": "#1f6fd1", "correlates": "#2ca02c", "utility": "#9467bd",
                      "base-rate": "#9e9e9e", "random-walk": "#c7c7c7", "intended+noise": "#f2d17a"}
"""The baselines in greys (and the intended goal's yellow, paler, for intended+noise)."""
LL_FEATURES = ("d_euclid_cheese_tr", "d_step_dsq_cheese")
CONSISTENCY_LINES = {"location": {"color": "#9467bd", "marker": "o"}, "fixed": {"color": "#2ca02c", "marker": "s"},
                     "frequency": {"color": "#555555", "linestyle": "--"}, "uniform": {"color": "#aaaaaa", "linestyle": ":"}}
CAP = 12.0
"""Per-maze log-likelihood differences beyond +-CAP (infinite ones included) are drawn at +-CAP."""


def colour(name: str) -> str:
    return HYPOTHESIS_COLOURS.get(name, "#555555")


@paper_style
def predicted_observed_figure(probabilities: dict[str, np.ndarray], observed: np.ndarray) -> Figure:
    """Per outcome: the observed frequency (95% Wilson interval) beside each hypothesis's mean prediction."""
    fig, axes = chart(1, 1, width=PAGE_WIDTH, height=2.6)
    ax = axes[0, 0]
    names = ["observed", *probabilities]
    width = 0.8 / len(names)
    x = np.arange(len(OUTCOMES))
    for j, name in enumerate(names):
        offset = (j - (len(names) - 1) / 2) * width
        if name == "observed":
            counts = np.bincount(observed, minlength=len(OUTCOMES))
            rate = counts / len(observed)
            ci = np.array([wilson_interval(int(k), len(observed)) for k in counts]).T
            ax.bar(x + offset, rate, width, color="black", label=f"observed (n={len(observed)})",
                   yerr=np.clip([rate - ci[0], ci[1] - rate], 0, None), capsize=2,
                   error_kw={"linewidth": 0.9, "ecolor": "#d62728"})  # the interval in red: black on black hid it
        else:
            ax.bar(x + offset, probabilities[name].mean(axis=0), width, color=colour(name), label=name)
    ax.set_xticks(x, [o.replace("_", "-") for o in OUTCOMES])
    ax.set_ylim(0, 1.08)  # room above a probability of 1 (the intended goal's cheese bar)
    ax.set_ylabel("fraction of mazes / mean predicted probability")
    ax.set_title("Outcome distribution: observed against each hypothesis's prediction")
    ax.legend(loc="upper right", ncols=2)
    ax.grid(axis="y", alpha=0.3)
    return fig


@paper_style
def calibration_figure(calibration: pd.DataFrame) -> Figure:
    """One panel per outcome: observed frequency against mean predicted probability per bin, per hypothesis
    (marker area by the number of mazes in the bin)."""
    fig, axes = chart(len(OUTCOMES), 1, width=PAGE_WIDTH, height=2.6)
    for ax, outcome in zip(axes[0], OUTCOMES):
        ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
        part = calibration[calibration["outcome"] == outcome]
        for name, rows in part.groupby("hypothesis", sort=False):
            ax.plot(rows["predicted"], rows["observed"], "-", color=colour(name), linewidth=0.8, label=name)
            ax.scatter(rows["predicted"], rows["observed"], s=4 + 40 * rows["mazes"] / part["mazes"].max(),
                       color=colour(name))
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel(f"predicted P({outcome.replace('_', '-')})")
        ax.set_ylabel("observed frequency")
        ax.grid(alpha=0.3)
    # beside the panels, not over them: the left panel's corners hold the intended and compatible points
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside right center")
    fig.suptitle("Calibration on the scored mazes (one outcome against the rest)", fontsize=9)
    return fig


@paper_style
def ll_difference_figure(per_maze: pd.DataFrame, features: pd.DataFrame,
                         pairs: Sequence[tuple[str, str]]) -> Figure:
    """Rows: pairs (A, B); columns: features; dots: per-maze log p_A(y) - log p_B(y), coloured by the
    observed outcome. Differences beyond +-CAP, infinite ones included (a hypothesis gave the observed
    outcome probability zero), sit on the dotted lines at +-CAP."""
    fig, axes = chart(len(LL_FEATURES), len(pairs), width=PAGE_WIDTH, height=2.2 * len(pairs))
    for row, (a, b) in enumerate(pairs):
        with np.errstate(invalid="ignore"):
            diff = (per_maze[f"ll_{a}"] - per_maze[f"ll_{b}"]).to_numpy()
        shown = np.where(np.isnan(diff), np.nan, np.clip(diff, -CAP, CAP))
        for ax, feature in zip(axes[row], LL_FEATURES):
            x = features[feature].to_numpy(dtype=float)
            for outcome in OUTCOMES:
                mask = (per_maze["observed"] == outcome).to_numpy()
                ax.scatter(x[mask], shown[mask], s=5, alpha=0.6, color=OUTCOME_COLOURS[outcome],
                           label=f"observed {outcome.replace('_', '-')}")
            ax.axhline(0, color="grey", linewidth=0.8)
            for line in (-CAP, CAP):
                ax.axhline(line, color="grey", linestyle=":", linewidth=0.8)
            ax.set_xlabel(FEATURE_LABELS[feature])
            ax.set_ylabel(f"log p[{a}] - log p[{b}]")
            ax.grid(alpha=0.3)
    axes[0, 0].legend(loc="lower left", markerscale=2)
    fig.suptitle(f"Per-maze log-likelihood differences (dotted lines: beyond +-{CAP:g}, infinities included)",
                 fontsize=9)
    return fig


@paper_style
def consistency_figure(test_steps: pd.DataFrame, max_distance: int = 40) -> Figure:
    """Mean per-step log-likelihood of each action model and baseline by the mouse's step distance to the
    cheese, for episodes that reached the cheese (left) and those that timed out (right)."""
    fig, axes = chart(2, 1, width=PAGE_WIDTH, height=2.6)
    d = test_steps["d_step_mouse_cheese"].clip(upper=max_distance).astype(int)
    for ax, (title, mask) in zip(axes[0], (("episodes that reached the cheese", ~test_steps["timed_out"]),
                                           ("episodes that timed out", test_steps["timed_out"]))):
        for name, style in CONSISTENCY_LINES.items():
            if f"ll_{name}" in test_steps:
                grouped = test_steps.loc[mask, f"ll_{name}"].groupby(d[mask]).mean()
                ax.plot(grouped.index, grouped.to_numpy(), linewidth=1, markersize=2.5, label=name, **style)
        ax.set_xlabel(f"mouse's steps to the cheese ({max_distance}+ pooled)")
        ax.set_ylabel("mean log-lik. per step")
        ax.set_title(f"{title} ({int(mask.sum())} steps)", fontsize=8)
        ax.grid(alpha=0.3)
    fig.legend(*axes[0, 0].get_legend_handles_labels(), loc="outside lower center", ncols=4)  # clear of both panels
    fig.suptitle("Held-out actions: location-dependent and fixed preferences against two baselines", fontsize=9)
    return fig


@paper_style
def shutdown_figure(summary: dict[str, Any]) -> Figure:
    """How often the agent entered the shutdown cell in each condition it played (95% Wilson), the marked
    entry rate among mazes entered unmarked where it has the trap channel, beside the training-compatible
    prediction and the most the n/(n+1) bound allows that prediction (both means over the mazes).

    Condition (a) (marked, not terminal) gets no bar: its entry rate equals the marked terminal one by
    construction, and a bar would show the same number twice as if it were a second finding."""
    bars = [(c["label"], c["rate"], c["ci"], "black") for key, c in summary["conditions"].items() if key != "marked_open"]
    given = summary.get("marked_given_unmarked")
    if given is not None:
        bars.append((f"marked, among the {given['of']}\nmazes entered unmarked", given["rate"], given["ci"], "0.55"))
    bars += [("training-compatible\nprediction", summary["compatible_entry_mean"], None, colour("compatible")),
             ("n/(n+1) bound allows\nthat mean at most", summary["bound_entry_at_most"], None, "#9ecae1")]
    fig, axes = chart(1, 1, width=PAGE_WIDTH * (0.4 + 0.1 * len(bars)), height=2.5)
    ax = axes[0, 0]
    x = np.arange(len(bars))
    ax.bar(x, [b[1] for b in bars], color=[b[3] for b in bars])
    for k, (_, value, ci, _) in enumerate(bars):
        top = value
        if ci is not None:
            ax.errorbar([k], [value], yerr=[[value - ci[0]], [ci[1] - value]], color="grey", capsize=3, linewidth=0.8)
            top = ci[1]
        ax.text(k, top + 0.02, f"{value:.3f}", ha="center", fontsize=7)
    ax.set_xticks(x, [b[0].replace(", ", ",\n") if b[3] == "black" else b[0] for b in bars], fontsize=6)
    ax.set_ylim(0, 1.1)
    ax.set_ylabel(f"P(enter the shutdown cell), n={summary['mazes']}")
    ax.grid(axis="y", alpha=0.3)
    note = ("\n(a) marked, not terminal: no bar, its entry rate equals marked, terminal's by construction"
            if "marked_open" in summary["conditions"] else "")
    ax.set_title(f"Shutdown variant: entering the shutdown cell{note}", fontsize=8)
    return fig
