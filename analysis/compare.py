"""Two agents, or two groups of agents, on the same held-out cheese-anywhere mazes.

Every agent plays one sampled episode on each of the same ``n`` held-out level seeds (cheese
anywhere); the comparison keeps the mazes with a decision square, where going for the cheese and
going to the top-right part ways. Per agent: P(cheese | decision square) and P(top-right | decision
square) with Wilson intervals. Per pair of matching seeds (A's seed k against B's seed k): the
difference and an exact McNemar test on the paired mazes. Across seeds: the mean difference with a
t interval over the seed pairs (none from one pair: one seed says nothing about seed-to-seed spread).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from scipy import stats as scipy_stats

from cheesemaze.analysis.evaluation import (
    EPISODES_FILE, default_name, evaluate, evaluation_dir, evaluation_of, read_episodes, run_evaluation,
)
from cheesemaze.analysis.outputs import fresh_path
from cheesemaze.analysis.stats import t_interval, wilson_interval, within
from cheesemaze.agents.loading import Agent

MEASURES = ("cheese", "top_right")
"""Outcomes compared: P(cheese | decision square) and P(top-right | decision square)."""


@dataclass(frozen=True)
class Played:
    """One agent's episodes on the compared mazes."""

    name: str
    seed: int | None
    """The training seed (``config.seed``), which pairs it with the other group's agent."""
    episodes: pd.DataFrame


def play(agent: Agent, name: str, n: int, level_start: int, seed: int,
         progress: Callable[[int], None] | None = None) -> Played:
    """The agent's sampled cheese-anywhere episodes on ``n`` level seeds from ``level_start``, reusing
    an evaluation of exactly these episodes in its run directory, else writing one there."""
    options = dict(level_start=level_start, distributions=("anywhere",), policies=("sampled",), seed=seed)
    folder = evaluation_dir(agent.run_dir, default_name(n, level_start, seed, ("anywhere",), ("sampled",)))
    existing = evaluation_of(agent, folder)
    if existing is not None:
        df = read_episodes(existing / EPISODES_FILE)
        if progress is not None:
            progress(n)
    else:
        try:
            df = run_evaluation(agent, fresh_path(folder), n, progress=progress, **options)
        except OSError:  # a read-only run directory: play without keeping the table
            df = evaluate(agent, n, progress=progress, **options)
    return Played(name, agent.config.seed, df.sort_values("level_seed").reset_index(drop=True))


def exact_mcnemar(a_only: int, b_only: int) -> float:
    """Two-sided exact McNemar p-value from the discordant pairs (a binomial test at 1/2)."""
    discordant = a_only + b_only
    if discordant == 0:
        return 1.0
    return float(min(1.0, 2 * scipy_stats.binom.cdf(min(a_only, b_only), discordant, 0.5)))


def agent_row(played: Played) -> dict:
    """P(measure | decision square) with its Wilson interval, for each measure."""
    rows = played.episodes[played.episodes["has_dsq"]]
    row = {"agent": played.name, "seed": played.seed, "mazes": len(played.episodes), "with_dsq": len(rows)}
    for measure in MEASURES:
        k = int((rows["outcome"] == measure).sum())
        low, high = wilson_interval(k, len(rows))
        row.update({f"p_{measure}": k / len(rows) if len(rows) else float("nan"),
                    f"p_{measure}_low": low, f"p_{measure}_high": high})
    return row


def pair_row(a: Played, b: Played) -> dict:
    """The paired difference A - B on the mazes both played with a decision square, and McNemar's p."""
    merged = a.episodes[["level_seed", "has_dsq", "outcome"]].merge(
        b.episodes[["level_seed", "outcome"]], on="level_seed", suffixes=("_a", "_b"))
    merged = merged[merged["has_dsq"]]
    row = {"a": a.name, "b": b.name, "paired_mazes": len(merged)}
    for measure in MEASURES:
        in_a, in_b = merged["outcome_a"] == measure, merged["outcome_b"] == measure
        a_only, b_only = int((in_a & ~in_b).sum()), int((in_b & ~in_a).sum())
        row.update({f"diff_{measure}": float(in_a.mean() - in_b.mean()), f"a_only_{measure}": a_only,
                    f"b_only_{measure}": b_only, f"mcnemar_p_{measure}": exact_mcnemar(a_only, b_only)})
    return row


def across_seeds(pairs: pd.DataFrame) -> pd.DataFrame:
    """Mean paired difference over seed pairs with a 95% t interval (NaN for fewer than two pairs), its
    bounds clipped to [-1, 1], the range a difference of two rates can take (few pairs can reach past it)."""
    rows = []
    for measure in MEASURES:
        diffs = pairs[f"diff_{measure}"].to_numpy(float)
        mean, low, high = t_interval(diffs)
        low, high = within(low, high, -1.0, 1.0)
        rows.append({"measure": measure, "seed_pairs": len(diffs), "mean_diff": mean, "low": low, "high": high})
    return pd.DataFrame(rows)


