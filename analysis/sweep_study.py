"""A region sweep across seeds: what each training region does on held-out cheese-anywhere mazes.

For every trial of a sweep (``<sweep>/<condition>/s<seed>``), the agent plays the same held-out
level seeds with the cheese anywhere (``analysis/compare.py``'s ``play``) and on its own training
distribution. Per region r: P(cheese | decision square) and P(top-right | decision square), one
point per seed and the mean over seeds with a 95% t interval, and the behavioural regression's
coefficients (``analysis/behaviour.py``) per seed and on average. The cheese-anywhere ``control``
condition is the reference every region is read against.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from cheesemaze.analysis.behaviour import PUBLISHED, PUBLISHED_SIDE, multiple_regression
from cheesemaze.analysis.compare import agent_row, play
from cheesemaze.analysis.evaluation import evaluate
from cheesemaze.analysis.outputs import staged_dir
from cheesemaze.analysis.stats import t_interval, wilson_interval
from cheesemaze.agents.loading import Agent, load_agent
from cheesemaze.agents.rundir import CONFIG_FILE, checkpoint_steps, read_config
from cheesemaze.agents.sweep import MANIFEST, trial_finished
from cheesemaze.envs.maze import placement

KEY_FEATURES = ("d_euclid_cheese_tr", "d_step_dsq_cheese", "d_euclid_cheese_tr5", "d_euclid_dsq_cheese")
"""The coefficients drawn against r: the published strongest ones (Turner et al.)."""
TOP_RIGHT_DISTANCES = ("d_euclid_cheese_tr", "d_euclid_cheese_tr5")
"""The cheese's distances to the top-right corner and to its 5x5 square: close to collinear on most mazes."""
TRADED = 0.7
"""From this correlation on, an L1 fit is said to trade weight between the two distances."""

PUBLISHED_TREND = ("Langosco et al. (procgen hard, 25x25) show in a figure, without numbers in the text, that "
                   "agents trained on larger cheese regions go for the cheese more often when it is placed "
                   "anywhere; there are no published values to plot beside ours.")

FLOOR = 0.95
"""The zoo's floor for a competent agent: held-out P(cheese) on its own training distribution (every
r5 and control agent met it when shipped). The region sweep counts every agent and names those whose
Wilson 95% interval lies wholly below it (a point estimate a little under it is sampling noise)."""

_TRIAL = re.compile(r"^(control|r(\d+))(-.+)?/s(\d+)$")


@dataclass(frozen=True)
class SweepTrial:
    """One trained agent of a sweep, named by its condition and seed."""

    name: str
    region: int | None
    seed: int
    run_dir: Path


def sweep_trials(sweep_dir: Path, unfinished: bool = False, variants: bool = False) -> list[SweepTrial]:
    """The trials of a sweep directory, region by region: those that finished their budget (the
    sweep's ``sweep.json`` budget where there is one, else their own), or with ``unfinished`` also those
    still training that have a checkpoint past step 0. Trials named with a variant (``r5-hard/s0``,
    ``r5-env.traps=0.25/s0``) only with ``variants``: a region sweep compares plain regions."""
    sweep_dir = Path(sweep_dir)
    manifest = sweep_dir / MANIFEST
    budget = json.loads(manifest.read_text())["total_timesteps"] if manifest.is_file() else None
    found = []
    for run in sorted(sweep_dir.glob("*/s*")):
        name = run.relative_to(sweep_dir).as_posix()
        match = _TRIAL.match(name)
        if not match or (match.group(3) and not variants) or not (run / CONFIG_FILE).is_file():
            continue
        done = trial_finished(run, budget or read_config(run).total_timesteps)
        if done or (unfinished and (checkpoint_steps(run) or 0) > 0):
            region = None if match.group(1) == "control" else int(match.group(2))
            found.append(SweepTrial(name, region, int(match.group(4)), run))
    if not found:
        which = "trials with a checkpoint past step 0" if unfinished else "finished trials (--unfinished counts the rest)"
        raise ValueError(f"{sweep_dir} holds no {which}")
    return sorted(found, key=lambda t: (t.region is None, t.region or 0, t.seed))


