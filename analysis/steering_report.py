"""``cheesemaze steer``'s results for agents and groups: per agent and across seeds, beside the
published effect, as Markdown, CSV, JSON and figures in one new folder."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cheesemaze.analysis.outputs import write_results
from cheesemaze.analysis.seeds import (
    ACROSS_SEEDS, Member, against_baseline, across_seeds, baseline_section, change_words, condition_difference,
    member_columns, time_words, timed_each, with_agent_intervals, world_words,
)
from cheesemaze.analysis.steering import (
    DEFAULT_LAYER, PUBLISHED, PUBLISHED_SOURCE, PUBLISHED_TOP_RIGHT_SOURCE, SteerConfig, SteerResult, field_coeff,
    steer_agent,
)
from cheesemaze.analysis.stats import t_interval
from cheesemaze.analysis.tables import markdown_table, with_ci

CONDITION = ["layer", "kind", "coeff"]
MEASURES = ["p_cheese", "p_top_right", "effect", "cheese_move_median", "cheese_move_mean"]


def shown(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``table``'s identifying columns with each measure and its interval as one text column."""
    names = {"p_cheese": "P(cheese)", "p_top_right": "P(top-right)", "effect": "change in P(cheese)",
             "cheese_move_mean": "mean P(cheese move)", "cheese_move_median": "median P(cheese move)"}
    out = table[list(columns)].copy()
    out["coeff"] = out["coeff"].map("{:g}".format)
    for measure, name in names.items():
        low, high = (f"{measure}_low", f"{measure}_high")
        if low in table:
            out[name] = [with_ci(v, lo, hi) for v, lo, hi in zip(table[measure], table[low], table[high])]
    return out


def median_shown(row: pd.Series) -> str:
    return with_ci(row["cheese_move_median"], row["cheese_move_median_low"], row["cheese_move_median_high"])


def published_rows(per_agent: pd.DataFrame, vector: str) -> pd.DataFrame:
    """Theirs beside ours: the median P(cheese move | decision square) unedited and with the vector
    subtracted (coefficient -1) at the published site, and the same for a random vector."""
    rows = [{"source": f"published ({PUBLISHED['mazes']})", "layer": PUBLISHED["layer"], "vector": "cheese",
             "median P(cheese move) unedited": f"{PUBLISHED['cheese_move_median_before']:.2f}",
             "median P(cheese move) at coeff -1": f"{PUBLISHED['cheese_move_median_after']:.2f}",
             "P(cheese) unedited": "-", "P(cheese) at coeff -1": "-"}]
    for agent, part in per_agent.groupby("agent", sort=False):
        base = part[part["kind"] == "none"].iloc[0]
        for kind in ("maze", "random"):
            hit = part[(part["layer"] == DEFAULT_LAYER) & (part["kind"] == kind) & (part["coeff"] == -1.0)]
            if hit.empty:
                continue
            row = hit.iloc[0]
            rows.append({"source": f"ours: {agent}" + (" (random vector)" if kind == "random" else ""),
                         "layer": DEFAULT_LAYER, "vector": vector,
                         "median P(cheese move) unedited": median_shown(base),
                         "median P(cheese move) at coeff -1": median_shown(row),
                         "P(cheese) unedited": with_ci(base["p_cheese"], base["p_cheese_low"], base["p_cheese_high"]),
                         "P(cheese) at coeff -1": with_ci(row["p_cheese"], row["p_cheese_low"], row["p_cheese_high"])})
    return pd.DataFrame(rows)


def transfer_by_location(rows: pd.DataFrame) -> pd.DataFrame:
    """P(cheese) under the transferred vector, split by whether the maze's cheese lies within 2 cells
    (each axis) of the source maze's, against the unedited agent on the same mazes."""
    base = rows[rows["kind"] == "none"]
    out = []
    for (agent, layer, coeff), part in rows[rows["kind"] == "transfer"].groupby(["agent", "layer", "coeff"], sort=False):
        for near, subset in part.groupby("cheese_near_source"):
            same = base[(base["agent"] == agent) & (base["cheese_near_source"] == near)]
            out.append({"agent": agent, "layer": layer, "coeff": f"{coeff:g}", "cheese near the source's": bool(near),
                        "mazes": len(subset), "P(cheese) unedited": (same["outcome"] == "cheese").mean(),
                        "P(cheese) transferred": (subset["outcome"] == "cheese").mean()})
    return pd.DataFrame(out)


