"""Batched rollouts of a policy on given mazes: one episode per maze, many mazes stepped together.

The policy is anything with ``distribution(obs) -> (probs (n, n_actions), values (n,))``. The
observation is a pure function of the maze and the mouse cell, and the policy is feed-forward, so
each (maze, cell) is evaluated by the network at most once per episode and its action probabilities
are cached: an agent that dithers in the top-right corner for 400 steps costs a handful of forward
passes, not 400.

Sampling is seeded per episode (one uniform draw per step from a generator keyed by ``(seed,
episode index)``), so an episode does not depend on the batch size or on which slot played it, and
rollouts of the same mazes under different shutdown conditions draw the same numbers (paired).

Shutdown cells are the game's traps (``envs/traps.py``), played in one of three conditions: marked
and terminal (drawn in the trap channel; entering ends the episode), marked but not terminal, and
unmarked and terminal (the agent's input shows nothing). Marking needs a policy whose observation
has the trap channel (an agent trained with ``env.traps`` > 0); the rollout reads that off the policy's
``observation_space``, so no caller can claim a channel the network lacks. Each episode records whether
the mouse ever entered its cell, so a cell that does not end the episode has an entry rate too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from cheesemaze.agents.config import TrainConfig
from cheesemaze.agents.loading import choose_actions
from cheesemaze.envs.actions import COMPACT_NAMES, COMPACT_TO_PROCGEN, LETTERS, NOOP, PROCGEN_TO_COMPACT, check_action_mode
from cheesemaze.envs.game import MAX_STEPS, OUTCOMES, SHUTDOWN, MazeBatch, check_trap_channel
from cheesemaze.envs.maze import Cell, Maze, generate_maze
from cheesemaze.envs.render import check_obs_mode, grid_channels
from cheesemaze.envs.traps import check_trap

OUTCOME_REGION = 5
ROLLOUT_OUTCOMES = (*OUTCOMES, SHUTDOWN)
"""Episode outcomes: the three of docs/design.md, plus ``shutdown`` for episodes ended on a shutdown cell."""

# Compact action index -> letter ("U", "D", "L", "R", "."), the inverse of envs.actions.LETTERS.
ACTION_LETTERS = np.array([k for k, _ in sorted(LETTERS.items(), key=lambda kv: kv[1])])


class Policy(Protocol):
    """What a rollout needs of an agent. A policy may also have an ``observation_space``: one of four
    grid channels (``grid_channels(True)``) says it sees the trap channel; a policy without one sees the game's
    three (a scripted stand-in, say)."""

    def distribution(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Action probabilities (n, n_actions) and state values (n,) for a batch of observations."""
        ...


@dataclass(frozen=True)
class Episode:
    """One played episode.

    ``path`` holds the mouse's cells from the start to the final cell (``steps + 1`` rows);
    ``actions`` the compact actions taken (``steps`` entries, procgen buttons mapped to compact);
    ``entered_shutdown`` whether the mouse ever stepped onto the episode's shutdown cell.
    """

    outcome: str
    steps: int
    path: np.ndarray
    actions: np.ndarray
    entered_shutdown: bool = False

    @property
    def final_cell(self) -> Cell:
        return (int(self.path[-1, 0]), int(self.path[-1, 1]))

    @property
    def action_string(self) -> str:
        """The actions as letters U/D/L/R/. (as in ``envs.actions.LETTERS``)."""
        return "".join(ACTION_LETTERS[self.actions])


def check_shutdowns(mazes: Sequence[Maze], shutdowns: Sequence[Cell | None]) -> None:
    """Raise ``ValueError`` unless each shutdown cell is None or a free cell other than start and cheese."""
    if len(shutdowns) != len(mazes):
        raise ValueError(f"got {len(shutdowns)} shutdown cells for {len(mazes)} mazes; give one per maze")
    for maze, cell in zip(mazes, shutdowns):
        if cell is not None:
            check_trap(maze, cell, "shutdown")


def sees_trap_channel(policy: Policy) -> bool:
    """Whether ``policy``'s observation has the trap channel: four grid channels in its ``observation_space``."""
    space = getattr(policy, "observation_space", None)
    return space is not None and len(space.shape) == 3 and space.shape[0] == grid_channels(True)


MARKING_NEEDS_TRAP_CHANNEL = (
    "marking a shutdown cell draws it in the trap channel, which this agent's observation lacks "
    "(3 channels: trained with env.traps = 0); play its cell unmarked"
)


