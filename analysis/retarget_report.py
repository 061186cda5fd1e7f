"""``cheesemaze retarget``'s study of agents and groups: how often the mouse reaches a random target
when the cheese channels say the cheese is there, against random channels and the unedited agent,
per agent and across seeds, as Markdown, CSV, JSON and figures in one new folder."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from cheesemaze.analysis.outputs import write_results
from cheesemaze.analysis.retarget import DISTANCE_BINS, PUBLISHED_RETARGETING, RetargetConfig, retarget_agent
from cheesemaze.analysis.seeds import (
    ACROSS_SEEDS, Member, across_seeds, baseline_section, change_words, condition_difference, member_columns,
    time_words, timed_each, with_agent_intervals, world_words,
)
from cheesemaze.analysis.tables import markdown_table, with_ci

CONDITION = ["kind", "gain"]
MEASURES = ["p_target", "p_cheese", "effect"]


def shown(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The identifying columns, and each measure with its interval as one text column."""
    out = table[list(columns)].copy()
    out["gain"] = out["gain"].map("{:g}".format)
    for measure, name in (("p_target", "P(target)"), ("p_cheese", "P(cheese)"), ("effect", "change in P(target)")):
        out[name] = [with_ci(v, lo, hi) for v, lo, hi in
                     zip(table[measure], table[f"{measure}_low"], table[f"{measure}_high"])]
    return out


def by_distance(per_agent: pd.DataFrame) -> pd.DataFrame:
    """P(target) per condition by the target's distance from the start -> top-right path."""
    columns = ["agent", *CONDITION]
    for _, _, name in DISTANCE_BINS:
        columns += [f"p_target {name}", f"mazes {name}"]
    table = per_agent[columns].copy()
    table["gain"] = table["gain"].map("{:g}".format)
    return table


def plain_words(per_agent: pd.DataFrame, across: pd.DataFrame) -> list[str]:
    """The report's opening: per group and gain, how much the cheese-channel edit moves the mouse to its
    target, against the same edit on random channels, in words."""
    lines = ["## In plain words\n\nChanges in P(target) from the unedited agent on the same mazes and targets; "
             "the cheese channels' change minus the random channels' is taken seed by seed (mean with a 95% t "
             "interval over seeds; over mazes for a group of one seed):\n"]
    drawn = with_agent_intervals(across, per_agent, CONDITION, ["effect"])
    for group in dict.fromkeys(across["group"]):
        for gain in sorted(set(drawn.loc[drawn["kind"] == "cheese_channels", "gain"])):
            row = {k: drawn[(drawn["group"] == group) & (drawn["kind"] == k) & (drawn["gain"] == gain)].iloc[0]
                   for k in ("cheese_channels", "random_channels")}
            diff = condition_difference(per_agent, group, "effect", {"kind": "cheese_channels", "gain": gain},
                                        {"kind": "random_channels", "gain": gain})
            seeds = int(row["cheese_channels"]["seeds"])
            lines.append(f"- **{group}**, gain {gain:g} ({seeds} seed{'s' if seeds > 1 else ''}): cheese channels "
                         f"{change_words(*row['cheese_channels'][['effect', 'effect_low', 'effect_high']])}; random "
                         f"channels {change_words(*row['random_channels'][['effect', 'effect_low', 'effect_high']])}; "
                         "cheese minus random " + change_words(*diff, "the cheese channels move it more",
                                                               "the random channels move it more",
                                                               "the random channels' change") + ".")
    lines[-1] += "\n"
    return lines


