"""``cheesemaze probe AGENT [AGENT ...]``: linear probes for the cheese's and the top-right's cell at
every residual addition, and the channels that track the cheese (:mod:`cheesemaze.analysis.probes`)."""

from __future__ import annotations

from dataclasses import dataclass

import tyro

from cheesemaze.analysis.probes import ProbeConfig
from cheesemaze.scripts.args import AgentsOptions, run_over_agents


@dataclass(frozen=True, kw_only=True)
class ProbeCommand(ProbeConfig, AgentsOptions):
    """Probe agents' residual streams for the cheese's and the top-right's cell on held-out mazes, and
    rank a layer's channels by how well they track the cheese; per agent and across seeds."""


def agents_probed(config: ProbeConfig, members: list) -> int:
    """One step per agent; ``ValueError`` for too few mazes or channels, or an unknown layer."""
    from cheesemaze.agents.activations import check_hook_point

    for flag, value, least in (("--n-fit", config.n_fit, 2), ("--n-score", config.n_score, 1), ("--top", config.top, 1)):
        if value < least:
            raise ValueError(f"{flag} must be at least {least}; got {value}")
    for member in members:
        check_hook_point(member.agent.policy, config.layer)
    return len(members)


def main(argv: list[str], prog: str) -> int:
    """Run ``cheesemaze probe``; 2 for bad input, 130 when interrupted."""
    from cheesemaze.analysis.probe_report import run_probes

    command = tyro.cli(ProbeCommand, args=argv, prog=prog)
    return run_over_agents(prog, command, ProbeConfig, "probe", lambda c: c.n_fit + c.n_score,
                           lambda c: f"n{c.n_fit}+{c.n_score}", agents_probed, run_probes)
