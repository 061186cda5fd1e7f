"""Chart figures on the Agg canvas (no pyplot, no display) and saving them as PNG and PDF."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from cheesemaze.envs.files import write_atomic

if TYPE_CHECKING:
    import pandas as pd

# Sizes in inches for a paper: one column is about 3.4 in wide, a full page width about 7 in.
COLUMN_WIDTH = 3.4
PAGE_WIDTH = 7.0
PAPER_RC = {"font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8, "xtick.labelsize": 7,
            "ytick.labelsize": 7, "legend.fontsize": 7, "legend.frameon": False}
OUTCOME_COLOURS = {"cheese": "#e0a500", "top_right": "#d62728", "other": "#7f7f7f", "shutdown": "#1f6fd1"}


P = ParamSpec("P")
R = TypeVar("R")


def paper_style(build: Callable[P, R]) -> Callable[P, R]:
    """Build a figure with print-sized fonts (matplotlib fixes a text's size when it is created)."""
    @functools.wraps(build)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with mpl.rc_context(PAPER_RC):
            return build(*args, **kwargs)
    return wrapper


def chart(n_cols: int = 1, n_rows: int = 1, width: float = COLUMN_WIDTH, height: float = 2.6) -> tuple[Figure, np.ndarray]:
    """A figure of ``width`` x ``height`` inches with a grid of axes (2-D array)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(n_rows, n_cols, squeeze=False)


def figure_bytes(fig: Figure, fmt: str, dpi: int = 200) -> bytes:
    """The figure encoded as ``fmt`` (``png``, ``pdf``, ``svg``)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=dpi)
    return buffer.getvalue()


def save_figure(fig: Figure, stem: Path | str, formats: Sequence[str] = ("png", "pdf")) -> list[Path]:
    """Write ``stem.png`` and ``stem.pdf`` (each atomically); returns the paths written."""
    paths = []
    for fmt in formats:
        path = Path(f"{stem}.{fmt}")
        write_atomic(path, figure_bytes(fig, fmt))
        paths.append(path)
    return paths


def interval_words(table: pd.DataFrame) -> str:
    """What a figure's 95% intervals are, from the ``seeds`` behind each drawn mean (a group of one agent
    draws that agent's interval over mazes; ``seeds.with_agent_intervals``); plain without that column."""
    if "seeds" not in table:
        return "95% intervals"
    seeds = table["seeds"]
    if seeds.min() >= 2:
        return "95% t intervals over seeds"
    if seeds.max() < 2:
        return "95% intervals over mazes (one seed each)"
    return "95% intervals: t over seeds, over mazes for a group of one seed"
