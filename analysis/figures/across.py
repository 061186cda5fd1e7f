"""The figures of prediction across agents: each model's gain over the target agent's own base rate,
fitted on the target itself and on every other agent; and each model's within-agent gain against the
training region of a region sweep."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from cheesemaze.analysis.figures.canvas import COLUMN_WIDTH, PAGE_WIDTH, chart, paper_style
from cheesemaze.analysis.figures.hypotheses import colour
from cheesemaze.analysis.figures.sweep import control_position, region_ticks
from cheesemaze.envs.maze import parse_region, placement

CAP = -3.0
"""Gains below this (minus infinity included: a zero-probability outcome) are drawn at it."""
HUES = ("C0", "C1", "C2", "C3", "C4", "C5", "C9", "C8", "C6", "C7")
"""A condition's colour, in the order conditions first appear: the default cycle with cyan and olive
before pink and grey, which a lightened red or any faint shade would be confused with."""
MARKERS = {"within agent": "o", "across seeds": "s"}
"""Marker by the kind of relation (the part after the condition); another condition's fit is a triangle."""


def source_colours(sources: list[str]) -> dict[str, tuple[float, float, float]]:
    """A hue per condition (the part of ``r5/s2`` before the slash) and, within it, a lighter shade per
    further seed, so that a condition's seeds read as one family however many agents there are."""
    conditions = list(dict.fromkeys(source.split("/")[0] for source in sources))
    out = {}
    for k, condition in enumerate(conditions):
        base = np.array(to_rgb(HUES[k % len(HUES)]))
        seeds = [source for source in sources if source.split("/")[0] == condition]
        for i, source in enumerate(seeds):
            lighten = 0.5 * i / max(len(seeds) - 1, 1)
            out[source] = tuple(base + (1.0 - base) * lighten)
    return out