def trial_row(trial: SweepTrial, agent: Agent, n: int, train_n: int, level_start: int, seed: int,
              progress: Callable[[int], None] | None) -> tuple[dict, pd.DataFrame]:
    """A trial's rates and regression coefficients on the shared mazes."""
    played = play(agent, trial.name, n, level_start, seed, progress)
    row = {**agent_row(played), "region": trial.region, "steps": agent.num_timesteps}
    if train_n:
        own = evaluate(agent, train_n, level_start=level_start, distributions=("train",), policies=("sampled",),
                       seed=seed, progress=progress)
        reached = int((own["outcome"] == "cheese").sum())
        row["p_cheese_train"] = reached / len(own)
        row["p_cheese_train_high"] = wilson_interval(reached, len(own))[1]
    dsq = played.episodes[played.episodes["has_dsq"]]
    if set(TOP_RIGHT_DISTANCES) <= set(dsq.columns):  # the same mazes for every agent
        row["top_right_distances_correlation"] = float(dsq[TOP_RIGHT_DISTANCES[0]].corr(dsq[TOP_RIGHT_DISTANCES[1]]))
    try:
        table = multiple_regression(dsq, n_splits=5, n_boot=0, seed=seed).coefficients
        coefs = table.set_index("feature")["coef"].rename(trial.name)
    except ValueError:  # one outcome only: no regression to fit
        coefs = pd.Series(dtype=float, name=trial.name)
    return row, coefs


def by_region(agents: pd.DataFrame) -> pd.DataFrame:
    """Per condition, regions in order and the control last: seeds, and mean with t interval of each rate."""
    rows = []
    regions = [None if pd.isna(r) else int(r) for r in agents["region"]]
    for region in sorted(set(regions), key=lambda r: (r is None, r or 0)):
        group = agents[[r == region for r in regions]]
        row = {"condition": "control" if region is None else f"r{region}", "region": region, "seeds": len(group)}
        for column in ("p_cheese", "p_top_right", "p_cheese_train"):
            if column in group:
                mean, low, high = t_interval(group[column].to_numpy())
                row.update({column: mean, f"{column}_low": low, f"{column}_high": high})
        rows.append(row)
    return pd.DataFrame(rows)


def trend(agents: pd.DataFrame, column: str = "p_cheese") -> dict:
    """Least-squares slope of ``column`` on r over the region agents (one point per seed), with its
    95% interval; r is the side of the cheese's square (region 0 counts as 1, its placement), and the
    control is left out (it has no r)."""
    rows = agents[agents["region"].notna()]
    side = rows["region"].map(placement).astype(float)  # region 0 is region 1's placement
    if side.nunique() < 2:
        return {"slope": float("nan"), "low": float("nan"), "high": float("nan"), "agents": len(rows)}
    fit = scipy_stats.linregress(side, rows[column].astype(float))
    half = scipy_stats.t.ppf(0.975, len(rows) - 2) * fit.stderr if len(rows) > 2 else float("nan")
    rank = scipy_stats.spearmanr(side, rows[column].astype(float))
    return {"slope": float(fit.slope), "low": float(fit.slope - half), "high": float(fit.slope + half),
            "agents": len(rows), "p": float(fit.pvalue), "spearman": float(rank.statistic),
            "spearman_p": float(rank.pvalue)}


def sweep_conclusion(table: pd.DataFrame, slope: dict) -> str:
    """What the sweep supports, in plain words."""
    if slope["slope"] != slope["slope"]:
        return "Fewer than two regions have trained agents: no trend in r can be read yet."
    if slope["low"] != slope["low"]:
        return (f"P(cheese | decision square) changes by {slope['slope']:+.4f} per unit of r, from too few agents "
                "for an interval; train more seeds before reading a trend.")
    direction = "rises" if slope["low"] > 0 else "falls" if slope["high"] < 0 else None
    span = slope_span(slope)
    rank = (f" A straight line is a summary, not a model: the rates can level off. Spearman's rank correlation, "
            f"which asks only whether they move together, is {slope['spearman']:+.2f} (p = {slope['spearman_p']:.2g})."
            if slope.get("spearman") == slope.get("spearman") and "spearman" in slope else "")
    if direction is None:
        return (f"No trend in r can be told from seed-to-seed variation: the slope of P(cheese | decision square) is "
                f"{span}.{rank}")
    return f"P(cheese | decision square) {direction} with the training region r: {span}.{rank}"


