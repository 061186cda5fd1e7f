"""Agents in groups: commands take agents or groups (``r5/*``, ``control/*``, ``runs/zoo/r5/*``), run
per agent, and report each agent and, per group, the mean over its seeds with a t interval.

One agent per group gives a mean with no interval (one seed says nothing about seed-to-seed spread);
the per-agent intervals (over mazes) still stand.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

from cheesemaze.agents.loading import Agent, load_checked
from cheesemaze.agents.rundir import agent_group, shipped_name
from cheesemaze.analysis.compare import group_label
from cheesemaze.analysis.stats import t_interval, welch_interval, within
from cheesemaze.analysis.tables import markdown_table

T = TypeVar("T")


@dataclass(frozen=True)
class Member:
    """One agent of a group."""

    group: str
    """The group's label: ``r5`` for ``r5/*``, or the agent's own name when given alone."""
    name: str
    seed: int
    """The training seed (``config.seed``)."""
    agent: Agent


def load_members(specs: Sequence[str], n: int, level_start: int | None, threads: int) -> tuple[list[Member], int]:
    """Every agent the specs name, and the first held-out level seed (the first agent's range start
    unless given); ``ValueError`` names a bad spec, a bad count or agents of different worlds."""
    if not specs:
        raise ValueError("give at least one AGENT (a run directory, a shipped name, or a group like r5/*)")
    members, start = [], level_start
    for spec in specs:
        names = agent_group(spec)
        label = group_label(spec) if str(spec).endswith("/*") else (shipped_name(str(spec)) or str(spec))
        for name in names:
            agent, first = load_checked(name, n, start, threads)
            start = first if start is None else start
            members.append(Member(label, shipped_name(name) or name, int(agent.config.seed), agent))
    worlds = {m.agent.config.env.world_size for m in members}
    if len(worlds) > 1:
        raise ValueError(f"the agents live in different worlds ({sorted(worlds)}); give agents of one world size")
    return members, start


def member_columns(member: Member) -> dict:
    return {"group": member.group, "agent": member.name, "seed": member.seed}


PROBABILITIES = ("p_", "accuracy", "chance", "shuffled", "cheese_move_")
"""Value columns that are probabilities or rates (by name prefix): their intervals stay in [0, 1]."""
CHANGES = ("effect",)
"""Value columns that are a change in a probability: their intervals stay in [-1, 1]."""


ACROSS_SEEDS = ("## Across seeds\n\nMean over each group's agents with a 95% t interval over seeds (none for one "
                "seed), kept within the range the value can take: 0 to 1 for a probability, -1 to 1 for a change "
                "in one (a t interval over a few seeds can reach past it).")
"""The heading and first words of a report's across-seed section (:func:`across_seeds`)."""


def value_range(value: str) -> tuple[float, float]:
    """The range a value column can take; a t interval over few seeds can reach past it."""
    if value.startswith(CHANGES):
        return -1.0, 1.0
    if value.startswith(PROBABILITIES):
        return 0.0, 1.0
    return -np.inf, np.inf


def across_seeds(per_agent: pd.DataFrame, by: Sequence[str], values: Sequence[str]) -> pd.DataFrame:
    """Per group and ``by`` columns: the number of seeds, and for each value column its mean over the
    group's agents with a 95% t interval (``<value>``, ``<value>_low``, ``<value>_high``), clipped to
    the range the value can take (:func:`value_range`)."""
    rows = []
    for keys, part in per_agent.groupby(["group", *by], sort=False, dropna=False):
        row = dict(zip(["group", *by], keys))
        row["seeds"] = len(part)
        for value in values:
            mean, low, high = t_interval(part[value].to_numpy(float))
            low, high = within(low, high, *value_range(value))
            row.update({value: mean, f"{value}_low": low, f"{value}_high": high})
        rows.append(row)
    return pd.DataFrame(rows)