def published_section(per_agent: pd.DataFrame, vector: str) -> list[str]:
    """The published findings for this vector, with ours beside the one they give numbers for."""
    if vector == "top-right":
        return [f"## The published top-right vector\n\n{PUBLISHED_TOP_RIGHT_SOURCE}: adding their top-right vector (same site) "
                "draws the agent to the top-right in a range of mazes, subtracting it has little effect, and a vector "
                "from one maze transfers to others. They give no numbers for it; ours are in the tables below.\n"]
    return [f"## Beside the published effect\n\nThe `published` row is {PUBLISHED_SOURCE}. They also report that adding "
            "the cheese vector does little, that a maze's vector transfers only to mazes whose cheese lies within about "
            "2 cells of the source's, and that a random vector of similar size makes the policy incoherent.\n",
            markdown_table(published_rows(per_agent, vector))]


def by_layer_section(drawn: pd.DataFrame, versus: pd.DataFrame, norms: pd.DataFrame | None = None) -> list[str]:
    """Where several layers were edited: per layer and coefficient, each group's change in P(cheese) from
    each maze's vector and from the random control (mean over seeds), and each group's against the
    baseline group's (the last); nothing for one layer. ``drawn``: the across-seed table with one-seed
    groups' own intervals; ``versus``: :func:`against_baseline` of each maze's vector's effect; ``norms``:
    the vectors' sizes per agent and layer with each agent's group (for the words on size)."""
    edited = drawn[drawn["kind"].isin(["maze", "random"])]
    if edited["layer"].nunique() < 2:
        return []
    groups = list(dict.fromkeys(drawn["group"]))
    rows = []
    for (layer, coeff), part in edited.groupby(["layer", "coeff"], sort=False):
        row = {"layer": layer, "coeff": f"{coeff:g}"}
        for group in groups:
            for kind, label in (("maze", "its vector"), ("random", "random")):
                cell = part[(part["group"] == group) & (part["kind"] == kind)]
                row[f"{group}: {label}"] = ("-" if cell.empty else
                                            with_ci(*cell[["effect", "effect_low", "effect_high"]].iloc[0]))
        for group in groups[:-1] if not versus.empty else []:
            diff = versus[(versus["group"] == group) & (versus["layer"] == layer) & (versus["coeff"] == coeff)]
            if not diff.empty:
                row[f"{group} - {groups[-1]}"] = with_ci(*diff[["effect difference", "low", "high"]].iloc[0])
        rows.append(row)
    return ["## By layer\n\nThe change in P(cheese | decision square) from the unedited agent, with each maze's own "
            "vector and with a random vector of its norm, at each layer edited: the mean over seeds with a 95% t "
            "interval (an agent's own interval over mazes where its group has one seed); the last columns are each "
            "group's change minus the baseline's (see *Against the baseline group* for the method).\n",
            markdown_table(pd.DataFrame(rows)), *layer_words(drawn, versus, norms)]


