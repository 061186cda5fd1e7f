"""``cheesemaze steer``'s results for agents and groups: per agent and across seeds, beside the
published effect, as Markdown, CSV, JSON and figures in one new folder."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from cheesemaze.analysis.outputs import write_results
from cheesemaze.analysis.seeds import (
    ACROSS_SEEDS, Member, against_baseline, across_seeds, baseline_section, change_words, member_columns, time_words,
    timed_each, with_agent_intervals, world_words,
)
from cheesemaze.analysis.steering import (
    DEFAULT_LAYER, PUBLISHED, PUBLISHED_SOURCE, PUBLISHED_TOP_RIGHT_SOURCE, SteerConfig, SteerResult, field_coeff,
    steer_agent,
)
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


def by_layer_section(drawn: pd.DataFrame, versus: pd.DataFrame) -> list[str]:
    """Where several layers were edited: per layer and coefficient, each group's change in P(cheese) from
    each maze's vector and from the random control (mean over seeds), and each group's against the
    baseline group's (the last); nothing for one layer. ``drawn``: the across-seed table with one-seed
    groups' own intervals; ``versus``: :func:`against_baseline` of each maze's vector's effect."""
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
            markdown_table(pd.DataFrame(rows))]


def plain_words(config: SteerConfig, drawn: pd.DataFrame, versus: pd.DataFrame, world: str,
                norms: pd.DataFrame | None = None) -> list[str]:
    """The report's opening: what subtracting (or adding) the vector did at the published site, against
    the random control and between groups, and beside the published effect, in words. ``drawn`` and
    ``versus`` as for :func:`by_layer_section`."""
    edited = drawn[drawn["kind"] != "none"]
    if edited.empty:
        return []
    layer = DEFAULT_LAYER if DEFAULT_LAYER in set(edited["layer"]) else edited["layer"].iloc[0]
    coeffs = set(edited["coeff"])
    published = PUBLISHED["coeff"] if config.vector == "cheese" else 1.0  # subtract the cheese vector, add top-right
    coeff = published if published in coeffs else field_coeff(config.vector, tuple(coeffs))
    at = drawn[(drawn["layer"] == layer) & (drawn["coeff"] == coeff)]
    base = drawn[drawn["kind"] == "none"]
    groups = list(dict.fromkeys(drawn["group"]))
    site = " (the published site)" if layer == DEFAULT_LAYER else ""
    lines = [f"## In plain words\n\nAt {layer}{site} with coefficient {coeff:g}: changes in P(cheese | decision "
             "square) from the unedited agent on the same mazes, as a mean over seeds with a 95% t interval (over "
             "mazes for a group of one seed):\n"]
    for group in groups:
        row = {k: at[(at["group"] == group) & (at["kind"] == k)] for k in ("maze", "random", "transfer")}
        seeds = int(row["maze"]["seeds"].iloc[0])
        said = [f"- **{group}** ({seeds} seed{'s' if seeds > 1 else ''}): each maze's own vector "
                f"{change_words(*row['maze'][['effect', 'effect_low', 'effect_high']].iloc[0])}; a random vector of "
                f"the same norm {change_words(*row['random'][['effect', 'effect_low', 'effect_high']].iloc[0])}; one "
                f"maze's vector on all mazes "
                f"{change_words(*row['transfer'][['effect', 'effect_low', 'effect_high']].iloc[0])}."]
        if config.vector == "top-right":  # the vector's own target: P(top-right), unedited and edited
            top = ["p_top_right", "p_top_right_low", "p_top_right_high"]
            before = base[base["group"] == group][top].iloc[0]
            after = row["maze"][top].iloc[0]
            said.append(f"  P(top-right | decision square) unedited {with_ci(*before)}, with each maze's own vector "
                        f"{with_ci(*after)}" + (" (the intervals overlap)." if after.iloc[1] <= before.iloc[2] and
                                                 before.iloc[1] <= after.iloc[2] else " (the intervals are apart)."))
        lines += said
    if norms is not None and not norms.empty:
        at_layer = norms[norms["layer"] == layer]
        ratio = (at_layer["source_norm"] / at_layer["vector_norm_mean"]).to_numpy(float)
        spread = f"{ratio.min():.2f}" if len(ratio) == 1 else f"{ratio.min():.2f} to {ratio.max():.2f} (per agent)"
        lines.append(f"- The transferred vector comes from one source maze; at this layer its norm is {spread} times "
                     "the mean norm of the mazes' own vectors, so a weak transfer may be a weaker vector as much as a "
                     "different cheese location.")
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
        columns = ["cheese_move_median", "cheese_move_median_low", "cheese_move_median_high"]
        medians = {g: (base[base["group"] == g][columns].iloc[0],
                       at[(at["group"] == g) & (at["kind"] == "maze")][columns].iloc[0]) for g in groups}
        ours = "; ".join(f"{g} {b.iloc[0]:.3f} to {a.iloc[0]:.3f}" for g, (b, a) in medians.items())
        falls = [g for g, (b, a) in medians.items() if a.iloc[2] < b.iloc[1]]  # the intervals apart
        verdict = ("The median falls in every group (the edited interval lies below the unedited one), the "
                   "published direction" if len(falls) == len(groups) else
                   f"The median falls clearly in {', '.join(falls) or 'no group'} (intervals apart) and not in the "
                   "rest")
        if all(a.iloc[1] > 0.5 for _, a in medians.values()):
            verdict += ("; but it stays above one half where theirs fell near 0: the published size of the effect "
                        "does not replicate on these agents (another network, world size and training run).")
        else:
            verdict += "; its size is not comparable across networks and world sizes."
        lines.append(
            f"- **Beside the published effect**: theirs ({PUBLISHED_SOURCE}) took the median P(cheese move) at the "
            f"decision square from {PUBLISHED['cheese_move_median_before']:.2f} to "
            f"{PUBLISHED['cheese_move_median_after']:.2f}; ours ({world}; mean of the seeds' medians): {ours}. "
            + verdict)
    lines[-1] += "\n"
    return lines


def report(config: SteerConfig, per_agent: pd.DataFrame, across: pd.DataFrame, rows: pd.DataFrame,
           norms: pd.DataFrame, level_start: int, world: str, seconds: dict[str, float] | None = None) -> str:
    drawn = with_agent_intervals(across, per_agent, CONDITION, MEASURES)
    versus = against_baseline(per_agent[per_agent["kind"] == "maze"], CONDITION, "effect")
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
        *plain_words(config, drawn, versus, world, norms),
        *published_section(per_agent, config.vector),
        *by_layer_section(drawn, versus),
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
    norms = pd.concat([r.norms.assign(agent=m.name, source_level=r.source_level) for m, r in zip(members, results.values())])
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
