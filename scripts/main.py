"""The ``cheesemaze`` entry point: one command with subcommands, each parsed by its own module.

Each subcommand lives in a module of this package with a ``main(argv, prog)`` function that parses
its own flags (tyro over a frozen config dataclass). Modules are imported only when their command
runs, so ``cheesemaze --help`` is instant and a command never pays for another's imports.
"""

from __future__ import annotations

import importlib
import sys
import textwrap

# name -> "module:function", or name -> {subname -> "module:function"} for command groups.
COMMANDS: dict[str, str | dict[str, str]] = {
    "maze": {"show": "cheesemaze.scripts.maze_cmd:show"},
    "train": "cheesemaze.scripts.train:main",
    "sweep": "cheesemaze.scripts.sweep:main",
    "ship": "cheesemaze.scripts.ship:main",
    "evaluate": "cheesemaze.scripts.evaluate:main",
    "analyze": {
        "behaviour": "cheesemaze.scripts.analyze_behaviour:main",
        "hypotheses": "cheesemaze.scripts.analyze_hypotheses:main",
        "sweep": "cheesemaze.scripts.analyze_sweep:main",
    },
    "compare": "cheesemaze.scripts.compare:main",
    "predict": "cheesemaze.scripts.predict:main",
    "probe": "cheesemaze.scripts.probe:main",
    "report": "cheesemaze.scripts.report:main",
    "results": "cheesemaze.scripts.results:main",
    "retarget": "cheesemaze.scripts.retarget:main",
    "score": "cheesemaze.scripts.score:main",
    "steer": "cheesemaze.scripts.steer:main",
    "plot": {
        "curves": "cheesemaze.scripts.plot:curves",
        "outcomes": "cheesemaze.scripts.plot:outcomes",
        "cheese-rate": "cheesemaze.scripts.plot:cheese_rate",
        "heatmap": "cheesemaze.scripts.plot:heatmap",
        "vector-field": "cheesemaze.scripts.plot:vector_field",
        "trajectories": "cheesemaze.scripts.plot:trajectories",
    },
}

HELP = {
    "train": "train a PPO agent (presets cpu-easy, cpu-hard, procgen-hard)",
    "ship": "copy a sweep's finished trials into the package as the zoo (weights, config, log, evaluation)",
    "sweep": "train a grid of agents (cheese region x seed x any field) on Ray, resumably",
    "evaluate": "roll an agent out on held-out mazes; one table row per episode",
    "compare": "two agents or groups (r5/* against control/*) on the same mazes, per seed and across seeds",
    "results": "write docs/results.md from the result files the project ships (no number typed by hand)",
    "report": "the whole pipeline on an agent: evaluate, behavioural statistics, hypotheses, reports",
    "probe": "linear probes for the cheese and the top-right at every residual addition; cheese channels",
    "retarget": "point the cheese channels at a random target; how often the mouse goes there, against random channels",
    "predict": "write every hypothesis's outcome probabilities for held-out seeds, before rolling out",
    "score": "score a prediction file against an evaluation (log-likelihood, accuracy, Brier, Bayes factors)",
    "steer": "add a cheese or top-right steering vector while agents play; P(cheese) per coefficient",
    "maze show": "print a level as ASCII with its decision square; --png draws it",
    "analyze behaviour": "logistic regressions of P(cheese) on maze features, beside the published ones",
    "analyze sweep": "a region sweep across seeds: P(cheese), P(top-right) and coefficients against r",
    "analyze hypotheses": "calibrate, predict, roll out and score the four hypotheses; report.md",
    "plot curves": "training curves of a run directory (steps and wall time)",
    "plot outcomes": "outcome rates per distribution and policy, with intervals",
    "plot cheese-rate": "P(cheese) against d_Euclid(cheese, top-right) and d_step(decision square, cheese)",
    "plot heatmap": "P(cheese) by cheese location over the maze",
    "plot vector-field": "the policy's action probabilities on every open cell, beside the value map",
    "plot trajectories": "episodes drawn over their maze",
}


WIDTH = 100
"""Characters per line of the command list."""


def leaves(commands: dict) -> list[str]:
    """Every command a table runs, a group's as ``group sub`` (``analyze sweep``)."""
    return [f"{name} {sub}".strip() for name, target in commands.items()
            for sub in (leaves(target) if isinstance(target, dict) else [""])]


def usage(commands: dict, prog: str) -> str:
    """The list of every command under ``prog`` with its line of help, wrapped to ``WIDTH``."""
    lines = [f"usage: {prog} COMMAND [ARGS]", "", "commands:"]
    group = prog.removeprefix("cheesemaze").strip()
    names = leaves(commands)
    column = max(map(len, names)) + 4
    for name in names:
        text = textwrap.wrap(HELP[f"{group} {name}".strip()], WIDTH - column) or [""]
        lines.append(f"  {name:<{column - 2}}{text[0]}")
        lines += [" " * column + more for more in text[1:]]
    lines.append("")
    lines.append(f"Run '{prog} COMMAND --help' for a command's flags.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    prog = "cheesemaze"
    table: str | dict = COMMANDS
    while isinstance(table, dict):
        if not argv or argv[0] in ("-h", "--help"):
            print(usage(table, prog))
            return 0 if argv else 2
        name = argv.pop(0)
        if name not in table:
            print(f"{prog}: unknown command {name!r}; choose from {', '.join(table)}", file=sys.stderr)
            return 2
        prog, table = f"{prog} {name}", table[name]
    module_name, function = table.split(":")
    from cheesemaze.scripts.args import readable_help  # here, so that the command list costs no tyro

    with readable_help():
        result = getattr(importlib.import_module(module_name), function)(argv, prog)
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