def layer_words(drawn: pd.DataFrame, versus: pd.DataFrame, norms: pd.DataFrame | None) -> list[str]:
    """The by-layer table in words: where each group's own vector changes P(cheese) (interval apart from
    0), where a random vector of the same norm changes it as much or more, which differences between
    groups exclude 0, and how the groups' vectors differ in size."""
    groups = list(dict.fromkeys(drawn["group"]))
    edited = drawn[drawn["kind"].isin(["maze", "random"])]
    pairs = list(edited[["layer", "coeff"]].drop_duplicates().itertuples(index=False, name=None))
    lines = [f"In plain words (intervals as in the table; {len(pairs)} layer-coefficient pairs per group, not "
             "corrected for multiplicity):\n"]
    for group in groups:
        mine = edited[edited["group"] == group]
        own = mine[mine["kind"] == "maze"].set_index(["layer", "coeff"])
        rand = mine[mine["kind"] == "random"].set_index(["layer", "coeff"])
        clear = [(layer, coeff) for layer, coeff in own.index
                 if own.loc[(layer, coeff), "effect_low"] > 0 or own.loc[(layer, coeff), "effect_high"] < 0]
        by_layer = {layer: [f"{c:g} ({own.loc[(layer, c), 'effect']:+.3f})" for l, c in clear if l == layer]
                    for layer in dict.fromkeys(layer for layer, _ in clear)}
        named = "; ".join(f"{layer} at {' and '.join(at)}" for layer, at in by_layer.items())
        lines.append(f"- **{group}**: its own vector's change excludes 0 at {len(clear)} of {len(own)} pairs"
                     + (f": {named}." if clear else "."))
        louder = [f"{layer} at {coeff:g} (random {rand.loc[(layer, coeff), 'effect']:+.3f} vs own "
                  f"{own.loc[(layer, coeff), 'effect']:+.3f})" for layer, coeff in own.index
                  if (layer, coeff) in rand.index
                  and abs(rand.loc[(layer, coeff), "effect"]) >= abs(own.loc[(layer, coeff), "effect"])]
        if louder:
            lines.append(f"  A random vector of the same norm changes P(cheese) as much or more at {', '.join(louder)}: "
                         "there the own vector's effect is not specific to the cheese.")
        else:
            lines.append("  Nowhere does a random vector of the same norm change P(cheese) as much as the own vector.")
    if not versus.empty:
        for group in groups[:-1]:
            mine = versus[versus["group"] == group]
            apart = mine[(mine["low"] > 0) | (mine["high"] < 0)]
            said = [f"{r['layer']} at {r['coeff']:g}: " + change_words(
                r["effect difference"], r["low"], r["high"], f"{group}'s change is more upward",
                f"{group}'s change is more downward") for _, r in apart.iterrows()]
            lines.append(f"- **{group} against {groups[-1]}**: the difference in the own vector's change excludes 0 at "
                         f"{len(apart)} of {len(mine)} pairs" + (f" ({'; '.join(said)})." if said else "."))
    if norms is not None and "group" in norms and len(groups) > 1:
        size = norms.groupby(["group", "layer"], sort=False)["vector_norm_mean"].mean()
        base = groups[-1]
        for group in groups[:-1]:
            layers = [layer for layer in dict.fromkeys(norms["layer"])
                      if (group, layer) in size.index and (base, layer) in size.index]
            if not layers:
                continue
            ratio = {layer: size[(base, layer)] / size[(group, layer)] for layer in layers}
            widest = max(layers, key=lambda layer: abs(np.log(ratio[layer])))
            larger = sum(r > 1 for r in ratio.values())
            lines.append(f"- **Vector sizes**: {base}'s vectors are larger than {group}'s at {larger} of {len(layers)} "
                         f"layers ({base}'s mean norm over seeds is {min(ratio.values()):.2f} to "
                         f"{max(ratio.values()):.2f} times {group}'s; most apart at {widest}: "
                         f"{size[(base, widest)]:.0f} against {size[(group, widest)]:.0f}). A random vector takes the "
                         "norm of its own group's vectors, so the random baselines are not the same size across "
                         "groups: compare each group's own vector with its own random vector.")
    lines[-1] += "\n"
    return lines


LOGIT_CLIP = 1e-4
"""Probabilities are clipped to [LOGIT_CLIP, 1 - LOGIT_CLIP] before taking log-odds, so a median of 0 or
1 has a finite log-odds."""


def log_odds(p):
    """The log-odds of ``p`` (a number or an array), clipped to :data:`LOGIT_CLIP`."""
    p = np.clip(np.asarray(p, dtype=float), LOGIT_CLIP, 1 - LOGIT_CLIP)
    return np.log(p / (1 - p))


def paired_median_change(per_agent: pd.DataFrame, group: str, layer: str, coeff: float,
                         scale: str = "probability") -> tuple[float, float, float]:
    """Each seed's median P(cheese move) with its own vector at ``layer`` and ``coeff`` minus its unedited
    median, on the probability or log-odds scale: the mean over seeds with a 95% t interval
    (:func:`condition_difference`)."""
    table = per_agent
    if scale == "log-odds":
        columns = ["cheese_move_median", "cheese_move_median_low", "cheese_move_median_high"]
        table = per_agent.assign(**{c: log_odds(per_agent[c]) for c in columns})
    own = {"layer": layer, "kind": "maze", "coeff": coeff}
    return condition_difference(table, group, "cheese_move_median", own, {"kind": "none"})


