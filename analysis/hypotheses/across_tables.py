"""The across-seed tables of prediction across agents, one per condition, and what they say in words.

A condition's table has a row per model and source of the fit: fitted on the agent itself (within
agent), on another seed of the same condition (never scored on its own test rollouts), and on each
other condition's seeds. Every measure is the mean over the condition's agents with a 95% Student t
interval over them (:func:`across.across_seeds`), which on the rows fitted on other agents covers the
target seeds only (their sources are shared); the sentences are computed from the same numbers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cheesemaze.analysis.hypotheses.report import interval, unseen_clause
from cheesemaze.analysis.hypotheses.scoring import REFERENCE, ZERO_ALPHA, sampling_zero_test
from cheesemaze.analysis.stats import t_interval, within

INF = float("inf")
COLUMNS = (("mean_ll", "log-lik. per maze", True, (-INF, 0.0)),
           ("gain", "gain over base rate (nats/maze)", True, (-INF, INF)),
           ("accuracy", "accuracy", False, (0.0, 1.0)), ("brier", "Brier", False, (0.0, 2.0)),
           ("zero_probability", "outcomes given P = 0", False, (0.0, INF)))
"""Measure, its column heading, whether its sign is shown, and the range it can take (a t interval over
a few seeds can reach past it: a rate's is shown within 0 to 1)."""
FAMILIES = {"compatible": "training-compatible goal", "correlates": "correlates of reinforcement",
            "utility": "time-discounted utility", "intended": "intended goal (the cheese)"}
"""The hypotheses the plain words speak about, by model name."""
COMPARED = (("correlates", "compatible"), ("correlates", "utility"))
"""Pairs whose within-agent gains the plain words compare, first minus second."""
SAMPLED = "compatible"
"""The model that averages K sampled goals: its zeros mean no sampled goal reached the outcome."""
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


AT_BOUND = "A fit at a bound is the best its allowed range offers, not a peak inside it"
PULLED_PAST = "the data pull that parameter past what the model permits"
STOPPED_SHORT = "are where the search stopped, not a maximum of the calibration likelihood"
"""What an unconverged fit's parameters are, in the per-agent and the group words alike."""


def stopped_why(fit: dict[str, Any]) -> str:
    """Why a fit that did not converge stopped: its optimiser's message and the likelihood evaluations spent."""
    return f"{fit.get('message', 'no message')}, after {fit.get('evaluations', '?')} likelihood evaluations"
"""What a fit stopped at a parameter bound means, said the same way in every report that names one."""


def verdict(low: float, high: float, what: str) -> str:
    """What an interval of a gain over ``what`` says: better, worse, or undecided."""
    if low > 0:
        return f"so the data support that it predicts better than {what}"
    if high < 0:
        return f"so the data support that it predicts worse than {what}"
    return f"so the data cannot decide whether it predicts better or worse than {what}"


def gain_clause(row: pd.Series, zero_seeds: int, one_seed: pd.Series | None, samples: str | None = None) -> str:
    """The gain of one row of the across-seed summary, with its interval or the reason it has none;
    ``samples`` (K) where the model's zeros are sampling zeros of an average over K sampled goals."""
    seeds = int(row["targets"])
    if np.isnan(row["gain"]) or row["gain"] == np.inf:
        return "its gain over the base rate is undefined here (the base rate's own log-likelihood is not finite)"
    if row["gain"] == -np.inf:
        text = (f"its log-likelihood is minus infinity: on {zero_seeds} of {seeds} seed(s) it gave probability zero "
                f"to an observed outcome ({row['zero_probability']:.1f} such mazes per seed on average), so as "
                f"stated, without smoothing, the data rule it out")
        if samples is not None:
            text += (f". Its zeros are sampling zeros: it averages K = {samples} sampled goals, and a zero means none "
                     "of them reached that outcome, not that the account gives it probability 0; the opening "
                     "paragraph says on which agents they go beyond that sampling error, ruling out the account itself")
        return text
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


def family_words(summary: pd.DataFrame, table: pd.DataFrame,
                 parameters: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """A sentence per condition and hypothesis (training-compatible, correlates of reinforcement,
    utility, intended), computed from the across-seed summary and the per-pair ``table``; given each
    agent's fitted ``parameters`` (its prediction file's), the seeds whose fit stopped at a bound are
    named with their gains, and the compatible model's K."""
    parameters = parameters or {}
    lines = []
    for condition in dict.fromkeys(summary["condition"]):
        part = summary[summary["condition"] == condition]
        for model, family in FAMILIES.items():
            rows = part[part["model"] == model].set_index("fitted_on")
            if "itself" not in rows.index:
                continue
            own_pairs = table[(table["relation"] == rows.loc["itself", "relation"]) & (table["model"] == model)]
            one_seed = own_pairs.iloc[0] if len(own_pairs) == 1 else None
            samples = sample_count(parameters, list(own_pairs["target"])) if model == SAMPLED else None
            text = (f"- **{condition}, {family}** (`{model}`), fitted on each agent's own calibration: "
                    f"{gain_clause(rows.loc['itself'], int((own_pairs['zero_probability'] > 0).sum()), one_seed, samples)}."
                    f" {zero_words(own_pairs)}")
            for note in (at_bounds(own_pairs, parameters, model), unconverged(own_pairs, parameters, model)):
                if note:
                    text += " " + note
            if model not in FITTED:
                text += " Nothing in it is fitted to an agent, so it scores the same whichever agent it comes from."
            else:
                text += " " + carried_over(rows)
            lines.append(text)
        lines += [line for a, b in COMPARED for line in compared(table, condition, a, b)]
    mazes = sorted(set(int(n) for n in table["mazes"]))
    lines.append(f"- Every agent was scored on the same {'/'.join(map(str, mazes))} test mazes, so a t interval over "
                 "seeds measures how seeds differ, not how another draw of mazes would move the numbers; each "
                 "agent's 95% bootstrap interval over its mazes is in `across.md`.")
    return lines


def sample_count(parameters: dict[str, dict[str, Any]], labels: list[str]) -> str:
    """K, the sampled goals the compatible model averages on these agents (``K`` where unknown)."""
    counts = {((parameters.get(label) or {}).get(SAMPLED) or {}).get("samples") for label in labels}
    return str(counts.pop()) if len(counts) == 1 and None not in counts else "K"


def zero_words(own: pd.DataFrame) -> str:
    """Per seed: observed outcomes given probability 0, and those given a probability above 0 but below
    1e-6 (near-zero: counted apart, not smoothed)."""
    def per_seed(column: str) -> str:
        counts = own.set_index("target")[column]
        if not counts.any():
            return "none on any seed"
        return ", ".join(f"{target} {int(n)}" for target, n in counts.items())

    text = f"Observed outcomes given P = 0: {per_seed('zero_probability')}"
    if "near_zero_probability" in own:
        text += f"; given 0 < P < 1e-6 (near-zero, not smoothed): {per_seed('near_zero_probability')}"
    return text + "."


def at_bounds(own: pd.DataFrame, parameters: dict[str, dict[str, Any]], model: str) -> str:
    """The seeds whose fit of ``model`` stopped at a parameter bound, each with its gain, beside the other
    seeds' gains; empty where none did."""
    gains = own.set_index("target")["gain"]
    bounded = {t: ((parameters.get(t) or {}).get(model) or {}).get("fit", {}).get("at_bounds") for t in gains.index}
    bounded = {t: b for t, b in bounded.items() if b}
    if not bounded:
        return ""
    named = "; ".join(f"on {t} the fit stopped at a bound ({', '.join(b)}) and scores {gains[t]:+.3f}"
                      for t, b in bounded.items())
    rest = [f"{gains[t]:+.3f} ({t})" for t in gains.index if t not in bounded]
    return (named[0].upper() + named[1:] + (f"; the other seeds {', '.join(rest)}" if rest else "") + f". {AT_BOUND} "
            f"({PULLED_PAST}), so such a seed's gain shows the model's limits as much as the agent, and the mean over "
            "seeds carries it.")


def unconverged(own: pd.DataFrame, parameters: dict[str, dict[str, Any]], model: str) -> str:
    """The seeds whose fit of ``model`` did not converge, each with why (its optimiser's message) and its
    gain; empty where every fit converged."""
    gains = own.set_index("target")["gain"]
    fits = {t: ((parameters.get(t) or {}).get(model) or {}).get("fit") or {} for t in gains.index}
    failed = {t: fit for t, fit in fits.items() if fit.get("converged") is False}
    if not failed:
        return ""
    named = "; ".join(f"on {t} ({stopped_why(fit)}; gain {gains[t]:+.3f})" for t, fit in failed.items())
    return f"The fit did not converge {named}: those parameters {STOPPED_SHORT}, and the gain is that of those parameters."


def headline(summary: pd.DataFrame, table: pd.DataFrame, parameters: dict[str, dict[str, Any]] | None = None) -> str:
    """The short paragraph above the details: what the data say about the training-compatible goal and the
    correlates of reinforcement over all conditions, computed from the same numbers as the sentences below."""
    parameters = parameters or {}
    own = table[table["relation"].str.endswith(": within agent")]
    words = []
    compatible = own[own["model"] == SAMPLED]
    if len(compatible):
        words.append(compatible_headline(compatible.set_index("target"), sample_count(parameters, list(compatible["target"]))))
    groups: dict[str, list[str]] = {"better": [], "worse": [], "undecided": [], "one seed": []}
    for condition in dict.fromkeys(summary["condition"]):
        rows = summary[(summary["condition"] == condition) & (summary["model"] == "correlates")
                       & (summary["fitted_on"] == "itself")]
        if rows.empty:
            continue
        row = rows.iloc[0]
        if row["targets"] < 2 or not np.isfinite(row["gain"]):
            groups["one seed" if row["targets"] < 2 else "undecided"].append(condition)
            continue
        text = (f"{condition} ({row['gain']:+.3f}, {interval(row['gain_low'], row['gain_high'], True)}, "
                f"{int(row['targets'])} seeds)")
        groups["better" if row["gain_low"] > 0 else "worse" if row["gain_high"] < 0 else "undecided"].append(text)
    clauses = []
    if groups["better"]:
        clauses.append("predicts outcomes better than the base rate across seeds in " + "; ".join(groups["better"]))
    if groups["worse"]:
        clauses.append("predicts worse than the base rate across seeds in " + "; ".join(groups["worse"]))
    if groups["undecided"]:
        clauses.append("cannot be told from the base rate across seeds in " + "; ".join(groups["undecided"]))
    if clauses:
        words.append("Correlates of reinforcement, fitted on each agent's own calibration and scored on its test "
                     "mazes (gain over the base rate in nats per maze, 95% t interval over seeds), "
                     + ", and ".join(clauses) + ".")
    if groups["one seed"]:
        words.append(f"{', '.join(groups['one seed'])}: one seed each so far, so nothing across seeds is said about "
                     "them here; their single-agent numbers are below.")
    return " ".join(words)


def compatible_headline(rows: pd.DataFrame, samples: str) -> str:
    """What the training-compatible model's zeros say across agents (``rows``: its within-agent row per
    target): on how many agents they go beyond the sampling error of its average over ``samples`` goals
    (:func:`~cheesemaze.analysis.hypotheses.scoring.sampling_zero_test`, over the outcomes each agent's
    mazes allow), so that the account itself is ruled out there, and on which they stay within it."""
    zeros = rows["zero_probability"]
    hit = zeros[zeros > 0]
    text = f"The training-compatible goal, as stated (an average over K = {samples} sampled goals), "
    if hit.empty:
        return text + f"gives no observed outcome probability zero on any of {len(zeros)} agents."
    text += (f"gave an observed outcome probability zero on {len(hit)} of {len(zeros)} agents ({int(hit.min())} to "
             f"{int(hit.max())} test mazes each), which rules out that average.")
    if "allowed_cells" not in rows or not samples.isdigit() or rows.loc[hit.index, "allowed_cells"].isna().any():
        return text + " Whether the zeros go beyond its sampling error needs K and the allowed cells, which this output lacks."
    tests = {t: sampling_zero_test(int(zeros[t]), int(rows.loc[t, "allowed_cells"]), int(samples)) for t in hit.index}
    beyond = [t for t, test in tests.items() if test["beyond"]]
    within_error = [f"{t} ({int(zeros[t])} against at most {tests[t]['expected']:.2g} expected)"
                    for t in hit.index if t not in beyond]
    clause = unseen_clause(int(samples), "each outcome a maze allows")
    text += f" {clause[0].upper()}{clause[1:]}. "
    if beyond:
        text += (f"On {len(beyond)} of those {len(hit)} agents there are more zeros than that allows (Chernoff bound "
                 f"below {ZERO_ALPHA}, each agent tested alone), so the data rule out the account itself there")
        if within_error:
            text += f"; on {', '.join(within_error)} the zeros are within that error, so the data cannot rule it out there"
        return text + "."
    return text + (f"On none of them are there more zeros than that allows ({', '.join(within_error)}), so the data "
                   "cannot rule out the account itself.")


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
    text = "Fitted elsewhere and scored on these agents' test rollouts: " + "; ".join(parts) + "."
    if any("interval over" in part for part in parts):
        text += (" Those intervals leave out how the fits vary with the source seed, so they are narrower than the "
                 "uncertainty they stand for.")
    if not any(name.startswith("another") for name in others):
        text += " There is no other seed of this condition, so the across-seed prediction is unavailable."
    return text


def compared(table: pd.DataFrame, condition: str, a: str, b: str) -> list[str]:
    """The paired difference of two models' within-agent gains (``a`` minus ``b``) over the condition's seeds."""
    own = table[(table["relation"] == f"{condition}: within agent") & table["model"].isin([a, b])]
    gains = own.pivot(index="target", columns="model", values="gain")
    if set(gains.columns) != {a, b}:
        return []
    diff = (gains[a] - gains[b]).to_numpy(dtype=float)
    if not np.isfinite(diff).all():
        return [f"- {condition}: `{a}` minus `{b}` is undefined on a seed where one of them is minus infinity; "
                "the zero-probability counts above decide between them there."]
    mean, low, high = t_interval(diff)
    if len(diff) < 2:
        return [f"- {condition}: `{a}` minus `{b}`, {mean:+.3f} nats per maze on the one seed; with one seed "
                "there is no across-seed interval, so which predicts better across seeds is undecided."]
    if low <= 0 <= high:
        words = f"so the data cannot tell `{a}` and `{b}` apart"
    else:
        words = verdict(low, high, f"`{b}`").replace("it predicts", f"`{a}` predicts")
    per_seed = ", ".join(f"{t} {d:+.3f}" for t, d in zip(gains.index, diff))
    return [f"- {condition}: `{a}` minus `{b}`, per seed, {mean:+.3f} nats per maze (95% t interval over "
            f"{len(diff)} seeds {interval(low, high, True)}; {per_seed}), {words}."]
