"""Held-out evaluation: roll an agent out on unseen level seeds and keep one table row per episode.

Each level seed is played on the agent's training distribution (cheese in its top-right region) and
on cheese-anywhere, with sampled and/or greedy actions. The table (``COLUMNS``) and a summary of
outcome rates with Wilson intervals are written together, atomically, into one folder.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cheesemaze.analysis.features import FEATURES, maze_features
from cheesemaze.analysis.outputs import numbered_paths, staged_dir
from cheesemaze.analysis.stats import wilson_interval
from cheesemaze.agents.loading import Agent
from cheesemaze.agents.rollout import OUTCOME_REGION, ROLLOUT_OUTCOMES, Episode, rollout
from cheesemaze.envs.maze import (
    DISTRIBUTIONS, Distribution, Maze, Region, check_levels, distribution_region, generate_maze, parse_region,
    region_text,
)

POLICIES = ("sampled", "greedy")

EVALUATIONS_DIR = "evaluations"
"""A run directory's folder of evaluations."""
EPISODES_FILE = "episodes.csv"
SUMMARY_FILE = "summary.json"

BASE_COLUMNS = (
    "level_seed", "distribution", "region", "policy", "world_size", "maze_size",
    "start_r", "start_c", "cheese_r", "cheese_c", "top_right_r", "top_right_c",
    "has_dsq", "dsq_r", "dsq_c", "outcome", "steps", "final_r", "final_c", "actions", "path",
)
COLUMNS = BASE_COLUMNS + tuple(f for f in FEATURES if f not in BASE_COLUMNS)
"""Columns of the episode table, in order (every feature of ``FEATURES`` included; ``maze_size`` once). ``region`` is
the region's text (``"5"``, ``"anywhere"``); ``dsq`` is the decision square (-1 when there is none);
``actions`` are letters U/D/L/R/.; ``path`` is ``"r,c;r,c;..."`` from the start to the final cell."""

INT_COLUMNS = ("level_seed", "world_size", "maze_size", "start_r", "start_c", "cheese_r",
               "cheese_c", "top_right_r", "top_right_c", "dsq_r", "dsq_c", "steps", "final_r", "final_c")
STR_COLUMNS = ("distribution", "region", "policy", "outcome", "actions", "path")
LEGACY_ANYWHERE = "-1"
"""How tables written before the region column was text spell cheese-anywhere (still read)."""


def check_choices(values: Sequence[str], allowed: tuple[str, ...], what: str) -> tuple[str, ...]:
    """``values`` as a tuple, or ``ValueError`` naming the allowed ones."""
    values = tuple(values)
    bad = [v for v in values if v not in allowed]
    if bad or not values:
        raise ValueError(f"{what} must be chosen from {allowed}; got {values!r}")
    return values


def maze_columns(maze: Maze) -> dict[str, Any]:
    """The table columns that depend only on the maze: geometry, decision square and FEATURES."""
    feats, dsq = maze_features(maze)
    return {
        **feats,
        "world_size": maze.world_size, "maze_size": maze.size,
        "start_r": maze.start[0], "start_c": maze.start[1],
        "cheese_r": maze.cheese[0], "cheese_c": maze.cheese[1],
        "top_right_r": maze.top_right[0], "top_right_c": maze.top_right[1],
        "has_dsq": dsq is not None,
        "dsq_r": dsq[0] if dsq else -1, "dsq_c": dsq[1] if dsq else -1,
    }


def format_path(path: np.ndarray) -> str:
    """Cells as ``"r,c;r,c;..."``."""
    return ";".join(f"{r},{c}" for r, c in path.tolist())


def parse_path(text: str) -> np.ndarray:
    """The inverse of :func:`format_path`: an (n, 2) array of cells."""
    return np.array([[int(v) for v in cell.split(",")] for cell in text.split(";")], dtype=np.int64)


def episode_row(episode: Episode) -> dict[str, Any]:
    """The table columns that describe what the agent did."""
    return {
        "outcome": episode.outcome, "steps": episode.steps,
        "final_r": episode.final_cell[0], "final_c": episode.final_cell[1],
        "actions": episode.action_string, "path": format_path(episode.path),
    }


