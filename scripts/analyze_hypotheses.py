"""``cheesemaze analyze hypotheses AGENT [AGENT ...]``: calibrate, predict, roll out, score and report.

One agent: a new ``<run_dir>/analyses/hypotheses/`` holding the calibration and test evaluations,
the prediction file (written before the test rollouts), score tables (CSV and Markdown), dynamic
consistency, the shutdown variant, ``figures/`` and ``report.md``. Several agents or groups
(``r5/* control/*``): a new ``results/hypotheses/<labels>/`` with each agent's study in a folder and
every fitted model scored on every other agent's test rollouts: per target agent (``across.md``), and
per condition, a table across seeds of every model fitted on the agent itself, on another seed and on
each other condition (``report.md``, ``across_seeds.csv``). Given a region sweep (``r0/* r2/* ...
control/*``: conditions of one training region each), also each model's within-agent gain against r
(``figures/region_sweep``, ``region_sweep.csv``). An agent's condition is the part of its label before
the ``/``: ``r5/s3`` (shipped) or ``runs/zoo/r5/s3`` (labelled ``r5/s3``) is ``r5``.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import tyro

from cheesemaze.scripts.args import AgentsArg, refuse

ANALYSIS_DIR = Path("analyses") / "hypotheses"
GROUP_DIR = Path("results") / "hypotheses"
NAMED_BY_LABELS = 6
"""Up to this many agents the default group folder is named by their labels, beyond it by their conditions."""


def agent_label(spec: str) -> str:
    """An agent's label: its shipped name (``r5/s3``); for a run directory ``.../r5/s3`` its last two
    parts, so that the part before the ``/`` names its condition; any other spec as given."""
    from cheesemaze.agents.rundir import shipped_name

    shipped, path = shipped_name(spec), Path(spec)
    if shipped is None and re.fullmatch(r"s\d+", path.name) and path.parent.name:
        return f"{path.parent.name}/{path.name}"
    return shipped or spec


def group_dir(labels: list[str]) -> Path:
    """The default folder of a group study, by labels (``r5-s0+control-s0``) or, for many, by conditions."""
    from cheesemaze.analysis.hypotheses.across import condition

    names = labels if len(labels) <= NAMED_BY_LABELS else list(dict.fromkeys(map(condition, labels)))
    return GROUP_DIR / "+".join(names).replace("/", "-")


@dataclass(frozen=True)
class HypothesesArgs:
    """Score the four hypotheses and three baselines on an agent's held-out behaviour (a few minutes on a CPU);
    given several agents, also each agent's fits on the others, a table per condition across seeds, and
    for a region sweep (r0/* r2/* ... control/*) each model's gain over base rate against the region
    (figures/region_sweep)."""

    agents: AgentsArg
    """Run directories, shipped agents (r5, control, r5/s3) or groups (r5/*, runs/zoo/control/*); with
    more than one agent, each agent's fitted models are also scored on the others' rollouts. A run
    directory .../r5/s3 is labelled r5/s3: condition r5, seed 3."""
    n_calibration: int = 300
    """Held-out level seeds rolled out to fit the hypotheses."""
    n_test: int = 600
    """Further level seeds predicted first, then rolled out and scored."""
    n_shutdown: int = 300
    """Training-distribution level seeds for the shutdown-cell variant (0 skips it)."""
    level_start: int | None = None
    """First level seed (default: 100,000,000 seeds into the agent's held-out range, past what other commands play)."""
    samples: int = 256
    """Reward functions sampled per maze for the training-compatible goal."""
    prior: str = "uniform(0,1)"
    """Its reward prior per state: uniform(low,high), normal(mean,std) or bernoulli(p)."""
    seed: int = 0
    """Seed of the action sampling, the reward samples and the bootstrap."""
    threads: int = 1
    """Torch threads for the policy network: 1 is robust on a busy machine (spinning threads can stall
    behind other processes); raise it on an idle multi-core machine."""
    out: Path | None = None
    """Output folder, which must not exist (default: a fresh <run_dir>/analyses/hypotheses, or for several
    agents results/hypotheses/<labels>)."""


def main(argv: list[str], prog: str) -> int:
    """Run ``cheesemaze analyze hypotheses``; returns the exit code (2 for bad input, 130 when interrupted)."""
    args = tyro.cli(HypothesesArgs, args=argv, prog=prog)
    from cheesemaze.agents.loading import load_agent
    from cheesemaze.agents.rundir import agent_group
    from cheesemaze.analysis.hypotheses.across import run_group_study
    from cheesemaze.analysis.hypotheses.compatible import CompatibleConfig
    from cheesemaze.analysis.hypotheses.predictions import PredictConfig
    from cheesemaze.analysis.hypotheses.study import StudyConfig, run_study, seed_blocks
    from cheesemaze.analysis.outputs import fresh_path

    try:
        if args.out is not None and args.out.exists():
            raise ValueError(f"--out {args.out} already exists; analyses are never overwritten")
        if args.threads < 1:
            raise ValueError(f"--threads must be at least 1; got {args.threads}")
        compatible = CompatibleConfig(samples=args.samples, prior=args.prior, seed=args.seed)
        config = StudyConfig(n_calibration=args.n_calibration, n_test=args.n_test, n_shutdown=args.n_shutdown,
                             level_start=args.level_start, seed=args.seed, predict=PredictConfig(compatible=compatible))
        import torch

        torch.set_num_threads(args.threads)
        specs = [one for spec in args.agents for one in agent_group(spec)]
        labels = {one: agent_label(one) for one in dict.fromkeys(specs)}
        if len(set(labels.values())) < len(labels):
            twice = sorted({label for label in labels.values() if list(labels.values()).count(label) > 1})
            raise ValueError(f"two agents would share the label {twice[0]!r}; name each condition's run directories "
                             "by a distinct folder (runs/zoo/r5/s0, runs/zoo/control/s0)")
        agents = {label: load_agent(one) for one, label in labels.items()}
        for agent in agents.values():
            seed_blocks(agent, config)
    except ValueError as err:
        return refuse(prog, err, HypothesesArgs)
    try:
        if len(agents) == 1:
            agent = next(iter(agents.values()))
            out = args.out or fresh_path(Path(agent.run_dir) / ANALYSIS_DIR)
            run_study(agent, out, config)
        else:
            out = args.out or fresh_path(group_dir(list(agents)))
            run_group_study(agents, out, config)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; nothing was written", file=sys.stderr)
        return 130
    except ValueError as err:
        return refuse(prog, err, HypothesesArgs)
    print(f"wrote {out} (see report.md)")
    return 0