def below_floor(agents: pd.DataFrame) -> list[str]:
    """The agents whose own-distribution rate lies below :data:`FLOOR` beyond sampling noise (the
    Wilson interval's top under it)."""
    if "p_cheese_train_high" not in agents:
        return []
    return agents.loc[agents["p_cheese_train_high"] < FLOOR, "agent"].tolist()


def floor_sentence(agents: pd.DataFrame) -> str:
    """What the agents' own-distribution rates say against :data:`FLOOR` ("" where not measured)."""
    if "p_cheese_train_high" not in agents:
        return ""
    low = agents[agents["agent"].isin(below_floor(agents))]
    if low.empty:
        return f"No agent's rate on its own training mazes lies below the zoo's {FLOOR} floor beyond sampling noise."
    named = ", ".join(f"{row.agent} ({row.p_cheese_train:.3f})" for row in low.itertuples())
    return (f"Below the zoo's {FLOOR} floor on their own training mazes (the Wilson interval wholly under it): "
            f"{named}. They are counted in every mean and trend here and drawn as open circles; an agent far "
            "below it did not learn its training task, so its play on cheese-anywhere mazes says little about "
            f"what training on its region does. {without_sentence(trend(agents[~agents['agent'].isin(low['agent'])]))}")


def without_sentence(slope: dict) -> str:
    """The trend in r without the agents below the floor: whether leaving them out changes it."""
    if slope["low"] != slope["low"]:
        return "Without them too few region agents remain for a trend with an interval."
    return f"Without them the slope is {slope_span(slope)}."


def slope_span(slope: dict) -> str:
    """A slope of :func:`trend` with its interval and the agents behind it."""
    return f"{slope['slope']:+.4f} per unit of r (95% {slope['low']:+.4f} to {slope['high']:+.4f}, {slope['agents']} agents)"


def published_words(coefs: pd.DataFrame, world_size: int, correlation: float | None = None) -> str:
    """Turner et al.'s strongest coefficient, labelled as theirs, and in words whether our r5 agents
    (``coefs``: a row per agent, a column per feature) reproduce its sign across seeds; then the
    conditions that have it negative on every seed; and, given the ``correlation`` of the two distances to
    the top-right on the mazes played, how far they trade weight."""
    feature = KEY_FEATURES[0]
    words = [f"Published (Turner et al., their r=5 network, procgen hard {PUBLISHED_SIDE}, not ours): {feature} "
             f"{PUBLISHED['study2_coef_d_euclid_cheese_tr']:+.3f}, the strongest."]
    if feature not in coefs.columns:
        return words[0]
    fitted = coefs[feature].dropna()
    conditions = pd.Series([name.split("/")[0] for name in fitted.index], index=fitted.index)
    r5 = fitted[conditions == "r5"]
    ours = f"Ours ({world_size}x{world_size})"
    if len(r5) >= 2:
        mean, low, high = t_interval(r5.to_numpy(dtype=float))
        largest = sum(int(coefs.loc[name].abs().idxmax() == feature and r5[name] != 0) for name in r5.index)
        words.append(f"{ours}: on the {len(r5)} r5 agents it averages {mean:+.2f} (95% t interval over seeds "
                     f"{low:+.2f} to {high:+.2f}), negative on {int((r5 < 0).sum())} of {len(r5)} seeds and the "
                     f"largest by size on {largest}; {replication(r5.to_numpy(dtype=float), PUBLISHED['study2_coef_d_euclid_cheese_tr'])}")
    elif len(r5) == 1:
        words.append(f"{ours}: on the one r5 agent it is {r5.iloc[0]:+.2f}; one seed cannot say whether the "
                     "published effect replicates across seeds.")
    negative = [f"{c} ({len(v)} seed{'s' if len(v) > 1 else ''})" for c, v in fitted.groupby(conditions, sort=False)
                if (v < 0).all()]
    if negative:
        words.append(f"Negative on every seed: {', '.join(negative)}.")
    return " ".join(words + [traded_words(coefs, correlation)])


