"""``cheesemaze steer``'s results for agents and groups: per agent and across seeds, beside the
published effect, as Markdown, CSV, JSON and figures in one new folder."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from cheesemaze.analysis.outputs import write_results
from cheesemaze.analysis.seeds import (
    ACROSS_SEEDS, Member, across_seeds, baseline_section, member_columns, with_agent_intervals,
)
from cheesemaze.analysis.steering import DEFAULT_LAYER, PUBLISHED, PUBLISHED_SOURCE, SteerConfig, SteerResult, steer_agent
from cheesemaze.analysis.tables import markdown_table, with_ci

CONDITION = ["layer", "kind", "coeff"]
MEASURES = ["p_cheese", "p_top_right", "effect", "cheese_move_median", "cheese_move_mean"]


def shown(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``table``'s identifying columns with each measure and its interval as one text column."""
    names = {"p_cheese": "P(cheese)", "p_top_right": "P(top-right)", "effect": "change in P(cheese)",
             "cheese_move_mean": "mean P(cheese move)"}
    out = table[list(columns)].copy()
    out["coeff"] = out["coeff"].map("{:g}".format)
    for measure, name in names.items():
        low, high = (f"{measure}_low", f"{measure}_high")
        if low in table:
            out[name] = [with_ci(v, lo, hi) for v, lo, hi in zip(table[measure], table[low], table[high])]
    out["median P(cheese move)"] = table["cheese_move_median"].map("{:.3f}".format)
    return out


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
                         "median P(cheese move) unedited": f"{base['cheese_move_median']:.3f}",
                         "median P(cheese move) at coeff -1": f"{row['cheese_move_median']:.3f}",
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
        return [f"## The published top-right vector\n\n{PUBLISHED_SOURCE}: adding their top-right vector (same site) "
                "draws the agent to the top-right in a range of mazes, subtracting it has little effect, and a vector "
                "from one maze transfers to others. They give no numbers for it; ours are in the tables below.\n"]
    return [f"## Beside the published effect\n\nThe `published` row is {PUBLISHED_SOURCE}. They also report that adding "
            "the cheese vector does little, that a maze's vector transfers only to mazes whose cheese lies within about "
            "2 cells of the source's, and that a random vector of similar size makes the policy incoherent.\n",
            markdown_table(published_rows(per_agent, vector))]


def report(config: SteerConfig, per_agent: pd.DataFrame, across: pd.DataFrame, rows: pd.DataFrame,
           norms: pd.DataFrame, level_start: int) -> str:
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
        "the mean).\n",
        *published_section(per_agent, config.vector),
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
    from cheesemaze.analysis.figures.steering import dose_response_figure, steering_field_figure

    results: dict[str, SteerResult] = {}
    for member in members:
        results[member.name] = steer_agent(member.agent, config, level_start, progress)
    per_agent = pd.concat([r.summary.assign(**member_columns(m)) for m, r in zip(members, results.values())])
    per_agent = per_agent[["group", "agent", "seed", *[c for c in per_agent if c not in ("group", "agent", "seed")]]]
    rows = pd.concat([r.rows.assign(**member_columns(m)) for m, r in zip(members, results.values())])
    norms = pd.concat([r.norms.assign(agent=m.name, source_level=r.source_level) for m, r in zip(members, results.values())])
    across = across_seeds(per_agent, CONDITION, MEASURES)
    text = report(config, per_agent, across, rows, norms, level_start)
    first = results[members[0].name]
    before, after, layer, coeff = first.field
    summary = {"config": dataclasses.asdict(config), "level_start": level_start,
               "agents": [member_columns(m) for m in members], "published": PUBLISHED,
               "published_source": PUBLISHED_SOURCE, "per_agent": per_agent.to_dict("records"),
               "across_seeds": across.to_dict("records")}
    title = f"{members[0].name}, level {before.maze.level_seed}: {config.vector} vector x {coeff:g} at {layer}"
    dose = dose_response_figure(with_agent_intervals(across, per_agent, CONDITION, ["p_cheese", "p_top_right"]),
                                config.vector)
    write_results(out_dir, {"conditions": per_agent, "across_seeds": across, "episodes": rows, "vectors": norms},
                  text, summary, {
                      "dose_response": ("P(cheese) and P(top-right) against the coefficient, by kind of vector: each "
                                        "agent and the mean over seeds", dose),
                      "vector_field": (f"The policy's moves on one maze before and after the edit ({title})",
                                       steering_field_figure(before, after, title))})
    return text
