"""Training curves from a run directory's ``progress*.csv`` logs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from cheesemaze.analysis.figures.canvas import PAGE_WIDTH, chart, paper_style
from cheesemaze.agents.config import EnvConfig
from cheesemaze.agents.rundir import log_parts
from cheesemaze.envs.game import MAX_STEPS

STEPS = "time/total_timesteps"
# Wall time: the run's own clock survives --resume; stable-baselines3's restarts with each part.
WALL_CLOCKS = ("time/wall_seconds", "time/time_elapsed")
REWARD = "rollout/ep_rew_mean"
CHEESE = "rollout/cheese_rate"
CHEESE_SERIES = {
    CHEESE: "training episodes",
    "eval/train_cheese": "held-out, training distribution",
    "eval/anywhere_cheese": "held-out, cheese anywhere",
}


def read_progress(run_dir: Path | str) -> pd.DataFrame:
    """The training log of a run: ``progress.csv`` and the parts written after each ``--resume``."""
    run_dir = Path(run_dir)
    frames = [pd.read_csv(p) for p in log_parts(run_dir) if p.stat().st_size > 0]
    if not frames:
        raise ValueError(f"{run_dir} has no training log (progress.csv); is it a run directory?")
    df = pd.concat(frames, ignore_index=True)
    if STEPS not in df.columns:
        raise ValueError(f"the training log of {run_dir} has no {STEPS} column")
    return df.sort_values(STEPS, kind="stable").reset_index(drop=True)


def training_cut(env: EnvConfig) -> str | None:
    """How a run's training episodes differ from the game's, in a few words (None: they don't): its
    time limit, per maze size or constant, and a maze-size curriculum."""
    parts = []
    if env.max_steps_per_size:
        parts.append(f"cut at {env.max_steps_per_size:g} steps per cell of maze side (at most {env.max_steps})")
    elif env.max_steps != MAX_STEPS:
        parts.append(f"cut at {env.max_steps} steps")
    if env.size_curriculum_steps:
        parts.append(f"small mazes first for {env.size_curriculum_steps / 1e6:g}M steps")
    return ", ".join(parts) or None


@paper_style
def training_curves_figure(progress: pd.DataFrame, title: str | None = None,
                           cut: str | None = None, checkpoint_steps: int | None = None) -> Figure:
    """Mean episode reward, and cheese rates (training episodes and held-out evaluations), against
    environment steps, with wall-clock time on a second axis where the log has it. Series the log
    lacks are skipped. Where the log has the training episodes' cheese rate, the reward curve is drawn
    only where that rate is: at the start and after each ``--resume`` too few episodes have ended, and
    the first to end are the short, successful ones (``agents/callback.py``, CHEESE_WINDOW).
    ``cut`` (:func:`training_cut`) says how the run's training episodes differ from the game's: it is
    named in the legend, since the training episodes' rate then counts a cut episode as a miss and
    may be measured on other maze sizes than the held-out evaluations.
    ``checkpoint_steps`` marks the step of the checkpoint an agent loads, where the log runs past it."""
    fig, axes = chart(2, 1, width=PAGE_WIDTH, height=2.6)
    steps = progress[STEPS]
    ax = axes[0, 0]
    # Training-episode series break where the rate is missing (the start, each resume); the
    # evaluations, logged every few rollouts, are joined point to point.
    has_rate = CHEESE in progress and progress[CHEESE].notna().any()
    # this project's logs (they carry its wall clock) record the rate once it is unbiased: one without
    # it yet is a run too short for a trustworthy reward too
    rate_pending = not has_rate and WALL_CLOCKS[0] in progress
    if REWARD in progress and not rate_pending:
        reward = progress[REWARD].mask(progress[CHEESE].isna()) if has_rate else progress[REWARD]
        ax.plot(steps, reward, color="#4c72b0")
    ax.set_ylabel("mean episode reward")
    ax.set_title("training reward")
    ax = axes[0, 1]
    for column, label in CHEESE_SERIES.items():
        if column == CHEESE and has_rate:
            if cut:  # said in full above the panels; a long label would push the legend over the curves
                label = f"{label} (training's limits)"
            ax.plot(steps, progress[column], label=label)
        elif column.startswith("eval") and column in progress:
            rows = progress[column].notna()
            ax.plot(steps[rows], progress.loc[rows, column], marker="o", markersize=2.5, label=label)
    if checkpoint_steps is not None and checkpoint_steps < steps.max():
        for axis in axes[0]:
            if axis.lines:  # a marker alone would hide that the panel has no data
                axis.axvline(checkpoint_steps, color="grey", linestyle="--", linewidth=0.8,
                             label=f"agent's checkpoint ({checkpoint_steps / 1e6:.2f}M steps)")
    ax.set_ylim(0, 1.02)
    ax.set_ylabel("P(cheese)")
    ax.set_title("cheese rate")
    if ax.lines:
        ax.legend(loc="lower right")
    clock = next((c for c in WALL_CLOCKS if c in progress), None)
    for ax in axes[0]:
        ax.set_xlabel("environment steps")
        # the log's span, not the data's: a panel with one point, or none, would have no width
        ax.set_xlim(0, max(float(steps.max()), 1.0) * 1.02)
        ax.grid(alpha=0.3)
        if not ax.lines:
            text = "too few episodes ended yet" if rate_pending else "not in this log"
            ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="grey")
        elif clock is not None:
            add_wall_clock(ax, steps.to_numpy(dtype=float), progress[clock].to_numpy(dtype=float))
    heading = "\n".join(t for t in (title, cut and f"training episodes: {cut}") if t)
    if heading:
        fig.suptitle(heading, fontsize=9)
    return fig


def add_wall_clock(ax, steps: np.ndarray, seconds: np.ndarray) -> None:
    """A top axis in minutes of wall time, interpolated from the log (skipped unless it only grows, and
    grows at all: a run too short for its clock to move would give the axis no width)."""
    keep = np.isfinite(steps) & np.isfinite(seconds)
    steps, minutes = steps[keep], seconds[keep] / 60
    if len(steps) < 2 or np.any(np.diff(steps) <= 0) or np.any(np.diff(minutes) < 0) or minutes[-1] <= minutes[0]:
        return
    top = ax.secondary_xaxis("top", functions=(lambda s: np.interp(s, steps, minutes),
                                               lambda m: np.interp(m, minutes, steps)))
    # only ticks inside the logged time: beyond it the interpolation clamps and labels would pile up
    ticks = MaxNLocator(nbins=6).tick_values(minutes[0], minutes[-1])
    top.set_xticks(ticks[(ticks >= minutes[0]) & (ticks <= minutes[-1])])
    top.set_xlabel("wall time (minutes)")
