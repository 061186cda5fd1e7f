"""``cheesemaze retarget``'s study of agents and groups: how often the mouse reaches a random target
when the cheese channels say the cheese is there, against random channels and the unedited agent,
per agent and across seeds, as Markdown, CSV, JSON and figures in one new folder."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from cheesemaze.analysis.behaviour import PUBLISHED_SIDE
from cheesemaze.analysis.outputs import write_results
from cheesemaze.analysis.probes import PUBLISHED_CHEESE_CHANNELS
from cheesemaze.analysis.retarget import DISTANCE_BINS, PUBLISHED_RETARGETING, RetargetConfig, retarget_agent
from cheesemaze.analysis.seeds import (
    ACROSS_SEEDS, Member, across_seeds, baseline_section, change_words, condition_difference, member_columns,
    multiplicity_words, time_words, timed_each, with_agent_intervals, world_words,
)
from cheesemaze.analysis.stats import welch_interval
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


def edit_difference(per_agent: pd.DataFrame, group: str, baseline: str, gain: float) -> tuple[float, float, float, str]:
    """``group``'s cheese-minus-random change in P(target) at ``gain`` minus ``baseline``'s: the difference
    of the means over seeds with Welch's 95% interval where both groups have two seeds or more, else the
    two groups' own intervals (:func:`condition_difference`) combined as independent normal errors; and
    which interval it is."""
    cheese, random = {"kind": "cheese_channels", "gain": gain}, {"kind": "random_channels", "gain": gain}
    per_seed = []
    for g in (group, baseline):
        mine = per_agent[(per_agent["group"] == g) & (per_agent["gain"] == gain)].set_index(["kind", "seed"])["effect"]
        per_seed.append((mine["cheese_channels"] - mine["random_channels"]).dropna().to_numpy(float))
    if min(len(d) for d in per_seed) >= 2:
        return (*welch_interval(*per_seed), "Welch t over seeds")
    (a, a_low, a_high), (b, b_low, b_high) = [condition_difference(per_agent, g, "effect", cheese, random)
                                              for g in (group, baseline)]
    half = float(np.hypot((a_high - a_low) / 2, (b_high - b_low) / 2))
    return a - b, a - b - half, a - b + half, "the groups' own intervals combined (one seed: no seed spread)"


def method_words(config: RetargetConfig) -> str:
    """What the target is, what counts as success, and how much of the layer is edited, beside the
    published edit."""
    gains = " and ".join(f"{g:g}" for g in config.gain)
    return (f"Method: each maze gets a target, a free cell drawn at random (not the start, not the cheese); success "
            "is the mouse's path visiting the target before the episode ends, and P(target) is the share of mazes "
            f"where it does. Only {config.channels} channel{'s' if config.channels != 1 else ''} at {config.layer} "
            f"(those most positively correlated with the cheese) are edited, at gain {gains} (the planted peak's "
            "height in units of the channels' own contrast, at the cheese minus away); Turner et al. edited "
            f"{len(PUBLISHED_CHEESE_CHANNELS)} cheese channels of their {PUBLISHED_SIDE} network (theirs, not ours).\n")


def size_words(across: pd.DataFrame) -> str:
    """Ours beside theirs: the largest change in P(target) the cheese channels make, against the
    unedited P(target) it is a change of."""
    unedited = across[across["kind"] == "none"].set_index("group")["p_target"]
    cheese = across[across["kind"] == "cheese_channels"]
    if cheese.empty or unedited.empty:
        return ""
    top = cheese.loc[cheese["effect"].idxmax()]
    base = float(unedited[top["group"]])
    relative = f"{top['effect'] / base:+.0%} of it" if base > 0 else "no relative size (it is 0)"
    cheese = (f", while the edited mouse still reaches the cheese in {top['p_cheese']:.3f} of the mazes"
              if "p_cheese" in top and top["p_cheese"] == top["p_cheese"] else "")
    return (f"Ours beside theirs: our largest change from editing the cheese channels is {top['effect']:+.3f} "
            f"({top['group']}, gain {top['gain']:g}) in P(target), against an unedited P(target) of {base:.3f}: "
            f"{relative}{cheese}. Theirs (Turner et al., below; "
            f"{PUBLISHED_SIDE}, not ours): retargeting works reliably for targets in the upper right, with no overall "
            "rate given.\n")


def plain_words(config: RetargetConfig, per_agent: pd.DataFrame, across: pd.DataFrame) -> list[str]:
    """The report's opening: the method in a sentence; per group and gain, how much the cheese-channel
    edit moves the mouse to its target (absolute and against the unedited P(target)), against the same
    edit on random channels; each group's cheese-minus-random against the baseline group's; and the
    size of ours beside the published claim, in words."""
    lines = ["## In plain words\n", method_words(config),
             "Changes in P(target) from the unedited agent on the same mazes and targets; the cheese channels' change "
             "minus the random channels' is taken seed by seed (mean with a 95% t interval over seeds; over mazes for "
             "a group of one seed):\n"]
    drawn = with_agent_intervals(across, per_agent, CONDITION, ["effect"])
    unedited = across[across["kind"] == "none"].set_index("group")["p_target"]
    groups = list(dict.fromkeys(across["group"]))
    gains = sorted(set(drawn.loc[drawn["kind"] == "cheese_channels", "gain"]))
    stated: list[tuple[float, float]] = []
    for group in groups:
        for gain in gains:
            row = {k: drawn[(drawn["group"] == group) & (drawn["kind"] == k) & (drawn["gain"] == gain)].iloc[0]
                   for k in ("cheese_channels", "random_channels")}
            diff = condition_difference(per_agent, group, "effect", {"kind": "cheese_channels", "gain": gain},
                                        {"kind": "random_channels", "gain": gain})
            stated += [tuple(row[k][["effect_low", "effect_high"]]) for k in row] + [tuple(diff[1:])]
            seeds = int(row["cheese_channels"]["seeds"])
            base = float(unedited.get(group, np.nan))
            effect = float(row["cheese_channels"]["effect"])
            relative = (f" (unedited P(target) {base:.3f}: the change is {effect / base:+.0%} of it)"
                        if base > 0 else "")
            lines.append(f"- **{group}**, gain {gain:g} ({seeds} seed{'s' if seeds > 1 else ''}): cheese channels "
                         f"{change_words(*row['cheese_channels'][['effect', 'effect_low', 'effect_high']])}{relative}; "
                         f"random channels {change_words(*row['random_channels'][['effect', 'effect_low', 'effect_high']])}; "
                         "cheese minus random " + change_words(*diff, "the cheese channels move it more",
                                                               "the random channels move it more",
                                                               "the random channels' change") + ".")
    for group in groups[:-1]:
        for gain in gains:
            diff, low, high, method = edit_difference(per_agent, group, groups[-1], gain)
            stated.append((low, high))
            if not (np.isfinite(low) and np.isfinite(high)):
                verdict = "no interval"
            elif low > 0 or high < 0:
                verdict = f"{group}'s edit moves the mouse {'more' if low > 0 else 'less'} than {groups[-1]}'s"
            else:
                verdict = f"the interval includes 0: the data cannot tell {group} and {groups[-1]} apart"
            lines.append(f"- **{group} minus {groups[-1]}**, gain {gain:g}: cheese minus random {diff:+.3f} (95% "
                         f"{low:+.3f} to {high:+.3f}, {method}): {verdict}.")
    together = multiplicity_words(stated)
    if together:
        lines.append(together)
    lines[-1] += "\n"
    words = size_words(across)
    return lines + ([words] if words else [])


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
        *plain_words(config, per_agent, across),
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
