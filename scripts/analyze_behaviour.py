"""``cheesemaze analyze behaviour AGENT``: behavioural statistics, tables and figures for one agent.

Uses the agent's default held-out evaluation (running it first when it does not exist yet), then
writes into a new folder ``<run_dir>/analyses/behaviour/``: the comparison with the published
numbers (CSV and Markdown), the regression tables, VIFs and correlations, the actor-critic fork
comparison, a ``summary.json``, a ``report.md`` that gathers the tables, and ``figures/``
(:mod:`cheesemaze.analysis.behaviour_study`).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import tyro

from cheesemaze.agents.loading import load_checked
from cheesemaze.analysis.behaviour_study import BehaviourStudyConfig, run_behaviour_study
from cheesemaze.analysis.outputs import check_writable, fresh_path
from cheesemaze.scripts.args import AgentArg, refuse

ANALYSIS_DIR = Path("analyses") / "behaviour"


@dataclass(frozen=True, kw_only=True)
class BehaviourConfig(BehaviourStudyConfig):
    """Behavioural statistics of an agent on held-out cheese-anywhere mazes with a decision square."""

    agent: AgentArg
    """A run directory, or the name of a shipped agent (r5, control)."""
    out: Path | None = None
    """Output folder, which must not exist (default: a fresh <run_dir>/analyses/behaviour)."""
    threads: int = 1
    """Torch threads for the policy network: 1 is robust on a busy machine (spinning threads can stall
    for seconds when the cores are taken), 2 can be faster on an idle two-core machine."""


def main(argv: list[str], prog: str) -> int:
    """Run ``cheesemaze analyze behaviour``; returns the exit code (2 for bad input, 130 when interrupted)."""
    config = tyro.cli(BehaviourConfig, args=argv, prog=prog)
    try:
        for flag, value, least in (("--splits", config.splits, 2), ("--bootstrap", config.bootstrap, 0),
                                   ("--fork-mazes", config.fork_mazes, 0)):
            if value < least:
                raise ValueError(f"{flag} must be at least {least}; got {value}")
        if config.out is not None and config.out.exists():
            raise ValueError(f"--out {config.out} already exists; analyses are never overwritten")
        agent, _ = load_checked(config.agent, config.n, config.level_start, config.threads)
        out = config.out or fresh_path(Path(agent.run_dir) / ANALYSIS_DIR)
        check_writable(out)
        run_behaviour_study(agent, out, config)
    except ValueError as err:
        return refuse(prog, err, BehaviourConfig)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; nothing was written", file=sys.stderr)
        return 130
    print(f"wrote {out}")
    return 0