def with_agent_intervals(across: pd.DataFrame, per_agent: pd.DataFrame, by: Sequence[str],
                         values: Sequence[str]) -> pd.DataFrame:
    """:func:`across_seeds`' table with, for a group of one agent, that agent's own interval (over
    mazes) in place of the t interval one seed cannot give: what a figure draws."""
    table = across.copy()
    single = table["seeds"] < 2
    if single.any():
        keys = list(table.loc[single, ["group", *by]].itertuples(index=False, name=None))
        bounds = [f"{v}_{b}" for v in values for b in ("low", "high")]
        table.loc[single, bounds] = per_agent.set_index(["group", *by]).loc[keys, bounds].to_numpy()
    return table


def against_baseline(per_agent: pd.DataFrame, by: Sequence[str], value: str) -> pd.DataFrame:
    """Each group's ``value`` against the last group's (the baseline, e.g. the control), per ``by``:
    the difference of the means over seeds with a 95% interval, Welch's over seeds where both groups
    have two seeds or more, else from the agents' own intervals (``<value>_low/high``, over mazes)
    combined as independent normal errors; empty for one group."""
    groups = list(dict.fromkeys(per_agent["group"]))
    rows = []
    for group in groups[:-1]:
        mine, base = per_agent[per_agent["group"] == group], per_agent[per_agent["group"] == groups[-1]]
        for keys, part in mine.groupby(list(by), sort=False, dropna=False):
            keys = keys if isinstance(keys, tuple) else (keys,)
            other = base[(base[list(by)] == pd.Series(dict(zip(by, keys)))).all(axis=1)]
            if other.empty:
                continue
            a, b = part[value].to_numpy(float), other[value].to_numpy(float)
            if min(len(a), len(b)) >= 2:
                diff, low, high = welch_interval(a, b)
                method = "Welch t over seeds" + (" (seeds identical: no width)" if low == high else "")
            else:
                diff = float(a.mean() - b.mean())
                half = combined_half_width(part, other, value)
                low, high, method = diff - half, diff + half, "agents' intervals (one seed: mazes only, no seed spread)"
            rows.append({"group": group, "baseline": groups[-1], **dict(zip(by, keys)), f"{value} difference": diff,
                         "low": low, "high": high, "interval": method})
    return pd.DataFrame(rows)


def bound_text(x: float) -> str:
    """An interval's bound to three decimals, or to two significant digits where three decimals would
    print a bound that is not 0 as 0 (a bound of +0.0003 decides that an interval excludes 0)."""
    text = f"{x:+.3f}"
    return f"{x:+.2g}" if x != 0 and float(text) == 0 else text


