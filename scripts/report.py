"""``cheesemaze report AGENT``: the whole pipeline on one agent — held-out evaluation, behavioural
statistics, the four hypotheses predicted then scored — each step's results in the agent's run
directory (``evaluations/``, ``analyses/behaviour``, ``analyses/hypotheses``)."""

from __future__ import annotations

import sys

from cheesemaze.scripts import analyze_behaviour, analyze_hypotheses

USAGE = """usage: {prog} AGENT [--threads N]

Run 'analyze behaviour AGENT' and then 'analyze hypotheses AGENT' with their defaults.
AGENT is a run directory or a shipped agent name (r5, control)."""


def main(argv: list[str], prog: str) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE.format(prog=prog))
        return 0 if argv else 2
    steps = (("analyze behaviour", analyze_behaviour.main), ("analyze hypotheses", analyze_hypotheses.main))
    for name, step in steps:
        print(f"== cheesemaze {name} {' '.join(argv)}", flush=True)
        code = step(list(argv), f"cheesemaze {name}")
        if code:
            print(f"{prog}: '{name}' failed with exit code {code}; stopping", file=sys.stderr)
            return code
    return 0