def replication(values: np.ndarray, published: float) -> str:
    """Whether our seeds' coefficients (``values``) reproduce a published one from a single network: its
    sign, judged by the t interval of our mean, and its size, judged by the 95% prediction interval of a
    single seed of ours (the published network is one seed); then why the size is a rough guide."""
    mean, low, high = t_interval(values)
    n = len(values)
    half = scipy_stats.t.ppf(0.975, n - 1) * values.std(ddof=1) * np.sqrt(1 + 1 / n)
    one = f"95% prediction interval for one seed of ours {mean - half:+.2f} to {mean + half:+.2f}"
    sign = ("the published effect replicates in sign across our r5 seeds" if high < 0 else
            "the published effect is reversed in sign across our r5 seeds" if low > 0 else
            "our seeds cannot decide the published effect's sign (the interval of our mean holds 0)")
    size = (f"a single seed of ours could have its size ({one})" if mean - half <= published <= mean + half else
            f"its size lies outside what a single seed of ours would give ({one}), so the size does not "
            "replicate in this world")
    return (f"so {sign}, and {size}. The coefficients are L1-shrunk with the strength chosen per agent, and theirs "
            "comes from another world size, so the size is a rough guide and the sign the firmer test.")


def traded_words(coefs: pd.DataFrame, correlation: float | None) -> str:
    """Where the two distances to the top-right (to its corner and to its 5x5 square) go together on the
    mazes, an L1 fit can move weight between them; say how closely, and on how many agents they take
    opposite signs, so that no one of them is read alone ("" without the correlation)."""
    first, second = TOP_RIGHT_DISTANCES
    if correlation is None or not abs(correlation) >= TRADED or not {first, second} <= set(coefs.columns):
        return ""
    both = coefs[[first, second]].dropna()
    opposite = int(((both[first] * both[second]) < 0).sum())
    return (f"On these mazes {first} and {second} correlate at {correlation:.2f}, so an L1 fit can trade weight "
            f"between them: they take opposite signs on {opposite} of {len(both)} agents. Read the two together, "
            "not either alone.")


