"""``cheesemaze analyze hypotheses AGENT [AGENT ...]``: calibrate, predict, roll out, score and report.

One agent: a new ``<run_dir>/analyses/hypotheses/`` holding the calibration and test evaluations,
the prediction file (written before the test rollouts), score tables (CSV and Markdown), dynamic
consistency, the shutdown variant, ``figures/`` and ``report.md``. Several agents or groups
(``r5/* control/*``): a new ``results/hypotheses/<labels>/`` with each agent's study in a folder and
every fitted model scored on every other agent's test rollouts (``across.md``, ``report.md``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import tyro

from cheesemaze.scripts.args import AgentsArg, refuse

ANALYSIS_DIR = Path("analyses") / "hypotheses"
GROUP_DIR = Path("results") / "hypotheses"


@dataclass(frozen=True)
class HypothesesArgs:
    """Score the four hypotheses and three baselines on an agent's held-out behaviour (a few minutes on a CPU);
    given several agents, also each agent's fits on the others."""

    agents: AgentsArg
    """Run directories, shipped agents (r5, control, r5/s3) or groups (r5/*, runs/zoo/control/*); with
    more than one agent, each agent's fitted models are also scored on the others' rollouts."""
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
    from cheesemaze.agents.rundir import agent_group, shipped_name
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
        agents = {shipped_name(one) or one: load_agent(one) for one in dict.fromkeys(specs)}
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
            out = args.out or fresh_path(GROUP_DIR / "+".join(agents).replace("/", "-"))
            run_group_study(agents, out, config)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; nothing was written", file=sys.stderr)
        return 130
    except ValueError as err:
        return refuse(prog, err, HypothesesArgs)
    print(f"wrote {out} (see report.md)")
    return 0
