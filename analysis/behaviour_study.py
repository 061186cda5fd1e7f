"""The behaviour study for one agent: behavioural statistics, tables and figures, in one folder.

Uses the agent's default held-out evaluation (running it first when it does not exist yet), then
writes into a new folder: the comparison with the published numbers (CSV and Markdown), the
regression tables, VIFs and correlations, the actor-critic fork comparison, a ``summary.json``, a
``report.md`` that gathers the tables, and ``figures/``. The folder appears whole or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from tqdm import tqdm

from cheesemaze.agents.loading import Agent
from cheesemaze.agents.rundir import agent_label
from cheesemaze.analysis.behaviour import (
    PUBLISHED, PUBLISHED_SIDE, PUBLISHED_SOURCE, BehaviourStats, behaviour_statistics, decision_rows,
    published_comparison,
)
from cheesemaze.analysis.evaluation import (
    POLICIES, checkpoint_label, default_name, episode_mazes, evaluation_dir, evaluation_of, read_episodes,
    run_evaluation,
)
from cheesemaze.analysis.outputs import fresh_path, staged_dir
from cheesemaze.analysis.tables import markdown_table
from cheesemaze.envs.maze import DISTRIBUTIONS


@dataclass(frozen=True)
class BehaviourStudyConfig:
    """Which episodes the study reads (or rolls out first) and how hard its statistics work."""

    n: int = 1000
    """Level seeds of the evaluation to use or run (default evaluation: both distributions and policies)."""
    level_start: int | None = None
    """First level seed (default: the start of the agent's held-out test range)."""
    seed: int = 0
    """Seed of the evaluation's action sampling and of the statistics' splits and bootstrap."""
    evaluation: Path | None = None
    """Use this evaluation folder (or episodes.csv) instead of the default one."""
    policy: Literal["sampled", "greedy"] = "sampled"
    """Whose episodes to analyse (the published statistics use sampled actions)."""
    splits: int = 50
    """Random 80/20 splits for the single-feature held-out accuracies (the L1 regression uses half as
    many, each choosing its strength by an inner cross-validation)."""
    bootstrap: int = 200
    """Bootstrap resamples for the coefficient intervals."""
    fork_mazes: int = 2000
    """Decision-square mazes for the actor-critic comparison (0 skips it)."""


def episodes_for(agent: Agent, config: BehaviourStudyConfig, start: int,
                 say: Callable[[str], None] = print) -> pd.DataFrame:
    """The evaluation ``config.evaluation`` names, else the default one, run now if it does not exist."""
    if config.evaluation is not None:
        return read_episodes(config.evaluation)
    default = evaluation_dir(agent.run_dir, default_name(config.n, start, config.seed, DISTRIBUTIONS, POLICIES))
    found = evaluation_of(agent, default)
    if found is not None:
        say(f"using the evaluation in {found}")
        return read_episodes(found)
    folder = fresh_path(default)
    if folder == default:
        say(f"no evaluation at {folder} yet; running it")
    else:
        say(f"the evaluation in {default} is of another checkpoint than {checkpoint_label(agent)} at "
            f"{agent.num_timesteps:,} steps; running a new one into {folder}")
    with tqdm(total=config.n * len(DISTRIBUTIONS) * len(POLICIES), desc="episodes", unit="ep") as bar:
        return run_evaluation(agent, folder, config.n, level_start=start, seed=config.seed, progress=bar.update)


def tables(stats: BehaviourStats) -> dict[str, pd.DataFrame]:
    """The result tables by file stem."""
    return {
        "comparison": published_comparison(stats),
        "single_feature": stats.single,
        "coefficients": stats.multiple.coefficients,
        "vif": stats.vifs.rename_axis("feature").reset_index(),
        "correlations": stats.correlations.rename_axis("feature").reset_index(),
    }


def replication(stats: BehaviourStats, world_size: int) -> str:
    """In words: which published effects this agent reproduces and which it does not."""
    low, high = stats.cheese_ci
    rate = PUBLISHED["cheese_rate"]
    words = [f"Ours come from a {world_size}x{world_size} world, theirs from a {PUBLISHED_SIDE} "
             "one: maze sizes and distances differ in range, so only signs and rankings compare directly."]
    words.append(f"P(cheese | decision square): the published {rate:.3f} lies "
                 + ("inside" if low <= rate <= high else "outside") + f" our Wilson 95% interval ({low:.3f}-{high:.3f}).")
    coefs = stats.multiple.coefficients.set_index("feature")
    if "d_euclid_cheese_tr" in coefs.index:
        c = coefs.loc["d_euclid_cheese_tr"]
        rank = int((coefs["coef"].abs() > abs(c["coef"])).sum()) + 1
        holds = c["coef"] < 0 and c["high"] < 0 and rank == 1
        words.append("Their strongest effect, a cheese farther from the top-right cell lowering P(cheese) "
                     "(d_Euclid(cheese, top-right), the largest standardized coefficient): "
                     + ("replicates" if holds else "does not replicate") + f" here (coefficient {c['coef']:.3f}, "
                     f"bootstrap 95% {c['low']:.3f} to {c['high']:.3f}, rank {rank} by size).")
    return " ".join(words)


def report(agent_name: str, stats: BehaviourStats, named: dict[str, pd.DataFrame], fork: dict[str, Any] | None,
           world_size: int) -> str:
    """``report.md``: the tables with a line on what each is."""
    m = stats.multiple
    parts = [
        f"# Behavioural statistics: {agent_name} ({world_size}x{world_size} world)\n",
        f"{stats.episodes} held-out cheese-anywhere episodes, {stats.with_dsq} with a decision square; "
        f"the agent reached the cheese in {stats.cheese} of those ({stats.cheese_rate:.3f}, Wilson 95% "
        f"{stats.cheese_ci[0]:.3f}-{stats.cheese_ci[1]:.3f}).\n",
        f"## Ours beside the published numbers\n\nThe `ours` column is this agent in a {world_size}x{world_size} "
        f"world; the `published` column is {PUBLISHED_SOURCE}. {replication(stats, world_size)}\n",
        markdown_table(named["comparison"]),
        "## Single-feature logistic regressions\n\nHeld-out accuracy over random 80/20 splits; `coef` is "
        "the standardized coefficient (log-odds of cheese per sd of the feature).\n",
        markdown_table(named["single_feature"].drop(columns=["feature"])),
        f"## L1 multiple regression\n\nHeld-out accuracy {m.accuracy:.3f} (sd {m.accuracy_sd:.3f}) over "
        "random 80/20 splits, each choosing the strength C by 5-fold log-loss on its training part, majority "
        f"baseline {m.baseline:.3f}. Coefficients (C = {m.C:.3g}, chosen the same way on all rows) are "
        "standardized; `low`/`high` are bootstrap 95% percentiles, `nonzero` the share of bootstrap fits "
        "keeping the feature.\n",
        markdown_table(named["coefficients"].drop(columns=["feature"])),
        "## Variance inflation factors\n\nInfinite where a feature is an exact sum of others (in a tree "
        "maze, d_step(cheese, top-right) = d_step(decision square, cheese) + d_step(decision square, "
        "top-right)).\n",
        markdown_table(named["vif"]),
    ]
    if fork is not None:
        parts += [
            "## Actor and critic at the decision square\n\nAt each maze's decision square: does the actor "
            "put more probability on the move toward the top-right or toward the cheese, and does the critic "
            "value the next cell of the cheese branch above that of the top-right branch? Left out: mazes "
            "whose cheese is next to the decision square (that next cell is terminal) and mazes whose "
            "decision square is the top-right cell (no top-right branch).\n",
            markdown_table(pd.DataFrame([fork])),
        ]
    return "\n".join(parts)


def write_figures(folder: Path, agent: Agent, df: pd.DataFrame, rows: pd.DataFrame, stats: BehaviourStats,
                  policy: str, seed: int, say: Callable[[str], None] = print) -> None:
    """The behaviour figures, plus the actor-critic and trajectory plots of the first decision-square maze."""
    from cheesemaze.analysis.cell_maps import cell_map
    from cheesemaze.analysis.figures.canvas import save_figure
    from cheesemaze.analysis.figures.cheese_rate import binned_rate_figure, location_heatmap_figure
    from cheesemaze.analysis.figures.outcomes import outcome_rates_figure
    from cheesemaze.analysis.figures.policy_maps import actor_critic_figure, trajectories_figure
    from cheesemaze.analysis.figures.regression import regression_figure
    from cheesemaze.analysis.figures.training import read_progress, training_curves_figure, training_cut
    from cheesemaze.agents.rollout import rollout

    folder.mkdir()
    name = agent_label(agent.run_dir)
    save_figure(outcome_rates_figure(df, f"{name}: outcomes on held-out mazes"), folder / "outcomes")
    save_figure(binned_rate_figure(rows), folder / "cheese_vs_features")
    save_figure(location_heatmap_figure(rows), folder / "cheese_by_location")
    save_figure(regression_figure(stats), folder / "regression")
    maze = episode_mazes(rows.head(1))[0]
    env = agent.config.env
    save_figure(actor_critic_figure(cell_map(agent, maze, env.obs_mode, env.action_mode)), folder / "actor_critic")
    episodes = rollout(agent, [maze] * 16, greedy=policy == "greedy", seed=seed, obs_mode=env.obs_mode,
                       action_mode=env.action_mode)
    save_figure(trajectories_figure(maze, [e.path for e in episodes], [e.outcome for e in episodes]),
                folder / "trajectories")
    try:
        save_figure(training_curves_figure(read_progress(agent.run_dir), f"{name}: training", training_cut(env)),
                    folder / "training")
    except ValueError as err:
        say(f"no training curves: {err}")


def run_behaviour_study(agent: Agent, out_dir: Path, config: BehaviourStudyConfig,
                        say: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the study into the new folder ``out_dir``; returns its summary. ``ValueError`` (too few
    episodes, say) comes before anything is written."""
    start = agent.config.test_levels[0] if config.level_start is None else config.level_start
    df = episodes_for(agent, config, start, say)
    stats = behaviour_statistics(df, "anywhere", config.policy, config.splits, config.bootstrap, config.seed)
    rows = decision_rows(df, "anywhere", config.policy)
    named = tables(stats)
    fork_table, fork = None, None
    if config.fork_mazes:
        from cheesemaze.analysis.cell_maps import fork_comparison, fork_summary

        mazes = episode_mazes(rows.drop_duplicates("level_seed").head(config.fork_mazes))
        env = agent.config.env
        fork_table = fork_comparison(agent, mazes, env.obs_mode, env.action_mode)
        # Mazes whose decision square is the top-right cell itself have no top-right branch.
        fork = {"decision_square_mazes": len(mazes), **fork_summary(fork_table)}
    summary = {
        "agent": agent_label(agent.run_dir), "policy": config.policy, "episodes": stats.episodes,
        "with_dsq": stats.with_dsq, "cheese": stats.cheese, "cheese_rate": stats.cheese_rate,
        "cheese_ci95": list(stats.cheese_ci), "l1_C": stats.multiple.C, "l1_accuracy": stats.multiple.accuracy,
        "l1_baseline": stats.multiple.baseline, "actor_critic": fork,
    }
    with staged_dir(Path(out_dir)) as staging:
        for stem, table in named.items():
            table.to_csv(staging / f"{stem}.csv", index=False)
        (staging / "comparison.md").write_text(markdown_table(named["comparison"]))
        if fork_table is not None:
            fork_table.to_csv(staging / "fork_comparison.csv", index=False)
        (staging / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
        (staging / "report.md").write_text(report(agent_label(agent.run_dir), stats, named, fork,
                                                          agent.config.env.world_size))
        write_figures(staging / "figures", agent, df, rows, stats, config.policy, config.seed, say)
    say(markdown_table(named["comparison"]))
    return summary
