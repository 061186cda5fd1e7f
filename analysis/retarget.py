"""Retargeting (Turner et al.): rewrite the channels that track the cheese so that they say "the
cheese is here" about a chosen target cell, and see whether the mouse goes there instead.

The cheese-tracking channels are the layer's channels most positively correlated with the cheese's
position (:mod:`cheesemaze.analysis.probes`), ranked on held-out mazes other than the ones played.
Each edited channel is replaced, at every forward pass of the episode, by a synthetic map: its
typical activation away from the cheese everywhere, and a peak at the target (the target's cell
pooled to the layer's grid as the network pools). The peak stands ``gain`` times the cheese
channels' own contrast (their mean activation at the cheese minus away from it) above the
background. The control writes the same maps into as many channels drawn at random from the rest.

Success is reaching the target: the mouse's path visits the target cell (an episode ends at the
cheese, so this is the target before the cheese). The unedited agent's rate of wandering onto the
same targets is the baseline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cheesemaze.agents.activations import EditedAgent, Edit, check_hook_point, record
from cheesemaze.agents.loading import Agent
from cheesemaze.agents.rollout import rollout
from cheesemaze.analysis.behaviour import PUBLISHED_SIDE
from cheesemaze.analysis.cell_maps import CellMap, cell_map
from cheesemaze.analysis.interventions import first_alike, key_index, maze_rows, rate_columns
from cheesemaze.analysis.probes import (
    PUBLISHED_CHEESE_CHANNELS, cell_maps, channel_ranking, probe_mazes, probe_observations,
)
from cheesemaze.analysis.stats import bootstrap_draws, bootstrap_interval
from cheesemaze.envs.geometry import bfs_distances, path_to_top_right
from cheesemaze.envs.maze import Maze, generate_maze

KINDS = ("cheese_channels", "random_channels")
PUBLISHED_RETARGETING = (
    "Turner et al., \"Understanding and controlling a maze-solving policy network\" (their r=5 network, procgen hard, "
    f"{PUBLISHED_SIDE}, IMPALA x4; not ours), retargeted the mouse by clamping one activation of channel 55 at block2.res1 (our "
    "stacks.1.res0.add) to about +5.5 where it normally codes the cheese with about +0.6, or by editing all "
    f"{len(PUBLISHED_CHEESE_CHANNELS)} cheese channels; it works reliably for targets in the upper right (the top half of their seed 0) and less well "
    "elsewhere. They give no overall success rate (\"we haven't done a quantitative analysis\" of where it works)."
)
DISTANCE_BINS = ((0, 0, "on the path"), (1, 4, "1-4 steps off"), (5, 10_000, "5+ steps off"))
"""Target's step distance from the start -> top-right path, in the bins the report splits by."""


@dataclass(frozen=True)
class RetargetConfig:
    """Which channels, how strong a planted peak, and on which held-out mazes."""

    layer: str = "stacks.1.res0.add"
    """The layer whose channels are edited (the published site)."""
    channels: int = 4
    """How many of the layer's channels to edit: the ones most positively correlated with the cheese."""
    gain: tuple[float, ...] = (1.0, 3.0)
    """Heights of the planted peak, in units of the cheese channels' contrast (at the cheese minus away)."""
    n: int = 500
    """Held-out cheese-anywhere mazes played per condition, each with its own random target cell."""
    n_rank: int = 500
    """Further held-out mazes (the level seeds after the played ones) the channels are ranked on."""
    level_start: int | None = None
    """First level seed (default: the start of the agent's held-out range)."""
    seed: int = 0
    """Seed of the targets, the random channels, the action sampling and the ranking mazes' mouse cells."""