def change_words(value: float, low: float, high: float, above: str = "an increase", below: str = "a decrease",
                 none: str = "no change") -> str:
    """A change (or a difference: pass ``above``/``below``/``none`` words for it) with its 95% interval
    and what the interval says: above 0, below 0, or unable to tell from 0."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return f"{value:+.3f} (no interval)"
    shown = f"{value:+.3f} (95% {bound_text(low)} to {bound_text(high)})"
    if low > 0:
        return f"{shown}: {above}"
    if high < 0:
        return f"{shown}: {below}"
    return f"{shown}: the interval includes 0, so the data cannot tell it from {none}"


BARELY = 0.1
"""An interval excludes 0 only barely when its nearer bound lies within this fraction of its width from 0."""


def multiplicity_words(intervals: list[tuple[float, float]]) -> str:
    """What a section's many 95% intervals (``(low, high)`` each, uncorrected for one another) say taken
    together: how many exclude 0, how many would by chance alone, and how many only barely."""
    finite = [(low, high) for low, high in intervals if np.isfinite(low) and np.isfinite(high)]
    if len(finite) < 2:
        return ""
    apart = [(low, high) for low, high in finite if low > 0 or high < 0]
    barely = sum(min(abs(low), abs(high)) < BARELY * (high - low) for low, high in apart)
    text = (f"These are {len(finite)} 95% intervals, none corrected for the others: if nothing moved, about "
            f"{0.05 * len(finite):.1f} of them would exclude 0 by chance alone; {len(apart)} do")
    if barely:
        text += (f", {barely} of them only barely (the nearer bound within {BARELY:.0%} of the interval's width "
                 "from 0), which is weak evidence on its own")
    return text + "."


def condition_difference(per_agent: pd.DataFrame, group: str, value: str, a: dict, b: dict) -> tuple[float, float, float]:
    """Within one group, ``value`` under condition ``a`` minus under ``b`` (each a dict of column
    values), seed by seed: the mean difference and a 95% t interval over seeds; for one seed, the two
    conditions' own intervals (over mazes) combined as independent normal errors (wider than a paired
    interval where both are changes from the same unedited episodes: conservative)."""
    mine = per_agent[per_agent["group"] == group]
    both = pd.merge(*[mine[(mine[list(c)] == pd.Series(c)).all(axis=1)] for c in (a, b)], on="seed",
                    suffixes=("_a", "_b")).dropna(subset=[f"{value}_a", f"{value}_b"])
    diffs = (both[f"{value}_a"] - both[f"{value}_b"]).to_numpy(float)
    if len(diffs) >= 2:
        return t_interval(diffs)
    if len(diffs) == 0:
        return np.nan, np.nan, np.nan
    half = combined_half_width(*[both.rename(columns=lambda c, s=s: c.removesuffix(s)) for s in ("_a", "_b")],
                               value=value)
    return float(diffs[0]), float(diffs[0] - half), float(diffs[0] + half)


def combined_half_width(a: pd.DataFrame, b: pd.DataFrame, value: str) -> float:
    """Half the width of a difference's interval from two sides' own 95% intervals (``<value>_low``,
    ``<value>_high``, averaged over rows), combined as independent normal errors."""
    return float(np.hypot(*[np.nanmean((t[f"{value}_high"] - t[f"{value}_low"]).to_numpy(float)) / 2 for t in (a, b)]))


def world_words(members: Sequence[Member]) -> str:
    """``a 15x15 world``: the agents' world (``load_members`` refuses agents of different worlds), for a
    report's comparisons with the published numbers from procgen's hard world."""
    size = members[0].agent.config.env.world_size
    return f"a {size}x{size} world"


def timed_each(members: Sequence[Member], work: Callable[[Member], T]) -> tuple[list[T], dict[str, float]]:
    """``work`` run on each member in turn: the results, and the seconds each took by member name."""
    results, seconds = [], {}
    for member in members:
        started = time.perf_counter()
        results.append(work(member))
        seconds[member.name] = time.perf_counter() - started
    return results, seconds


def time_words(seconds: dict[str, float]) -> str:
    """How long each agent's part of a command took, in one sentence."""
    values = list(seconds.values())
    if len(values) == 1:
        return f"The command took {values[0]:.0f} s for its agent."
    return (f"The command took {min(values):.0f} to {max(values):.0f} s per agent ({len(values)} agents; "
            "`summary.json` has each).")


def baseline_section(per_agent: pd.DataFrame, by: list[str], value: str, what: str) -> list[str]:
    """The groups against the last one named (the baseline), where there are two groups or more."""
    table = against_baseline(per_agent, by, value)
    if table.empty:
        return []
    for column in by:
        if pd.api.types.is_float_dtype(table[column]):
            table[column] = table[column].map("{:g}".format)
    return [f"## Against the baseline group\n\nThe last group named is the baseline (name the control last): each "
            f"other group's {what} minus the baseline's, with a 95% interval (see `interval`).\n",
            markdown_table(table)]


def default_out(command: str, members: Sequence[Member], suffix: str) -> Path:
    """``results/<command>/<groups>-<suffix>``: where a command's results go unless told."""
    groups = "-vs-".join(dict.fromkeys(m.group for m in members)).replace("/", "_")
    return Path("results") / command / f"{groups}-{suffix}"
