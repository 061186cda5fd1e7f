"""``cheesemaze steer AGENT [AGENT ...] --vector cheese|top-right --layer L --coeff C [C ...]``: add a
steering vector to agents' residual stream while they play held-out mazes
(:mod:`cheesemaze.analysis.steering`)."""

from __future__ import annotations

from dataclasses import dataclass

import tyro

from cheesemaze.analysis.steering import SteerConfig
from cheesemaze.scripts.args import AgentsOptions, run_over_agents


@dataclass(frozen=True, kw_only=True)
class SteerCommand(SteerConfig, AgentsOptions):
    """Steer agents with a cheese or top-right vector on held-out decision-square mazes; report
    P(cheese | decision square) and P(top-right) per coefficient, per agent and across seeds."""


def conditions(config: SteerConfig, members: list) -> int:
    """Conditions to play over all agents; ``ValueError`` for no coefficient or an unknown layer."""
    from cheesemaze.analysis.steering import condition_count

    if not config.coeff:
        raise ValueError("give at least one --coeff")
    return sum(condition_count(config, m.agent) for m in members)


def main(argv: list[str], prog: str) -> int:
    """Run ``cheesemaze steer``; 2 for bad input, 130 when interrupted."""
    from cheesemaze.analysis.steering_report import run_steering

    command = tyro.cli(SteerCommand, args=argv, prog=prog)
    return run_over_agents(prog, command, SteerConfig, "steer", lambda c: c.n, lambda c: f"{c.vector}-n{c.n}",
                           conditions, run_steering)