def report(config: RetargetConfig, per_agent: pd.DataFrame, across: pd.DataFrame, channels: pd.DataFrame,
           level_start: int, world: str, seconds: dict[str, float] | None = None) -> str:
    edited = channels[channels["edited"]][["agent", "channel", "corr", "peak_at_cheese", "at_cheese", "away", "contrast"]]
    parts = [
        f"# Retargeting through the cheese channels at {config.layer}\n",
        f"Each agent played {config.n} held-out cheese-anywhere mazes (level seeds from {level_start} on), each with "
        "a target cell drawn at random (not the start, not the cheese), once per condition. The edited channels are "
        f"the {config.channels} of the layer most positively correlated with the cheese's position, ranked on "
        f"{config.n_rank} other held-out mazes. At every forward pass each edited channel is replaced by its mean "
        "activation away from the cheese, plus a peak at the target's position of `gain` times the channels' contrast "
        "(mean at the cheese minus away). `random channels` writes the same maps into as many channels drawn at "
        "random from the rest, per maze (the rest include weaker cheese-tracking channels, so the control may move "
        "the mouse a little itself, which makes it harder to beat). The peak is written on the layer's grid, coarser than the maze's cells, while success "
        "needs the exact target cell: a strict test. Success: the mouse's path visits the target (before the cheese, "
        "which ends the episode). P(target) and P(cheese) with Wilson 95%; `change in P(target)` against the unedited "
        "agent on the same mazes and targets, paired bootstrap 95%; across seeds, t 95% over seeds (none for one "
        f"seed). Our agents live in {world}; the published findings come from theirs."
        + (f" {time_words(seconds)}" if seconds else "") + "\n",
        *plain_words(per_agent, across),
        f"{PUBLISHED_RETARGETING}\n",
        "## Per agent\n", markdown_table(shown(per_agent, ["group", "agent", *CONDITION])),
        ACROSS_SEEDS + "\n", markdown_table(shown(across, ["group", "seeds", *CONDITION])),
        *baseline_section(per_agent[per_agent["kind"] != "none"], CONDITION, "effect",
                          "change in P(target) from the unedited agent"),
        "## By the target's distance from the path to the top-right\n", markdown_table(by_distance(per_agent)),
        "## The channels edited\n", markdown_table(edited),
    ]
    return "\n".join(parts)


def run_retargeting(members: Sequence[Member], config: RetargetConfig, level_start: int, out_dir: Path,
                    progress: Callable[[int], None] | None = None) -> str:
    """Retarget every agent, then write the tables, report and figures into the new folder ``out_dir``."""
    from cheesemaze.analysis.figures.retarget import retarget_figure
    from cheesemaze.analysis.figures.steering import steering_field_figure

    results, seconds = timed_each(members, lambda m: retarget_agent(m.agent, config, level_start, progress))
    per_agent = pd.concat([r.summary.assign(**member_columns(m)) for m, r in zip(members, results)])
    per_agent = per_agent[["group", "agent", "seed", *[c for c in per_agent if c not in ("group", "agent", "seed")]]]
    rows = pd.concat([r.rows.assign(**member_columns(m)) for m, r in zip(members, results)])
    channels = pd.concat([r.channels.assign(agent=m.name) for m, r in zip(members, results)])
    across = across_seeds(per_agent, CONDITION, MEASURES)
    text = report(config, per_agent, across, channels, level_start, world_words(members), seconds)
    summary = {"config": dataclasses.asdict(config), "level_start": level_start,
               "agents": [member_columns(m) for m in members], "seconds": seconds, "published": PUBLISHED_RETARGETING,
               "per_agent": per_agent.to_dict("records"), "across_seeds": across.to_dict("records")}
    before, after, target, gain = results[0].example
    title = (f"{members[0].name}, level {before.maze.level_seed}: cheese channels at {config.layer} say the cheese is "
             f"at {target} (gain {gain:g})")
    figures = {
        "retarget": ("P(target) and P(cheese) by edit, against the same edit on random channels: each agent and the "
                     "mean over seeds",
                     retarget_figure(with_agent_intervals(across, per_agent, CONDITION, ["p_target", "p_cheese"]))),
        "vector_field": (f"The policy's moves on one maze before and after the edit ({title})",
                         steering_field_figure(before, after, title, mark=target, name="retargeted"))}
    write_results(out_dir, {"conditions": per_agent, "across_seeds": across, "episodes": rows, "channels": channels},
                  text, summary, figures)
    return text
