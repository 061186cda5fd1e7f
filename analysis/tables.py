"""Tables as text: the Markdown tables of the reports, and an estimate with its interval as one cell."""

from __future__ import annotations

import numpy as np
import pandas as pd


def markdown_table(df: pd.DataFrame, floatfmt: str = ".3f") -> str:
    """A GitHub-flavoured Markdown table of ``df`` (no index); NaN shows as a dash."""
    def cell(v: object) -> str:
        if isinstance(v, (float, np.floating)):
            return "-" if np.isnan(v) else format(v, floatfmt)
        return str(v).replace("|", "\\|")

    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def with_ci(value: float, low: float, high: float) -> str:
    """``0.582 (0.538 to 0.624)``; the value alone where the interval is undefined, a dash for no value."""
    if not np.isfinite(value):
        return "-"
    return f"{value:.3f}" if not (np.isfinite(low) and np.isfinite(high)) else f"{value:.3f} ({low:.3f} to {high:.3f})"
