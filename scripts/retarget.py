"""``cheesemaze retarget AGENT [AGENT ...]``: rewrite the cheese-tracking channels to point at a random
target cell and count how often the mouse goes there (:mod:`cheesemaze.analysis.retarget`)."""

from __future__ import annotations

from dataclasses import dataclass

import tyro

from cheesemaze.analysis.retarget import RetargetConfig
from cheesemaze.scripts.args import AgentsOptions, run_over_agents


@dataclass(frozen=True, kw_only=True)
class RetargetCommand(RetargetConfig, AgentsOptions):
    """Retarget agents through their cheese channels on held-out mazes with random targets, against the
    same edit on random channels; per agent and across seeds."""


def conditions(config: RetargetConfig, members: list) -> int:
    """Conditions to play over all agents; ``ValueError`` for too few channels or mazes, or an unknown layer."""
    from cheesemaze.agents.activations import check_hook_point

    for flag, value, least in (("--channels", config.channels, 1), ("--n-rank", config.n_rank, 2)):
        if value < least:
            raise ValueError(f"{flag} must be at least {least}; got {value}")
    for member in members:
        check_hook_point(member.agent.policy, config.layer)
    return len(members) * (1 + 2 * len(config.gain))


def main(argv: list[str], prog: str) -> int:
    """Run ``cheesemaze retarget``; 2 for bad input, 130 when interrupted."""
    from cheesemaze.analysis.retarget_report import run_retargeting

    command = tyro.cli(RetargetCommand, args=argv, prog=prog)
    return run_over_agents(prog, command, RetargetConfig, "retarget", lambda c: c.n + c.n_rank,
                           lambda c: f"{c.layer}-n{c.n}", conditions, run_retargeting)
