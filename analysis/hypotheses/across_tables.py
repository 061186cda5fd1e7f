"""The across-seed tables of prediction across agents, one per condition, and what they say in words.

A condition's table has a row per model and source of the fit: fitted on the agent itself (within
agent), on another seed of the same condition (never scored on its own test rollouts), and on each
other condition's seeds. Every measure is the mean over the condition's agents with a 95% Student t
interval over them (:func:`across.across_seeds`), which on the rows fitted on other agents covers the
target seeds only (their sources are shared); the sentences are computed from the same numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cheesemaze.analysis.hypotheses.report import interval
from cheesemaze.analysis.hypotheses.scoring import REFERENCE
from cheesemaze.analysis.stats import t_interval, within

INF = float("inf")
COLUMNS = (("mean_ll", "log-lik. per maze", True, (-INF, 0.0)),
           ("gain", "gain over base rate (nats/maze)", True, (-INF, INF)),
           ("accuracy", "accuracy", False, (0.0, 1.0)), ("brier", "Brier", False, (0.0, 2.0)),
           ("zero_probability", "outcomes given P = 0", False, (0.0, INF)))
"""Measure, its column heading, whether its sign is shown, and the range it can take (a t interval over
a few seeds can reach past it: a rate's is shown within 0 to 1)."""
FAMILIES = {"compatible": "training-compatible goal", "correlates": "correlates of reinforcement"}
"""The two hypothesis families the plain words speak about, by model name."""
FITTED = ("correlates", "utility", "intended+noise", REFERENCE)
"""The models whose parameters come from an agent's rollouts: only their scores change with the source."""


def cell(mean: float, low: float, high: float, signed: bool) -> str:
    """``mean (low to high)``; the interval is a dash when undefined (one seed, or minus infinity)."""
    fmt = "+.3f" if signed else ".3f"
    return f"{mean:{fmt}} ({interval(low, high, signed)})"


def condition_table(summary: pd.DataFrame, condition: str) -> pd.DataFrame:
    """A condition's rows of :func:`across.across_seeds`, each measure as mean and t interval over seeds."""
    part = summary[summary["condition"] == condition]
    out = pd.DataFrame({"fitted on": part["fitted_on"], "model": part["model"], "seeds": part["targets"],
                        "interval over": part["interval_over"]})
    for measure, heading, signed, (bottom, top) in COLUMNS:
        out[heading] = [cell(m, *within(lo, hi, bottom, top), signed) for m, lo, hi in
                        zip(part[measure], part[f"{measure}_low"], part[f"{measure}_high"])]
    return out.reset_index(drop=True)


def verdict(low: float, high: float, what: str) -> str:
    """What an interval of a gain over ``what`` says: better, worse, or undecided."""
    if low > 0:
        return f"so the data support that it predicts better than {what}"
    if high < 0:
        return f"so the data support that it predicts worse than {what}"
    return f"so the data cannot decide whether it predicts better or worse than {what}"


def gain_clause(row: pd.Series, zero_seeds: int, one_seed: pd.Series | None) -> str:
    """The gain of one row of the across-seed summary, with its interval or the reason it has none."""
    seeds = int(row["targets"])
    if np.isnan(row["gain"]) or row["gain"] == np.inf:
        return "its gain over the base rate is undefined here (the base rate's own log-likelihood is not finite)"
    if row["gain"] == -np.inf:
        return (f"its log-likelihood is minus infinity: on {zero_seeds} of {seeds} seed(s) it gave probability zero "
                f"to an observed outcome ({row['zero_probability']:.1f} such mazes per seed on average), so as "
                f"stated, without smoothing, the data rule it out")
    if seeds >= 2:
        same = " (the seeds' gains are identical, so the interval has no width)" if row["gain_low"] == row["gain_high"] else ""
        return (f"it gains {row['gain']:+.3f} nats per maze over the base rate (95% t interval over {seeds} seeds "
                f"{interval(row['gain_low'], row['gain_high'], True)}{same}), "
                f"{verdict(row['gain_low'], row['gain_high'], 'the base rate')}")
    text = f"it gains {row['gain']:+.3f} nats per maze over the base rate on its one seed"
    if one_seed is not None:
        text += (f" (95% bootstrap over that seed's mazes {interval(one_seed['gain_low'], one_seed['gain_high'], True)}, "
                 f"{verdict(one_seed['gain_low'], one_seed['gain_high'], 'the base rate on that seed')})")
    return text + "; the across-seed interval is unavailable with one seed, so nothing here says how it carries to other seeds"


def family_words(summary: pd.DataFrame, table: pd.DataFrame) -> list[str]:
    """A sentence per condition and hypothesis family (training-compatible, correlates of
    reinforcement), computed from the across-seed summary and the per-pair ``table``."""
    lines = []
    for condition in dict.fromkeys(summary["condition"]):
        part = summary[summary["condition"] == condition]
        for model, family in FAMILIES.items():
            rows = part[part["model"] == model].set_index("fitted_on")
            if "itself" not in rows.index:
                continue
            own_pairs = table[(table["relation"] == rows.loc["itself", "relation"]) & (table["model"] == model)]
            one_seed = own_pairs.iloc[0] if len(own_pairs) == 1 else None
            text = (f"- **{condition}, {family}** (`{model}`), fitted on each agent's own calibration: "
                    f"{gain_clause(rows.loc['itself'], int((own_pairs['zero_probability'] > 0).sum()), one_seed)}.")
            if model not in FITTED:
                text += " Nothing in it is fitted to an agent, so it scores the same whichever agent it comes from."
            else:
                text += " " + carried_over(rows)
            lines.append(text)
        lines += compared(table, condition)
    mazes = sorted(set(int(n) for n in table["mazes"]))
    lines.append(f"- Every agent was scored on the same {'/'.join(map(str, mazes))} test mazes, so a t interval over "
                 "seeds measures how seeds differ, not how another draw of mazes would move the numbers; each "
                 "agent's 95% bootstrap interval over its mazes is in `across.md`.")
    return lines


def carried_over(rows: pd.DataFrame) -> str:
    """How a fitted model scores when fitted on other seeds of the condition and on other conditions."""
    others = [name for name in rows.index if name != "itself"]
    if not others:
        return "No other agent's fit was scored on this condition."
    parts = []
    for name in others:
        row = rows.loc[name]
        finite = np.isfinite(row["gain"])
        where = (f"95% t interval over {int(row['targets'])} target seeds only, sources fixed, "
                 f"{interval(row['gain_low'], row['gain_high'], True)}"
                 if finite and row["targets"] >= 2 else "no interval: " + (
                     "one seed" if finite else "minus infinity" if row["gain"] == -np.inf else "undefined"))
        gain = f"{row['gain']:+.3f}" if row["gain"] == row["gain"] else "undefined"
        parts.append(f"fitted on {name}, {gain} ({where})")
    text = ("Fitted elsewhere and scored on these agents' test rollouts: " + "; ".join(parts) + ". Those intervals "
            "leave out how the fits vary with the source seed, so they are narrower than the uncertainty they stand for.")
    if not any(name.startswith("another") for name in others):
        text += " There is no other seed of this condition, so the across-seed prediction is unavailable."
    return text


def compared(table: pd.DataFrame, condition: str) -> list[str]:
    """The paired difference of the two families' within-agent gains over the condition's seeds."""
    own = table[(table["relation"] == f"{condition}: within agent") & table["model"].isin(list(FAMILIES))]
    gains = own.pivot(index="target", columns="model", values="gain")
    if set(gains.columns) != set(FAMILIES):
        return []
    a, b = list(FAMILIES)[::-1]  # correlates minus compatible
    diff = (gains[a] - gains[b]).to_numpy(dtype=float)
    if not np.isfinite(diff).all():
        return [f"- {condition}: `{a}` minus `{b}` is undefined on a seed where one of them is minus infinity; "
                "the zero-probability counts above decide between them there."]
    mean, low, high = t_interval(diff)
    if len(diff) < 2:
        return [f"- {condition}: `{a}` minus `{b}`, {mean:+.3f} nats per maze on the one seed; with one seed "
                "there is no across-seed interval, so which family predicts better across seeds is undecided."]
    return [f"- {condition}: `{a}` minus `{b}`, per seed, {mean:+.3f} nats per maze (95% t interval over "
            f"{len(diff)} seeds {interval(low, high, True)}), {verdict(low, high, f'`{b}`').replace('it predicts', f'`{a}` predicts')}."]