def sweep_markdown(agents: pd.DataFrame, table: pd.DataFrame, coefs: pd.DataFrame, slope: dict, n: int,
                   level_start: int, world_size: int, correlation: float | None = None) -> str:
    """The report: conclusion, the table by region, the agents, the coefficients, the published trend."""
    def cell(row, column):
        if column not in row or row[column] != row[column]:
            return "n/a"
        low, high = row.get(f"{column}_low"), row.get(f"{column}_high")
        ci = "" if low is None or low != low else f" ({max(low, 0.0):.3f} to {min(high, 1.0):.3f})"
        return f"{row[column]:.3f}{ci}"

    lines = ["# Region sweep", "", " ".join(filter(None, [sweep_conclusion(table, slope), floor_sentence(agents)])), "",
             f"Every agent played one sampled episode on each of the held-out level seeds {level_start}.."
             f"{level_start + n - 1} with the cheese anywhere; rates are over the mazes with a decision square. "
             "Means are over seeds with 95% t intervals (clipped to 0..1). Region 0 (the top-right cell alone) "
             "is region 1's placement and sits at r = 1 in the trend. Only agents that finished their budget are counted, "
             "unless the analysis was asked to count those still training (steps column).", "", "## By training region", "",
             "| condition | seeds | P(cheese \\| dsq) | P(top-right \\| dsq) | P(cheese), own distribution |",
             "|---|---|---|---|---|"]
    for row in table.to_dict("records"):
        lines.append(f"| {row['condition']} | {row['seeds']} | {cell(row, 'p_cheese')} | {cell(row, 'p_top_right')} | "
                     f"{cell(row, 'p_cheese_train')} |")
    lines += ["", "## Agents", "", "| agent | steps | with dsq | P(cheese \\| dsq) | P(top-right \\| dsq) | own distribution |",
              "|---|---|---|---|---|---|"]
    for row in agents.to_dict("records"):
        own = f"{row['p_cheese_train']:.3f}" if "p_cheese_train" in row else "n/a"
        lines.append(f"| {row['agent']} | {row['steps']:,} | {row['with_dsq']} | {row['p_cheese']:.3f} | "
                     f"{row['p_top_right']:.3f} | {own} |")
    shown = [f for f in KEY_FEATURES if f in coefs.columns]
    if shown:
        lines += ["", "## Behavioural regression coefficients (L1 logistic, z-scored features)", "",
                  "| agent | " + " | ".join(shown) + " |", "|---" * (len(shown) + 1) + "|"]
        for name, row in coefs[shown].iterrows():
            lines.append(f"| {name} | " + " | ".join("0" if v == 0 else f"{v:+.2f}" for v in row) + " |")
        lines += ["", published_words(coefs, world_size, correlation)]
    lines += ["", "## Published trend", "", PUBLISHED_TREND]
    return "\n".join(lines) + "\n"


def analyze_sweep(sweep_dir: Path, out_dir: Path, n: int, train_n: int, seed: int = 0, unfinished: bool = False,
                  progress: Callable[[int], None] | None = None) -> str:
    """Play every trial of the sweep, then write sweep.md, the tables, sweep.json and the figure into
    the new folder ``out_dir`` (at once); returns the Markdown."""
    from cheesemaze.analysis.figures.canvas import save_figure
    from cheesemaze.analysis.figures.sweep import sweep_figure

    trials = sweep_trials(sweep_dir, unfinished)
    rows, coef_rows = [], []
    level_start = world_size = None
    for trial in trials:
        agent = load_agent(trial.run_dir)
        level_start = agent.config.test_levels[0] if level_start is None else level_start
        world_size = agent.config.env.world_size if world_size is None else world_size
        row, coefs = trial_row(trial, agent, n, train_n, level_start, seed, progress)
        rows.append(row)
        coef_rows.append(coefs)
    agents = pd.DataFrame(rows)
    coefs = pd.DataFrame(coef_rows)
    fitted = [not c.empty for c in coef_rows]
    coefs.loc[fitted] = coefs.loc[fitted].fillna(0.0)  # a feature the L1 fit dropped has coefficient 0; unfitted stay NaN
    table = by_region(agents)
    slope = trend(agents)
    below = below_floor(agents)
    correlation = (float(agents["top_right_distances_correlation"].iloc[0])
                   if "top_right_distances_correlation" in agents else None)
    markdown = sweep_markdown(agents, table, coefs, slope, n, level_start, world_size, correlation)
    summary = {"sweep": str(sweep_dir), "n": n, "level_start": level_start, "seed": seed,
               "agents": agents.to_dict("records"), "by_region": table.to_dict("records"),
               "trend_p_cheese": slope, "conclusion": sweep_conclusion(table, slope), "floor": FLOOR,
               "below_floor": below, "trend_p_cheese_without_below_floor": trend(agents[~agents["agent"].isin(below)])}
    with staged_dir(Path(out_dir)) as staging:
        (staging / "sweep.md").write_text(markdown)
        (staging / "sweep.json").write_text(json.dumps(summary, indent=2, default=float) + "\n")
        agents.to_csv(staging / "agents.csv", index=False)
        table.to_csv(staging / "by_region.csv", index=False)
        coefs.to_csv(staging / "coefficients.csv")
        save_figure(sweep_figure(agents, table, coefs, KEY_FEATURES, below, FLOOR), staging / "sweep")
    return markdown
