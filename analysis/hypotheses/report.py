"""Score tables (CSV and Markdown), the files a scoring writes, and the short report tying them together."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cheesemaze.analysis.hypotheses.baselines import BASELINES
from cheesemaze.analysis.hypotheses.predictions import Alignment
from cheesemaze.analysis.hypotheses.scoring import Scores, flat_table, sampling_zero_test
from cheesemaze.analysis.stats import unseen_mass
from cheesemaze.analysis.tables import markdown_table

SCORES_CSV, SCORES_MD = "scores.csv", "scores.md"
MEASURES = (
    ("mean_ll", "mean held-out log-likelihood per maze", max),
    ("accuracy", "accuracy of the most probable outcome", max),
    ("brier", "Brier score", min),
    ("ece", "expected calibration error", min),
)


def comparison_table(scores: Scores) -> pd.DataFrame:
    """The headline table: one row per hypothesis (baselines first), intervals as 'low to high' text.

    Only full-sample scores: the mean over the mazes a hypothesis did not rule out is selected by the
    outcome, so it stays in ``scores.csv`` (``mean_ll_nonzero_only``) and out of this table."""
    t = scores.table
    return pd.DataFrame({
        "hypothesis": t["hypothesis"],
        "kind": ["baseline" if h in BASELINES else "hypothesis" for h in t["hypothesis"]],
        "mazes": t["mazes"],
        "log-lik. per maze": t["mean_ll"],
        "95% interval": [interval(lo, hi) for lo, hi in t["mean_ll_ci"]],
        "gain over base rate (nats/maze)": t["gain"],
        "gain 95%": [interval(lo, hi, signed=True) for lo, hi in t["gain_ci"]],
        "observed outcomes given P = 0": t["zero_probability"],
        "accuracy": t["accuracy"],
        "accuracy 95%": [interval(lo, hi) for lo, hi in t["accuracy_ci"]],
        "Brier": t["brier"],
        "Brier 95%": [interval(lo, hi) for lo, hi in t["brier_ci"]],
        "ECE": t["ece"],
    })


def interval(low: float, high: float, signed: bool = False) -> str:
    """'low to high' with three decimals (signs shown for gains); a dash when undefined."""
    if np.isnan(low) or np.isnan(high):
        return "-"
    fmt = "+.3f" if signed else ".3f"
    return f"{low:{fmt}} to {high:{fmt}}"


NOT_MEASURED = "whether the account itself is ruled out was not measured in this output (it predates the count of cells)."
"""Said where an older output lacks the cells that size a sampled model's Monte Carlo error."""


def unseen_clause(samples: int, each: str, seen: str = "observed") -> str:
    """The Monte Carlo bound behind :func:`sampling_zero_test` in words: if the account held, ``each``
    (the cells, say "each outcome a maze allows") would be both missed by all K goals and ``seen`` with
    probability at most :func:`unseen_mass`."""
    return (f"if the account held, {each} would be both missed by all {samples} goals and {seen} with probability "
            f"at most {unseen_mass(samples):.4f} (the largest p(1 - p)^K)")


def sampling_zero_verdict(samples: str, zeros: int, cells: float | None) -> str:
    """Why the model's zeros are sampling zeros of an average over ``samples`` (K) goals, and whether
    ``zeros`` of them go beyond that sampling error over ``cells`` allowed (maze, outcome) pairs
    (:func:`sampling_zero_test`)."""
    k = f"K = {samples}" if samples != "K" else "K"
    text = (f"it averages {k} sampled goals, and a zero means none of them reached that outcome, not that the "
            "account gives it probability 0. The K-goal average as stated is ruled out; ")
    if cells is None or not str(samples).isdigit() or cells != cells:
        return text + NOT_MEASURED
    test = sampling_zero_test(zeros, int(cells), int(samples))
    each = f"each of the {test['cells']} outcomes the mazes allow"
    return text + (f"{unseen_clause(int(samples), each)}, so at "
                   f"most {test['expected']:.2g} such zeros would be observed on average, and {test['zeros']} or more "
                   f"with probability at most {format_p(test['p'])} (Chernoff bound). So "
                   + ("the data rule out the account itself, not only its estimate." if test["beyond"] else
                      "these zeros are within its sampling error: the data do not rule out the account itself."))