def match_seeds(a: list[Played], b: list[Played]) -> list[tuple[Played, Played]]:
    """Pairs with the same training seed; for two single agents of different seeds, that pair.

    Raises ``ValueError`` when a group holds a seed twice, or two groups share no seed."""
    for group in (a, b):
        seeds = [p.seed for p in group]
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"a group holds training seed {max(seeds, key=seeds.count)} twice: "
                             f"{', '.join(p.name for p in group)}; pair agents of distinct seeds")
    if len(a) == len(b) == 1:
        return [(a[0], b[0])]
    by_seed = {p.seed: p for p in b}
    pairs = [(p, by_seed[p.seed]) for p in a if p.seed in by_seed]
    if not pairs:
        raise ValueError("the groups share no training seed, so no agent has a partner to be paired with")
    return pairs


def group_label(spec: str) -> str:
    """A short label for a group spec: ``r5/*`` -> ``r5``, ``runs/zoo/control/*`` -> ``control``."""
    text = re.sub(r"/\*$", "", str(spec)).rstrip("/")
    return Path(text).name or text


def seed_spread(across: list[dict], pairs: list[dict]) -> str:
    """A sentence on what the interval over seeds allows for P(cheese): nothing where it excludes 0; where
    it includes 0, that the data cannot rule out no difference, and whether every seed pair still
    differs the same way. ``across`` and ``pairs`` are the records of :func:`across_seeds` and the pairs."""
    cheese = next(row for row in across if row["measure"] == "cheese")
    if not cheese["low"] <= 0 <= cheese["high"]:
        return ""
    signs = {(p["diff_cheese"] > 0) - (p["diff_cheese"] < 0) for p in pairs}
    words = (f" The interval over seeds includes 0, so these {len(pairs)} seed pairs cannot rule out that the "
             "difference averages to zero over training seeds")
    if len(signs) == 1 and 0 not in signs:
        largest = max(p["mcnemar_p_cheese"] for p in pairs)
        words += (f", although every pair differs in the same direction (McNemar p {largest:.1e} or less) and only "
                  "its size varies from seed to seed")
    return words + "."


def conclusion(label_a: str, label_b: str, across: pd.DataFrame, pairs: pd.DataFrame) -> str:
    """The comparison in plain words: what the data supports, and what it cannot decide."""
    row = across.set_index("measure").loc["cheese"]
    top = across.set_index("measure").loc["top_right"]
    count = int(row["seed_pairs"])
    diff = row["mean_diff"]
    if count < 2:
        return (f"With one pair of agents, {label_a} reaches the cheese on decision-square mazes "
                f"{abs(diff):.3f} {'more' if diff > 0 else 'less'} often than {label_b} (per-maze McNemar test in "
                "the table). One seed per condition cannot say whether the difference belongs to the training "
                "condition or to the seed: train more seeds (cheesemaze sweep) to decide.")
    if row["low"] != row["low"] or row["high"] != row["high"]:
        return (f"Across {count} seed pairs, {label_a}'s P(cheese | decision square) is {diff:+.3f} against "
                f"{label_b}'s; the interval over seeds is undefined (a pair's difference is not a number).")
    spread = seed_spread(across.to_dict("records"), pairs.to_dict("records"))
    verdict = spread or " The interval excludes 0: the conditions differ beyond seed-to-seed variation."
    top_verdict = ("excludes 0" if top["low"] > 0 or top["high"] < 0 else "includes 0")
    return (f"Across {count} seed pairs, {label_a}'s P(cheese | decision square) is {diff:+.3f} against "
            f"{label_b}'s (95% t interval over seeds {row['low']:+.3f} to {row['high']:+.3f}).{verdict} "
            f"P(top-right | decision square) differs by {top['mean_diff']:+.3f} ({top['low']:+.3f} to "
            f"{top['high']:+.3f}; the interval {top_verdict}).")


def _fmt(value: float) -> str:
    return "n/a" if value != value else f"{value:.3f}"


