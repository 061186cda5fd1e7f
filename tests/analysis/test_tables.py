"""Markdown tables: one line per row, NaN as a dash, pipes escaped."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cheesemaze.analysis.tables import markdown_table


def test_markdown_table_formats_floats_dashes_nan_and_escapes_pipes():
    df = pd.DataFrame({"name": ["a|b", "c"], "rate": [0.12345, np.nan], "n": [3, 4]})
    assert markdown_table(df) == (
        "| name | rate | n |\n"
        "|---|---|---|\n"
        "| a\\|b | 0.123 | 3 |\n"
        "| c | - | 4 |\n"
    )
    assert "0.12 |" in markdown_table(df, floatfmt=".2f")