@paper_style
def across_figure(table: pd.DataFrame) -> Figure:
    """One panel per target agent, three to a row; x: the models; points: the gain over the target's own
    base rate (95% bootstrap interval over its mazes), one colour per source agent, filled when fitted on
    the target; one legend for all panels below them."""
    targets = list(dict.fromkeys(table["target"]))
    models = list(dict.fromkeys(table["model"]))
    sources = list(dict.fromkeys(table["source"]))
    cols = min(3, len(targets))
    rows = -(-len(targets) // cols)
    fig, axes = chart(cols, rows, width=PAGE_WIDTH, height=2.4 * rows + 0.5 + 0.12 * len(sources) / 3)
    colours = source_colours(sources)
    for ax, target in zip(axes.flat, targets):
        part = table[table["target"] == target]
        for j, source in enumerate(sources):
            rows_of = part[part["source"] == source].set_index("model").reindex(models)
            x = np.arange(len(models)) + (j - (len(sources) - 1) / 2) * 0.8 / len(sources)
            gain = rows_of["gain"].to_numpy(dtype=float)
            shown = np.maximum(gain, CAP)
            low = np.maximum(rows_of["gain_low"].to_numpy(dtype=float), CAP)
            high = np.maximum(rows_of["gain_high"].to_numpy(dtype=float), CAP)
            within = source == target
            marker = MARKERS.get(rows_of["relation"].iloc[0].split(": ")[-1], "^")
            ax.errorbar(x, shown, yerr=[np.nan_to_num(shown - low), np.nan_to_num(high - shown)], fmt=marker,
                        color=colours[source], markersize=3.5, capsize=1.5, linewidth=0.7,
                        mfc=None if within else "white")
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.axhline(CAP, color="grey", linestyle=":", linewidth=0.8)
        ax.set_xticks(np.arange(len(models)), models, rotation=35, ha="right")
        ax.set_title(f"scored on {target}", fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    for ax in axes[:, 0]:
        ax.set_ylabel("gain over the target's\nbase rate (nats per maze)")
    for ax in axes.flat[len(targets):]:
        ax.set_visible(False)
    handles = [Line2D([], [], color=colours[s], marker="o", linestyle="none", markersize=4) for s in sources]
    shapes = [Line2D([], [], color="black", marker=m, linestyle="none", markersize=4, mfc=f)
              for m, f in (("o", None), ("s", "white"), ("^", "white"))]
    fig.legend(handles + shapes, [f"fitted on {s}" for s in sources] + [
        "filled circle: fitted on the target itself", "open square: another seed of its condition",
        "open triangle: another condition"], loc="outside lower center", ncols=3)
    fig.suptitle(f"Prediction across agents (dotted line: {CAP:g} or below, -inf included)", fontsize=9)
    return fig


@paper_style
def region_sweep_figure(sweep: pd.DataFrame, world_size: int) -> Figure:
    """x: the training region r, the cheese-anywhere control at the right; y: each model's within-agent
    gain over base rate, mean over seeds with its 95% t interval (none with one seed); one line per model.

    ``sweep`` is :func:`across.region_sweep`'s table (region as text), from agents of one ``world_size``. Models sit side by side around
    each r so that their interval bars do not hide one another; means at or below ``CAP`` (minus
    infinity included) are drawn on it as open markers, and bars reaching past ``-CAP`` (a t interval
    over two seeds can be that wide) stop at the frame with a caret."""
    fig, axes = chart(1, 1, width=COLUMN_WIDTH * 2, height=3.0)
    ax = axes[0, 0]
    regions = {text: parse_region(text) for text in dict.fromkeys(sweep["region"])}
    numeric = sorted(r for r in regions.values() if r is not None)
    x_of = {text: float(placement(r)) for text, r in regions.items() if r is not None}  # region 0 at 1
    if None in regions.values():
        x_control = control_position(float(max(numeric, default=0)))
        x_of.update({text: x_control for text, r in regions.items() if r is None})
        ax.axvline((x_control + max(numeric, default=x_control - 2)) / 2, color="0.7", lw=0.6, ls="--")
    models = list(dict.fromkeys(sweep["model"]))
    positions = sorted(set(x_of.values()))
    gap = min(np.diff(positions), default=1.0)
    step = min(0.25, 0.6 * gap / max(len(models), 1))  # a region's models take at most 60% of the gap to the next
    drawn = [0.5, -0.5]
    for j, model in enumerate(models):
        rows = sweep[sweep["model"] == model].assign(x=lambda t: t["region"].map(x_of)).sort_values("x")
        x = rows["x"].to_numpy(float) + (j - (len(models) - 1) / 2) * step
        gain = rows["gain"].to_numpy(float)
        shown = np.maximum(gain, CAP)
        low = np.maximum(rows["gain_low"].to_numpy(float), CAP)
        high = np.clip(rows["gain_high"].to_numpy(float), CAP, -CAP)
        capped = gain <= CAP
        swept = rows["region"].map(regions).notna().to_numpy()
        ax.plot(x[swept], np.where(capped, np.nan, shown)[swept], "-", color=colour(model), lw=1.0)
        ax.errorbar(x, shown, yerr=[np.nan_to_num(shown - low), np.nan_to_num(high - shown)], fmt="none",
                    ecolor=colour(model), elinewidth=0.8, capsize=2)
        drawn += [v for v in (*shown, *low, *high) if np.isfinite(v)]
        cut = rows["gain_high"].to_numpy(float) > -CAP
        ax.plot(x[cut], high[cut] + 0.12, "^", ms=3, color=colour(model))  # above the bar's cap, as an arrow
        ax.plot(x[~capped], shown[~capped], "o", ms=4, color=colour(model), label=model)
        ax.plot(x[capped], shown[capped], "o", ms=4, mfc="white", color=colour(model))
    ax.axhline(0, color="black", lw=0.8, zorder=0)
    ax.axhline(CAP, color="grey", ls=":", lw=0.8, zorder=0)
    names = {**region_ticks(r for r in regions.values() if r is not None),
             **{x_of[text]: "anywhere" for text, r in regions.items() if r is None}}
    ax.set_xticks(positions, [names[x] for x in positions])
    ax.set_xlabel("training region r (cheese in the top-right r x r square; anywhere: the control)")
    ax.set_ylabel("gain over base rate\n(nats per maze)")
    ax.set_ylim(max(CAP, min(drawn)) - 0.3, min(-CAP, max(drawn)) + 0.35)
    ax.grid(axis="y", alpha=0.3)
    seeds = sorted(set(int(n) for n in sweep["seeds"]))
    ax.set_title(f"Within-agent gain over base rate by training region, {world_size}x{world_size} world (mean over "
                 f"{'/'.join(map(str, seeds))} "
                 f"seeds, 95% t interval;\nopen markers on the dotted line: {CAP:g} or below, -inf included; "
                 f"a caret: the bar goes on past {-CAP:g})",
                 fontsize=8)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), title="model")
    return fig
