"""``cheesemaze report AGENT``: the whole pipeline on one agent — held-out evaluation, behavioural
statistics, the four hypotheses predicted then scored — each step's results in the agent's run
directory (``evaluations/``, ``analyses/behaviour``, ``analyses/hypotheses``)."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import tyro

from cheesemaze.scripts.args import AgentArg
from cheesemaze.scripts.main import main as cheesemaze


@dataclass(frozen=True)
class ReportArgs:
    """Run 'analyze behaviour AGENT' and then 'analyze hypotheses AGENT' with their defaults; for any
    other option, run the two commands yourself."""

    agent: AgentArg
    """A run directory, or the name of a shipped agent (r5, control)."""
    threads: int = 1
    """Torch threads for the rollouts of both steps."""


def main(argv: list[str], prog: str) -> int:
    args = tyro.cli(ReportArgs, args=argv, prog=prog)
    if args.threads < 1:
        print(f"{prog}: --threads must be at least 1; got {args.threads}", file=sys.stderr)
        return 2
    step_argv = [args.agent, "--threads", str(args.threads)]
    for name in ("analyze behaviour", "analyze hypotheses"):
        print(f"== cheesemaze {name} {' '.join(step_argv)}", flush=True)
        code = cheesemaze([*name.split(), *step_argv])
        if code:
            print(f"{prog}: '{name}' failed with exit code {code}; stopping", file=sys.stderr)
            return code
    return 0