def evaluate(
    agent: Agent,
    n: int,
    *,
    level_start: int | None = None,
    distributions: Sequence[Distribution] = DISTRIBUTIONS,
    policies: Sequence[str] = POLICIES,
    seed: int = 0,
    batch_size: int = 1024,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """Roll ``agent`` out on ``n`` held-out level seeds per distribution and policy; one row per episode.

    ``agent`` needs ``config`` (``env.world_size``, ``env.region``, ``env.obs_mode``,
    ``env.action_mode``, ``train_levels``, ``test_levels``) and ``distribution(obs)``. Level seeds
    start at ``level_start`` (default: the start of the agent's test range). Every argument is
    checked before the first rollout. For an agent trained with the cheese anywhere the two
    distributions are the same mazes, played once (the same action seed would repeat each episode).
    """
    config = agent.config
    start = config.test_levels[0] if level_start is None else level_start
    levels = check_levels(start, n, tuple(config.train_levels))
    distributions = check_choices(distributions, DISTRIBUTIONS, "distributions")
    policies = check_choices(policies, POLICIES, "policies")
    env = config.env
    frames = []
    played: dict[tuple[Region, str], list[Episode]] = {}  # an agent trained anywhere: train is anywhere
    for distribution in distributions:
        region = distribution_region(distribution, env.region)
        mazes = [generate_maze(level, env.world_size, region) for level in levels]
        columns = pd.DataFrame([maze_columns(m) for m in mazes])
        for policy in policies:
            episodes = played.get((region, policy))
            if episodes is None:
                episodes = played[region, policy] = rollout(
                    agent, mazes, greedy=policy == "greedy", seed=seed, obs_mode=env.obs_mode,
                    action_mode=env.action_mode, outcome_region=OUTCOME_REGION, batch_size=batch_size,
                    progress=progress,
                )
            elif progress is not None:
                progress(len(episodes))  # the same mazes and action seed: the same episodes
            frame = columns.assign(
                level_seed=list(levels), distribution=distribution,
                region=region_text(region), policy=policy,
            )
            frames.append(pd.concat([frame, pd.DataFrame([episode_row(e) for e in episodes])], axis=1))
    return pd.concat(frames, ignore_index=True)[list(COLUMNS)]


def summarize(df: pd.DataFrame) -> dict[str, Any]:
    """Outcome counts and rates (with 95% Wilson intervals) per distribution and policy, overall and
    on the mazes with a decision square."""
    groups = []
    for (distribution, policy), rows in df.groupby(["distribution", "policy"], sort=False):
        entry: dict[str, Any] = {"distribution": distribution, "policy": policy,
                                 "region": parse_region(rows["region"].iloc[0])}
        for name, subset in (("all", rows), ("with_dsq", rows[rows["has_dsq"]])):
            counts = subset["outcome"].value_counts()
            total = len(subset)
            entry[name] = {
                "episodes": total,
                "mean_steps": float(subset["steps"].mean()) if total else None,
                "counts": {o: int(counts.get(o, 0)) for o in ROLLOUT_OUTCOMES},
                # None rather than NaN where there are no episodes: NaN is not JSON.
                "rates": {
                    o: {"rate": counts.get(o, 0) / total,
                        "ci95": list(wilson_interval(int(counts.get(o, 0)), total))} if total else None
                    for o in ROLLOUT_OUTCOMES
                },
            }
        groups.append(entry)
    return {"episodes": len(df), "groups": groups}


def default_name(n: int, level_start: int, seed: int, distributions: Sequence[str],
                 policies: Sequence[str]) -> str:
    """The folder name an evaluation gets under ``<run_dir>/evaluations/`` unless told otherwise."""
    dist = "both" if len(distributions) > 1 else distributions[0]
    pol = "both" if len(policies) > 1 else policies[0]
    return f"n{n}-levels{level_start}-seed{seed}-{dist}-{pol}"


def evaluation_dir(run_dir: Path, name: str) -> Path:
    """Where an evaluation of this name lives in a run directory."""
    return Path(run_dir) / EVALUATIONS_DIR / name


def checkpoint_label(agent: Agent) -> str | None:
    """The agent's checkpoint file, relative to its run directory when it lies inside it."""
    checkpoint = getattr(agent, "checkpoint", None)
    if checkpoint is None:
        return None
    try:
        return str(Path(checkpoint).resolve().relative_to(Path(agent.run_dir).resolve()))
    except ValueError:
        return str(checkpoint)


def agent_record(agent: Agent) -> dict[str, Any]:
    """Which agent and checkpoint this is, as evaluation summaries and prediction files record it."""
    run = getattr(agent, "run_dir", None)
    return {"agent": Path(run).name if run else None, "checkpoint": checkpoint_label(agent),
            "checkpoint_sha256": getattr(agent, "checkpoint_sha256", None),
            "num_timesteps": getattr(agent, "num_timesteps", None)}


def evaluation_of(agent: Agent, folder: Path) -> Path | None:
    """The first of ``folder``, ``folder-2``, ``folder-3``, ... whose summary records this agent's
    checkpoint and step count, or None (also for a summary from before they were recorded)."""
    want = {"checkpoint": checkpoint_label(agent), "num_timesteps": getattr(agent, "num_timesteps", None)}
    for candidate in numbered_paths(folder):
        if not candidate.exists():
            return None
        path = candidate / SUMMARY_FILE
        summary = json.loads(path.read_text()) if path.is_file() else {}
        if all(summary.get(key) == value for key, value in want.items()):
            return candidate


def run_evaluation(agent: Agent, out_dir: Path, n: int, **options: Any) -> pd.DataFrame:
    """:func:`evaluate` (``options`` are its keyword arguments), then write the table and summary
    into the new folder ``out_dir``. Refuses an existing ``out_dir`` before any rollout; an
    interrupted run writes nothing.
    """
    out_dir = Path(out_dir)
    if out_dir.exists():
        raise FileExistsError(f"{out_dir} already exists; evaluations are never overwritten, choose another --out")
    df = evaluate(agent, n, **options)
    start = int(df["level_seed"].min())
    summary = {
        **agent_record(agent),
        "level_seeds": [start, start + n], "seed": options.get("seed", 0),
        "distributions": sorted(set(df["distribution"])), "policies": sorted(set(df["policy"])),
        **summarize(df),
    }
    write_evaluation(out_dir, df, summary)
    return df


def write_evaluation(out_dir: Path, df: pd.DataFrame, summary: dict[str, Any]) -> Path:
    """Write the episode table and summary into the new folder ``out_dir``, all at once."""
    with staged_dir(Path(out_dir)) as staging:
        df.to_csv(staging / EPISODES_FILE, index=False)
        (staging / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n")
    return Path(out_dir)


def read_episodes(path: Path | str) -> pd.DataFrame:
    """Read an episode table (the CSV, or the evaluation folder holding it) with the right types."""
    path = Path(path)
    if path.is_dir():
        path = path / EPISODES_FILE
    if not path.is_file():
        raise ValueError(f"no episode table at {path}; run 'cheesemaze evaluate' first")
    floats = [f for f in FEATURES if f not in INT_COLUMNS]
    dtypes: dict[str, Any] = {f: "float64" for f in floats}
    dtypes.update({c: "int64" for c in INT_COLUMNS})
    dtypes.update({c: str for c in STR_COLUMNS}, has_dsq=bool)
    df = pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values={f: [""] for f in floats})
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path} is not an episode table: columns {missing} are missing")
    df["region"] = df["region"].replace(LEGACY_ANYWHERE, region_text(None))
    for text in df["region"].unique():
        try:
            parse_region(text)
        except ValueError as error:
            raise ValueError(f"{path}: {error}") from None
    return df


def episode_mazes(df: pd.DataFrame) -> list[Maze]:
    """The maze of each row: ``generate_maze(level_seed, world_size, region)``."""
    cache: dict[tuple[int, int, str], Maze] = {}
    mazes = []
    for key in zip(df["level_seed"], df["world_size"], df["region"]):
        key = (int(key[0]), int(key[1]), key[2])
        if key not in cache:
            cache[key] = generate_maze(key[0], key[1], parse_region(key[2]))
        mazes.append(cache[key])
    return mazes