def format_p(p: float) -> str:
    """A probability bound for prose: two significant figures, or a power of ten when tiny."""
    return f"{p:.2g}" if p >= 1e-3 else f"1e{int(np.ceil(np.log10(max(p, 1e-300))))}"


def winners(scores: Scores) -> list[str]:
    """One sentence per measure: which hypothesis is best, and whether its interval separates it from the next."""
    t = scores.table.set_index("hypothesis")
    lines = []
    for column, label, best in MEASURES:
        values = t[column]
        if values.isna().all():
            continue
        order = values.sort_values(ascending=best is min)
        top, second = order.index[0], order.index[1] if len(order) > 1 else None
        text = f"- {label}: **{top}** ({values[top]:.3f})"
        if second is not None:
            text += f", then {second} ({values[second]:.3f})"
            ci = f"{column}_ci"
            if ci in t.columns:
                (lo1, hi1), (lo2, hi2) = t.loc[top, ci], t.loc[second, ci]
                apart = lo1 > hi2 if best is max else hi1 < lo2
                text += "; the 95% intervals " + ("do not overlap" if apart else "overlap")
        lines.append(text + ".")
    return lines


def write_scores(folder: Path, scores: Scores, alignment: Alignment, meta: dict[str, Any]) -> None:
    """Write the score tables, the per-maze log-likelihoods and a JSON summary into ``folder``."""
    folder = Path(folder)
    flat_table(scores.table).to_csv(folder / SCORES_CSV, index=False)
    (folder / SCORES_MD).write_text(markdown_table(comparison_table(scores)))
    flat_table(scores.bayes_factors).to_csv(folder / "bayes_factors.csv", index=False)
    scores.calibration.to_csv(folder / "calibration.csv", index=False)
    per_maze = pd.concat([alignment.rows[["level_seed", "has_dsq", "d_euclid_cheese_tr", "d_step_dsq_cheese"]],
                          scores.per_maze], axis=1)
    per_maze.to_csv(folder / "per_maze.csv", index=False)
    summary = {**meta, "scored_mazes": len(alignment.rows),
               "predicted_not_evaluated": alignment.predicted_not_evaluated,
               "scores": json_safe(flat_table(scores.table).to_dict(orient="records")),
               "bayes_factors": json_safe(flat_table(scores.bayes_factors).to_dict(orient="records"))}
    (folder / "scores.json").write_text(json.dumps(summary, indent=2) + "\n")


def json_safe(value: Any) -> Any:
    """Replace non-finite floats by the strings '-inf', 'inf' and 'nan' (JSON has no such numbers)."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (float, np.floating)) and not np.isfinite(value):
        return "nan" if np.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, np.integer):
        return int(value)
    return value


def bayes_lines(scores: Scores) -> list[str]:
    """Log Bayes factors of each hypothesis against each later one (both directions are in the CSV)."""
    names = list(scores.table["hypothesis"])
    lines = []
    bf = scores.bayes_factors
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            row = bf[(bf["hypothesis"] == a) & (bf["against"] == b)].iloc[0]
            value = row["log_bayes_factor"]
            lo, hi = row["per_maze_ci"]
            if np.isnan(value):
                text = (f"undefined (both give probability 0 to some observed outcome); outcome-selected subset, "
                        f"the {row['mazes_both_nonzero']} mazes where both gave the observed outcome P > 0: "
                        f"{row['log_bayes_factor_both_nonzero_only']:.1f}")
            else:
                text = f"{value:.1f} (per maze {row['per_maze']:.3f}, 95% {lo:.3f} to {hi:.3f})"
            lines.append(f"- log BF({a} : {b}) = {text}")
    return lines