def channel_contrast(acts: np.ndarray, cheese_maps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each channel's mean activation on the cheese's positions, and away from them (C,) each."""
    on = cheese_maps[:, None] > 0
    at = (acts * on).sum(axis=(0, 2, 3)) / on.sum()
    away = (acts * ~on).sum(axis=(0, 2, 3)) / (~on).sum()
    return at, away


def random_targets(mazes: list[Maze], seed: int) -> np.ndarray:
    """A free cell per maze other than the start and the cheese, uniformly at random (mazes that look
    alike are given the first one's target by the caller: :func:`first_alike`)."""
    rng = np.random.default_rng([seed, 4])
    cells = []
    for maze in mazes:
        free = [tuple(c) for c in maze.free_cells() if tuple(c) not in (maze.mouse, maze.cheese)]
        cells.append(free[rng.integers(len(free))])
    return np.array(cells)


def path_distance(maze: Maze, cell: tuple[int, int]) -> int:
    """Steps from ``cell`` to the nearest cell of the start -> top-right path."""
    dist = bfs_distances(maze.walls, cell)
    return int(min(dist[c] for c in path_to_top_right(maze)))


def planting_edit(channels: np.ndarray, away: np.ndarray, height: float, maps: np.ndarray,
                  index: dict[bytes, int], obs_mode: str) -> Edit:
    """Replace channels ``channels[m]`` (K per maze m) by their background ``away`` plus ``height``
    on the maze's target map ``maps[m]``, for the maze each observation shows."""
    def edit(obs: np.ndarray, acts: np.ndarray) -> np.ndarray:
        rows = maze_rows(obs, obs_mode, index)
        chosen = channels[rows]
        out = acts.copy()
        out[np.arange(len(rows))[:, None], chosen] = away[chosen][..., None, None] + height * maps[rows][:, None]
        return out
    return edit


@dataclass(frozen=True)
class RetargetResult:
    """One agent retargeted: per maze and condition, per condition, and the channels edited."""

    rows: pd.DataFrame
    summary: pd.DataFrame
    channels: pd.DataFrame
    example: tuple[CellMap, CellMap, tuple[int, int], float]
    """The actor unedited and with the cheese channels retargeted, on the first played maze of the
    largest size (not chosen by outcome), its target and the gain (the largest)."""


def rank_cheese_channels(agent: Agent, layer: str, config: RetargetConfig, start: int) -> tuple[pd.DataFrame, float]:
    """The layer's channels ranked on the ranking mazes, with each one's background (mean away from
    the cheese), and the contrast of the chosen ones (mean at the cheese minus away)."""
    env = agent.config.env
    mazes, cells = probe_mazes(env.world_size, config.n_rank, start, tuple(agent.config.train_levels), config.seed)
    acts = record(agent.policy, probe_observations(mazes, cells, env.obs_mode), [layer])[layer]
    maps = cell_maps(np.array([m.cheese for m in mazes]), env.world_size, acts.shape[-1], agent.config.ppo.upsample)
    ranking = channel_ranking(acts, maps)
    at, away = channel_contrast(acts, maps)
    ranking["at_cheese"], ranking["away"] = at[ranking["channel"]], away[ranking["channel"]]
    chosen = ranking[ranking["corr"] > 0].head(config.channels)
    if len(chosen) < config.channels:
        raise ValueError(f"only {len(chosen)} channels of {layer} correlate positively with the cheese; "
                         f"ask for --channels {len(chosen)} or fewer")
    ranking["edited"] = ranking["channel"].isin(chosen["channel"])
    return ranking, float((chosen["at_cheese"] - chosen["away"]).mean())


def retarget_agent(agent: Agent, config: RetargetConfig, level_start: int,
                   progress: Callable[[int], None] | None = None) -> RetargetResult:
    """Rank the channels, then play the unedited agent and each edit on the same mazes and targets."""
    env = agent.config.env
    layer = check_hook_point(agent.policy, config.layer)
    ranking, contrast = rank_cheese_channels(agent, layer, config, level_start + config.n)
    mazes = [generate_maze(level, env.world_size, None) for level in range(level_start, level_start + config.n)]
    alike = first_alike(mazes, env.obs_mode)
    targets = random_targets(mazes, config.seed)[alike]
    index = key_index(mazes, env.obs_mode)
    size = record(agent.policy, probe_observations(mazes[:1], targets[:1], env.obs_mode), [layer])[layer].shape[-1]
    maps = cell_maps(targets, env.world_size, size, agent.config.ppo.upsample)
    away = np.zeros(len(ranking))
    away[ranking["channel"]] = ranking["away"]
    edited = ranking.loc[ranking["edited"], "channel"].to_numpy()
    others = ranking.loc[~ranking["edited"], "channel"].to_numpy()
    rng = np.random.default_rng([config.seed, 5])
    channel_sets = {"cheese_channels": np.tile(edited, (len(mazes), 1)),
                    "random_channels": np.array([rng.choice(others, len(edited), replace=False) for _ in mazes])[alike]}
    base = pd.DataFrame({"level_seed": [m.level_seed for m in mazes], "target_r": targets[:, 0],
                         "target_c": targets[:, 1],
                         "target_path_distance": [path_distance(m, tuple(t)) for m, t in zip(mazes, targets)]})

    def play(policy, **condition) -> pd.DataFrame:
        episodes = rollout(policy, mazes, seed=config.seed, obs_mode=env.obs_mode, action_mode=env.action_mode)
        reached = [bool((e.path == t).all(axis=1).any()) for e, t in zip(episodes, targets)]
        if progress is not None:
            progress(1)
        return base.assign(reached_target=reached, outcome=[e.outcome for e in episodes],
                           steps=[e.steps for e in episodes], **condition)

    def edited(kind: str, gain: float) -> EditedAgent:
        edit = planting_edit(channel_sets[kind], away, gain * contrast, maps, index, env.obs_mode)
        return EditedAgent(agent, [(layer, edit)])

    frames = [play(agent, kind="none", gain=0.0)]
    for gain in config.gain:
        for kind in KINDS:
            frames.append(play(edited(kind, gain), kind=kind, gain=float(gain)))
    summary = pd.DataFrame([condition_row(f, frames[0], config.seed) for f in frames])
    shown = max(range(len(mazes)), key=lambda i: mazes[i].size)
    maze, gain = mazes[shown], float(max(config.gain, default=0.0))
    example = (cell_map(agent, maze, env.obs_mode, env.action_mode),
               cell_map(edited("cheese_channels", gain), maze, env.obs_mode, env.action_mode),
               (int(targets[shown, 0]), int(targets[shown, 1])), gain)
    return RetargetResult(pd.concat(frames, ignore_index=True), summary, ranking.assign(contrast=contrast), example)


def condition_row(rows: pd.DataFrame, baseline: pd.DataFrame, seed: int) -> dict:
    """P(target) and P(cheese) with Wilson intervals, the change in P(target) from the unedited agent
    on the same mazes and targets (paired bootstrap), and P(target) by the target's distance from
    the path to the top-right."""
    reached = rows["reached_target"].to_numpy()
    diff = reached.astype(float) - baseline["reached_target"].to_numpy()
    low, high = bootstrap_interval(diff, bootstrap_draws(len(rows), 1000, seed))
    row = {"kind": rows["kind"].iat[0], "gain": rows["gain"].iat[0], "mazes": len(rows),
           **rate_columns(reached, "target"), **rate_columns((rows["outcome"] == "cheese").to_numpy(), "cheese"),
           "effect": float(diff.mean()), "effect_low": low, "effect_high": high}
    for lo, hi, name in DISTANCE_BINS:
        inside = rows["target_path_distance"].between(lo, hi).to_numpy()
        row[f"p_target {name}"] = float(reached[inside].mean()) if inside.any() else float("nan")
        row[f"mazes {name}"] = int(inside.sum())
    return row