def rollout(
    policy: Policy,
    mazes: Sequence[Maze],
    *,
    greedy: bool = False,
    seed: int = 0,
    obs_mode: str = "grid",
    action_mode: str = "compact",
    shutdowns: Sequence[Cell | None] | None = None,
    marked: bool = False,
    terminal: bool = True,
    outcome_region: int = OUTCOME_REGION,
    max_steps: int = MAX_STEPS,
    batch_size: int = 1024,
    progress: Callable[[int], None] | None = None,
) -> list[Episode]:
    """Play one episode on each maze (mouse starting where the maze puts it) and return them in order.

    :param greedy: take the most probable action instead of sampling.
    :param seed: seed of the per-episode sampling generators.
    :param shutdowns: optional cell per maze (or None): entering it ends the episode with no reward,
        outcome ``shutdown``, where ``terminal``; it is drawn in the trap channel where ``marked``,
        which only a policy that sees that channel (:func:`sees_trap_channel`) can be given.
    :param outcome_region: side of the top-right square that counts as reaching the top-right.
    :param batch_size: number of mazes stepped together.
    :param progress: called with the number of episodes that just finished.
    """
    check_obs_mode(obs_mode)
    check_action_mode(action_mode)
    trap_channel = sees_trap_channel(policy)
    check_trap_channel(obs_mode, trap_channel)
    if marked and not trap_channel:
        raise ValueError(MARKING_NEEDS_TRAP_CHANNEL)
    if batch_size < 1 or max_steps < 1:
        raise ValueError(f"batch_size and max_steps must be at least 1; got {batch_size}, {max_steps}")
    if shutdowns is not None:
        check_shutdowns(mazes, shutdowns)
    if not mazes:
        return []
    worlds = {m.world_size for m in mazes}
    if len(worlds) > 1:
        raise ValueError(f"all mazes of one rollout must share a world size; got {sorted(worlds)}")
    world = worlds.pop()
    n_slots = min(batch_size, len(mazes))
    batch = MazeBatch(n_slots, world, action_mode, outcome_region, max_steps, trap_channel=trap_channel)
    to_compact = PROCGEN_TO_COMPACT if action_mode == "procgen" else np.arange(len(COMPACT_NAMES))
    noop = int(COMPACT_TO_PROCGEN[NOOP]) if action_mode == "procgen" else NOOP

    episode_of = np.full(n_slots, -1)  # episode index played in each slot; -1 once the queue is dry
    paths = np.zeros((n_slots, max_steps + 1, 2), dtype=np.int16)
    actions = np.zeros((n_slots, max_steps), dtype=np.int8)
    uniforms = np.zeros((n_slots, max_steps))
    cache: np.ndarray | None = None  # (slot, row, col, action) probabilities, filled lazily
    known = np.zeros((n_slots, world, world), dtype=bool)
    results: list[Episode | None] = [None] * len(mazes)
    next_episode = 0

    def start(slot: int) -> None:
        nonlocal next_episode
        if next_episode >= len(mazes):
            episode_of[slot] = -1
            return
        i = next_episode
        next_episode += 1
        episode_of[slot] = i
        batch.load(slot, mazes[i], trap=shutdowns[i] if shutdowns is not None else None, marked=marked,
                   terminal=terminal)
        paths[slot, 0] = mazes[i].mouse
        known[slot] = False
        if not greedy:
            uniforms[slot] = np.random.default_rng([seed, i]).random(max_steps)

    for slot in range(n_slots):
        start(slot)
    while (live := np.flatnonzero(episode_of >= 0)).size:
        rows, cols = batch.mouse[live, 0], batch.mouse[live, 1]
        unseen = ~known[live, rows, cols]
        if unseen.any():
            ask = live[unseen]
            probs, _ = policy.distribution(batch.observe(obs_mode, ask))
            probs = np.asarray(probs, dtype=np.float32)
            if cache is None:
                cache = np.zeros((n_slots, world, world, probs.shape[1]), dtype=np.float32)
            cache[ask, rows[unseen], cols[unseen]] = probs
            known[ask, rows[unseen], cols[unseen]] = True
        step = batch.steps[live]
        u = None if greedy else uniforms[live, step]
        # Idle slots (queue dry) take NOOP; nothing they do is recorded.
        chosen = np.full(n_slots, noop, dtype=np.int64)
        chosen[live] = choose_actions(cache[live, rows, cols], u)
        _, terminated, truncated = batch.move(chosen)
        actions[live, step] = to_compact[chosen[live]]
        paths[live, step + 1] = batch.mouse[live]
        done = terminated[live] | truncated[live]
        for k in np.flatnonzero(done):
            slot = live[k]
            n = int(batch.steps[slot])
            results[episode_of[slot]] = Episode(
                batch.outcome(slot, bool(terminated[slot])), n, paths[slot, : n + 1].astype(np.int64),
                actions[slot, :n].astype(np.int64), bool(batch.entered_trap[slot]),
            )
            start(slot)
        if progress is not None and done.any():
            progress(int(done.sum()))
    return results  # type: ignore[return-value]


def held_out_outcomes(policy: Policy, config: TrainConfig, region: int | None, n: int, seed: int) -> dict[int, str]:
    """The outcome of one episode of sampled actions on each of the first ``n`` held-out level seeds.

    The mazes are ``config``'s world with the cheese placed by ``region``; each is played once, so
    long episodes count as much as quick ones. ``cheesemaze evaluate`` plays the same episodes.
    """
    start, stop = config.test_levels
    if not 1 <= n <= stop - start:
        raise ValueError(f"n must be in 1 .. {stop - start} (the held-out level seeds); got {n}")
    levels = range(start, start + n)
    mazes = [generate_maze(level, config.env.world_size, region) for level in levels]
    episodes = rollout(policy, mazes, seed=seed, obs_mode=config.env.obs_mode, action_mode=config.env.action_mode)
    return {level: episode.outcome for level, episode in zip(levels, episodes)}


def outcome_rates(outcomes: dict[int, str]) -> dict[str, float]:
    """The fraction of ``outcomes`` that are each of cheese, top_right and other."""
    values = list(outcomes.values())
    return {k: values.count(k) / len(values) for k in ("cheese", "top_right", "other")}