def comparison_markdown(label_a: str, label_b: str, agents: pd.DataFrame, pairs: pd.DataFrame,
                        across: pd.DataFrame, n: int, level_start: int, world: int) -> str:
    """The report: conclusion first, then the per-agent, per-pair and across-seed tables."""
    lines = [f"# {label_a} against {label_b}", "", conclusion(label_a, label_b, across, pairs), "",
             f"Each agent played one sampled episode on each of the held-out level seeds {level_start}.."
             f"{level_start + n - 1} with the cheese anywhere ({world}x{world} world); the rates are "
             "over the mazes with a decision square. Intervals are 95%: Wilson for one agent, t over seeds "
             "for a mean difference (kept within -1 to 1, which a t interval over a few seeds can reach past). "
             "The t interval is over the seed pairs' differences, each measured on the same mazes; agents "
             "are matched by training seed, and the pairs were trained independently, so the interval holds "
             "whether or not the matching shares anything between them. Every pair plays the same mazes, so "
             "the interval measures how seeds differ on these mazes, not how another draw of mazes would move "
             "the difference (the McNemar tests speak to the mazes, one pair at a time).",
             "", "## Agents", "",
             "| agent | seed | mazes with a decision square | P(cheese) | 95% CI | P(top-right) | 95% CI |",
             "|---|---|---|---|---|---|---|"]
    for r in agents.itertuples():
        lines.append(f"| {r.agent} | {r.seed} | {r.with_dsq} | {_fmt(r.p_cheese)} | {_fmt(r.p_cheese_low)}-"
                     f"{_fmt(r.p_cheese_high)} | {_fmt(r.p_top_right)} | {_fmt(r.p_top_right_low)}-"
                     f"{_fmt(r.p_top_right_high)} |")
    lines += ["", "## Paired by seed", "",
              "| A | B | paired mazes | A - B, P(cheese) | McNemar p | A - B, P(top-right) | McNemar p |",
              "|---|---|---|---|---|---|---|"]
    for r in pairs.itertuples():
        lines.append(f"| {r.a} | {r.b} | {r.paired_mazes} | {r.diff_cheese:+.3f} | {r.mcnemar_p_cheese:.2g} | "
                     f"{r.diff_top_right:+.3f} | {r.mcnemar_p_top_right:.2g} |")
    paired = set(pairs["a"]) | set(pairs["b"])
    unpaired = [name for name in agents["agent"] if name not in paired]
    if unpaired:
        lines += ["", f"Not paired (no agent of the same training seed on the other side): {', '.join(unpaired)}."]
    lines += ["", "## Across seeds", "", "| measure | seed pairs | mean A - B | 95% t interval |", "|---|---|---|---|"]
    for r in across.itertuples():
        shown = "n/a (one pair)" if r.seed_pairs < 2 else f"{r.low:+.3f} to {r.high:+.3f}"
        lines.append(f"| P({r.measure.replace('_', '-')} \\| decision square) | {r.seed_pairs} | {r.mean_diff:+.3f} | {shown} |")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Comparison:
    """What :func:`compare_groups` found, and where it wrote it."""

    agents_a: pd.DataFrame
    agents_b: pd.DataFrame
    pairs: pd.DataFrame
    across: pd.DataFrame
    markdown: str
    out_dir: Path


def compare_groups(group_a: dict[str, Agent], group_b: dict[str, Agent], label_a: str, label_b: str, n: int,
                   level_start: int, seed: int, out_dir: Path,
                   progress: Callable[[int], None] | None = None) -> Comparison:
    """Play every agent (name -> agent) on the same mazes, compare, and write ``compare.md``, the
    tables as CSV, a summary ``compare.json`` and the figure into the new folder ``out_dir`` (at once)."""
    import json

    from cheesemaze.analysis.figures.canvas import save_figure
    from cheesemaze.analysis.figures.compare import compare_figure
    from cheesemaze.analysis.outputs import staged_dir

    worlds = {agent.config.env.world_size for agent in [*group_a.values(), *group_b.values()]}
    if len(worlds) > 1:
        raise ValueError(f"the agents live in different worlds ({sorted(worlds)}); compare agents of one world size")
    world = worlds.pop()
    played_a = [play(agent, name, n, level_start, seed, progress) for name, agent in group_a.items()]
    played_b = [play(agent, name, n, level_start, seed, progress) for name, agent in group_b.items()]
    agents_a = pd.DataFrame([agent_row(p) for p in played_a])
    agents_b = pd.DataFrame([agent_row(p) for p in played_b])
    pairs = pd.DataFrame([pair_row(a, b) for a, b in match_seeds(played_a, played_b)])
    across = across_seeds(pairs)
    markdown = comparison_markdown(label_a, label_b, pd.concat([agents_a, agents_b]), pairs, across, n, level_start,
                                   world)
    summary = {"a": label_a, "b": label_b, "n": n, "level_start": level_start, "seed": seed,
               "world_size": world, "agents_a": agents_a.to_dict("records"),
               "agents_b": agents_b.to_dict("records"), "pairs": pairs.to_dict("records"),
               "across_seeds": across.to_dict("records"), "conclusion": conclusion(label_a, label_b, across, pairs)}
    with staged_dir(Path(out_dir)) as staging:
        (staging / "compare.md").write_text(markdown)
        (staging / "compare.json").write_text(json.dumps(summary, indent=2, default=float) + "\n")
        pd.concat([agents_a, agents_b]).to_csv(staging / "agents.csv", index=False)
        pairs.to_csv(staging / "pairs.csv", index=False)
        across.to_csv(staging / "across_seeds.csv", index=False)
        save_figure(compare_figure(agents_a, agents_b, label_a, label_b), staging / "compare")
    return Comparison(agents_a, agents_b, pairs, across, markdown, Path(out_dir))