def size_words(published: float, low: float, high: float) -> str:
    """Where a published change lies against our interval for it."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "cannot be compared (no interval)"
    if low <= published <= high:
        return "is comparable (theirs lies within our interval)"
    return "does not replicate (" + ("ours is smaller" if abs(published) > max(abs(low), abs(high)) else
                                     "ours is larger" if abs(published) < min(abs(low), abs(high)) else
                                     "theirs lies outside our interval") + ")"


def median_words(per_agent: pd.DataFrame, groups: list[str], layer: str, coeff: float, world: str) -> list[str]:
    """The cheese vector's change in the median P(cheese move) beside the published one, per group: paired
    over seeds, on the probability and the log-odds scale."""
    theirs = (PUBLISHED["cheese_move_median_before"], PUBLISHED["cheese_move_median_after"])
    change = theirs[1] - theirs[0]
    change_odds = float(log_odds(theirs[1]) - log_odds(theirs[0]))
    lines = [(f"- **Beside the published effect**: theirs ({PUBLISHED_SOURCE}) took the median P(cheese move) at the "
             f"decision square from {theirs[0]:.2f} to {theirs[1]:.2f}, a change of {change:+.2f} in probability and "
             f"{change_odds:+.2f} in log-odds. Ours ({world}), each seed's median against its own unedited median, "
             f"as a mean over seeds with a 95% t interval (log-odds of probabilities clipped to [{LOGIT_CLIP:g}, "
             f"{1 - LOGIT_CLIP:g}]):")]
    for group in groups:
        mine = per_agent[per_agent["group"] == group]
        base = mine[mine["kind"] == "none"].set_index("seed")
        edited = mine[(mine["layer"] == layer) & (mine["kind"] == "maze") & (mine["coeff"] == coeff)].set_index("seed")
        apart = int((edited["cheese_move_median_high"] < base.loc[edited.index, "cheese_move_median_low"]).sum())
        prob = paired_median_change(per_agent, group, layer, coeff)
        odds = paired_median_change(per_agent, group, layer, coeff, "log-odds")
        clipped = int(((base["cheese_move_median"] >= 1 - LOGIT_CLIP) | (base["cheese_move_median"] <= LOGIT_CLIP)).sum())
        lines.append(f"  - {group}: {base['cheese_move_median'].mean():.3f} to {edited['cheese_move_median'].mean():.3f} "
                     f"(mean of the seeds' medians); the change {change_words(*prob)}; in log-odds "
                     f"{change_words(*odds)}. {apart} of {len(edited)} seeds' medians fall with their own intervals "
                     f"apart. The published size in probability {size_words(change, *prob[1:])}; in log-odds it "
                     f"{size_words(change_odds, *odds[1:])}."
                     + (f" {clipped} of {len(base)} seeds' unedited medians sit at the clip, so their log-odds change "
                        "is set by the clip as much as by the agent: a looser clip would make it larger, and the "
                        "log-odds comparison is loose." if clipped else ""))
    return lines


def paired_rate_change(rows: pd.DataFrame, group: str, outcome: str, layer: str, coeff: float,
                       keep: np.ndarray | None = None) -> tuple[float, float, float, int]:
    """The change in P(``outcome`` | decision square) with each maze's own vector from the unedited agent,
    maze by maze on the same mazes (those ``keep`` marks, all by default): the mean over seeds of each
    seed's change with a 95% t interval, or for one seed a normal interval over its mazes; and the
    number of mazes each seed played."""
    mine = rows[(rows["group"] == group).to_numpy() & (True if keep is None else np.asarray(keep, dtype=bool))]
    changes, n = [], 0
    for _, part in mine.groupby("agent", sort=False):
        before = part[part["kind"] == "none"]
        after = part[(part["layer"] == layer) & (part["kind"] == "maze") & (part["coeff"] == coeff)]
        merged = before.merge(after, on="level_seed", suffixes=("_before", "_after"))
        changes.append((merged["outcome_after"] == outcome).to_numpy(float)
                       - (merged["outcome_before"] == outcome).to_numpy(float))
        n = len(merged)
    if len(changes) >= 2:
        return (*t_interval(np.array([c.mean() for c in changes])), n)
    if not changes or n == 0:
        return np.nan, np.nan, np.nan, n
    mean, half = changes[0].mean(), 1.96 * changes[0].std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
    return float(mean), float(mean - half), float(mean + half), n


def top_right_words(rows: pd.DataFrame, norms: pd.DataFrame | None, group: str, layer: str, coeff: float) -> \
        tuple[str, tuple[float, float, float], bool]:
    """The top-right vector's own target: the paired change in P(top-right | decision square), on all
    mazes and on those whose vector is not zero; the change the verdict rests on, and whether it is the
    latter."""
    every = paired_rate_change(rows, group, "top_right", layer, coeff)
    said = (f"  P(top-right | decision square), paired change with each maze's own vector (each seed against "
            f"itself unedited on the same mazes): {change_words(*every[:3])}.")
    if norms is None or "zero_vectors" not in norms:
        return said, every[:3], False
    zero = norms[norms["layer"] == layer]
    if "group" in zero:
        zero = zero[zero["group"] == group]
    counts = sorted(set(zero["zero_vectors"].astype(int)))
    if not counts or counts == [0]:
        return said + " No maze has a zero vector.", every[:3], False
    shown_count = f"{counts[0]}" if len(counts) == 1 else f"{counts[0]} to {counts[-1]} (per seed)"
    said += (f" {shown_count} of {every[3]} mazes have a zero vector (the maze fills the top-right region: nothing "
             "to open, so nothing is added)")
    if "vector_zero" not in rows:
        return said + "; the episodes do not mark which mazes, so the change on the others is not given.", every[:3], False
    nonzero = paired_rate_change(rows, group, "top_right", layer, coeff, keep=~rows["vector_zero"].to_numpy(bool))
    return said + f"; on the {nonzero[3]} with a vector: {change_words(*nonzero[:3])}.", nonzero[:3], True


def top_right_verdict(changes: dict[str, tuple[float, float, float]], coeff: float, world: str,
                      with_vector: bool = True) -> str:
    """Whether adding the top-right vector draws our agents toward the top-right, as published."""
    head = (f"- **Beside the published top-right vector**: theirs ({PUBLISHED_TOP_RIGHT_SOURCE}): adding the vector "
            "draws the agent toward the top-right (a qualitative claim here: none of their numbers is used). ")
    if coeff <= 0:
        return head + f"Ours was not added (coefficient {coeff:g}): no verdict."
    up = [g for g, (_, low, _) in changes.items() if low > 0]
    where = " on the mazes with a vector" if with_vector else ""
    basis = f"the paired change in P(top-right){where} excludes 0 upward"
    if len(up) == len(changes):
        return head + f"It replicates at our world size ({world}) in every group: {basis}."
    if not up:
        most = max(high for _, _, high in changes.values())
        return head + (f"It does not replicate at our world size ({world}): in no group does the paired change in "
                       f"P(top-right){where} exclude 0 upward. That is not evidence of no effect: the intervals "
                       f"allow an upward change of up to {most:+.3f}, so any pull the vector has here is at most "
                       "about that large.")
    rest = [g for g in changes if g not in up]
    return head + (f"It replicates at our world size ({world}) in {', '.join(up)} ({basis}) and does not in "
                   f"{', '.join(rest)}.")


def plain_words(config: SteerConfig, per_agent: pd.DataFrame, world: str, norms: pd.DataFrame | None = None,
                rows: pd.DataFrame | None = None) -> list[str]:
    """The report's opening: what subtracting (or adding) the vector did at the published site, against
    the random control and between groups, and beside the published effect, in words. ``per_agent``: the
    conditions per agent; ``norms``: the vectors' sizes (with each agent's group); ``rows``: the episodes
    (for the top-right vector's paired change, and on the mazes whose vector is not zero)."""
    across = across_seeds(per_agent, CONDITION, MEASURES)
    drawn = with_agent_intervals(across, per_agent, CONDITION, MEASURES)
    versus = against_baseline(per_agent[per_agent["kind"] == "maze"], CONDITION, "effect")
    edited = drawn[drawn["kind"] != "none"]
    if edited.empty:
        return []
    layer = DEFAULT_LAYER if DEFAULT_LAYER in set(edited["layer"]) else edited["layer"].iloc[0]
    coeffs = set(edited["coeff"])
    published = PUBLISHED["coeff"] if config.vector == "cheese" else 1.0  # subtract the cheese vector, add top-right
    coeff = published if published in coeffs else field_coeff(config.vector, tuple(coeffs))
    at = drawn[(drawn["layer"] == layer) & (drawn["coeff"] == coeff)]
    groups = list(dict.fromkeys(drawn["group"]))
    site = " (the published site)" if layer == DEFAULT_LAYER else ""
    lines = [f"## In plain words\n\nAt {layer}{site} with coefficient {coeff:g}: changes in P(cheese | decision "
             "square) from the unedited agent on the same mazes, as a mean over seeds with a 95% t interval (over "
             "mazes for a group of one seed):\n"]
    top_right = {}
    for group in groups:
        row = {k: at[(at["group"] == group) & (at["kind"] == k)] for k in ("maze", "random", "transfer")}
        seeds = int(row["maze"]["seeds"].iloc[0])
        lines.append(f"- **{group}** ({seeds} seed{'s' if seeds > 1 else ''}): each maze's own vector "
                     f"{change_words(*row['maze'][['effect', 'effect_low', 'effect_high']].iloc[0])}; a random vector "
                     f"of the same norm {change_words(*row['random'][['effect', 'effect_low', 'effect_high']].iloc[0])};"
                     f" one maze's vector on all mazes "
                     f"{change_words(*row['transfer'][['effect', 'effect_low', 'effect_high']].iloc[0])}.")
        if config.vector == "top-right" and rows is not None:  # the vector's own target
            said, top_right[group], with_vector = top_right_words(rows, norms, group, layer, coeff)
            lines.append(said)
    if norms is not None and not norms.empty:
        at_layer = norms[norms["layer"] == layer]
        ratio = (at_layer["source_norm"] / at_layer["vector_norm_mean"]).to_numpy(float)
        spread = f"{ratio.min():.2f}" if len(ratio) == 1 else f"{ratio.min():.2f} to {ratio.max():.2f} (per agent)"
        differs = "a different cheese location" if config.vector == "cheese" else "a different maze's top-right region"
        lines.append(f"- The transferred vector comes from one source maze; at this layer its norm is {spread} times "
                     "the mean norm of the mazes' own vectors, so a weak transfer may be a weaker vector as much as "
                     f"{differs}.")
    for group in groups[:-1] if not versus.empty else []:
        diff = versus[(versus["group"] == group) & (versus["layer"] == layer) & (versus["coeff"] == coeff)]
        if not diff.empty:
            d = diff.iloc[0]
            lines.append(f"- **{group} against {groups[-1]}** (the baseline): {group}'s change minus "
                         f"{groups[-1]}'s " + change_words(d["effect difference"], d["low"], d["high"],
                                                           f"{group} changes more upward than {groups[-1]}",
                                                           f"{group} changes more downward than {groups[-1]}",
                                                           "the same change") + ".")
    if config.vector == "cheese" and layer == DEFAULT_LAYER and coeff == PUBLISHED["coeff"]:
        lines += median_words(per_agent, groups, layer, coeff, world)
    if config.vector == "top-right" and top_right:
        lines.append(top_right_verdict(top_right, coeff, world, with_vector))
    lines[-1] += "\n"
    return lines


def report(config: SteerConfig, per_agent: pd.DataFrame, across: pd.DataFrame, rows: pd.DataFrame,
           norms: pd.DataFrame, level_start: int, world: str, seconds: dict[str, float] | None = None) -> str:
    drawn = with_agent_intervals(across, per_agent, CONDITION, MEASURES)
    versus = against_baseline(per_agent[per_agent["kind"] == "maze"], CONDITION, "effect")
    if "group" not in norms and "agent" in norms:
        norms = norms.merge(per_agent[["agent", "group"]].drop_duplicates(), on="agent", how="left")
    what = ("cheese present minus cheese removed" if config.vector == "cheese" else
            "a corridor opened from the maze's top-right cell to the world's top-right corner, minus the maze as it is")
    parts = [
        f"# Steering with the {config.vector} vector\n",
        f"Each agent played {config.n} held-out cheese-anywhere mazes with a decision square (level seeds from "
        f"{level_start} on; sampled actions, seed {config.seed}) once per condition. A maze's vector is the "
        f"difference in a layer's activations between two observations with the mouse at the start: {what}. It is "
        "added with the coefficient (negative subtracts it) at every forward pass of the episode. Kinds: `maze`, each "
        "maze's own vector; `random`, a Gaussian vector with the norm of that maze's vector (the control); "
        "`transfer`, one source maze's vector on every maze. `none` is the unedited agent. P(cheese) and P(top-right) "
        "are outcomes of played episodes on these decision-square mazes (Wilson 95%); `change in P(cheese)` is against the "
        "unedited agent on the same mazes (paired bootstrap 95%); `P(cheese move)` is the policy's probability of "
        "the move toward the cheese with the mouse on the decision square, the published measure (bootstrap 95% on "
        f"its mean and median). Our agents live in {world}; the published numbers come from theirs."
        + (f" {time_words(seconds)}" if seconds else "") + "\n",
        *plain_words(config, per_agent, world, norms, rows),
        *published_section(per_agent, config.vector),
        *by_layer_section(drawn, versus, norms),
        "## Per agent\n", markdown_table(shown(per_agent, ["group", "agent", *CONDITION])),
        ACROSS_SEEDS + " `median P(cheese move)` here is the mean of the agents' medians.\n",
        markdown_table(shown(across, ["group", "seeds", *CONDITION])),
        *baseline_section(per_agent[per_agent["kind"] != "none"], CONDITION, "effect",
                          "change in P(cheese) from the unedited agent"),
        "## Transfer by the cheese's location\n", markdown_table(transfer_by_location(rows)),
        "## Vector sizes\n\nMean L2 norm of the mazes' vectors, mazes whose vector is zero (a top-right vector "
        "has nothing to open in a maze that fills the world), and the source maze's vector norm.\n",
        markdown_table(norms),
    ]
    return "\n".join(parts)


def run_steering(members: Sequence[Member], config: SteerConfig, level_start: int, out_dir: Path,
                 progress: Callable[[int], None] | None = None) -> str:
    """Steer every agent, then write the tables, report and figures into the new folder ``out_dir``;
    returns the report."""
    from cheesemaze.analysis.figures.steering import (dose_response_figure, layer_effect_figure,
                                                      steering_field_figure)

    steered, seconds = timed_each(members, lambda m: steer_agent(m.agent, config, level_start, progress))
    results: dict[str, SteerResult] = {m.name: r for m, r in zip(members, steered)}
    per_agent = pd.concat([r.summary.assign(**member_columns(m)) for m, r in zip(members, results.values())])
    per_agent = per_agent[["group", "agent", "seed", *[c for c in per_agent if c not in ("group", "agent", "seed")]]]
    rows = pd.concat([r.rows.assign(**member_columns(m)) for m, r in zip(members, results.values())])
    norms = pd.concat([r.norms.assign(group=m.group, agent=m.name, source_level=r.source_level)
                       for m, r in zip(members, results.values())])
    across = across_seeds(per_agent, CONDITION, MEASURES)
    text = report(config, per_agent, across, rows, norms, level_start, world_words(members), seconds)
    first = results[members[0].name]
    before, after, layer, coeff = first.field
    summary = {"config": dataclasses.asdict(config), "level_start": level_start,
               "agents": [member_columns(m) for m in members], "seconds": seconds, "published": PUBLISHED,
               "published_source": PUBLISHED_SOURCE, "per_agent": per_agent.to_dict("records"),
               "across_seeds": across.to_dict("records")}
    title = f"{members[0].name}, level {before.maze.level_seed}: {config.vector} vector x {coeff:g} at {layer}"
    drawn = with_agent_intervals(across, per_agent, CONDITION, MEASURES)
    figures = {"dose_response": ("P(cheese) and P(top-right) against the coefficient, by kind of vector: each "
                                 "agent and the mean over seeds", dose_response_figure(drawn, config.vector))}
    if drawn.loc[drawn["kind"] != "none", "layer"].nunique() > 1:
        figures["by_layer"] = ("The change in P(cheese) from the unedited agent at each layer edited, by coefficient",
                               layer_effect_figure(drawn, config.vector))
    figures["vector_field"] = (f"The policy's moves on one maze before and after the edit ({title})",
                               steering_field_figure(before, after, title))
    write_results(out_dir, {"conditions": per_agent, "across_seeds": across, "episodes": rows, "vectors": norms},
                  text, summary, figures)
    return text
