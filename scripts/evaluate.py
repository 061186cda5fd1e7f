"""``cheesemaze evaluate AGENT``: roll an agent out on held-out mazes and save one row per episode."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
import tyro
from tqdm import tqdm

from cheesemaze.agents.loading import load_checked
from cheesemaze.analysis.evaluation import POLICIES, default_name, evaluation_dir, run_evaluation, summarize
from cheesemaze.analysis.outputs import check_writable, fresh_path
from cheesemaze.agents.rollout import ROLLOUT_OUTCOMES, SHUTDOWN
from cheesemaze.envs.maze import DISTRIBUTIONS
from cheesemaze.scripts.args import AgentArg, refuse


@dataclass(frozen=True)
class EvaluateConfig:
    """Roll a trained agent out on held-out level seeds; write episodes.csv and summary.json."""

    agent: AgentArg
    """A run directory, or the name of a shipped agent (r5, control)."""
    checkpoint: Path | None = None
    """A checkpoint (.pt, with its .json manifest) to load instead of the run's last one (final.pt,
    else latest.pt), e.g. <run_dir>/checkpoints/latest.pt of a run still training; its config is the
    run directory's."""
    n: int = 1000
    """Number of level seeds (each played once per distribution and policy); at least 1."""
    level_start: int | None = None
    """First level seed (default: the start of the agent's held-out test range); seeds from the
    training range are refused."""
    distribution: Literal["train", "anywhere", "both"] = "both"
    """Cheese placement: the agent's training region, anywhere in the maze, or both."""
    policy: Literal["sampled", "greedy", "both"] = "both"
    """Actions sampled from the policy, the most probable action, or both."""
    seed: int = 0
    """Seed of the action sampling."""
    batch_size: int = 1024
    """Mazes stepped together."""
    out: Path | None = None
    """Output folder, which must not exist (default: a fresh folder under <run_dir>/evaluations/)."""
    threads: int = 1
    """Torch threads for the policy network: 1 is robust on a busy machine (spinning threads can stall
    for seconds when the cores are taken), 2 can be faster on an idle two-core machine."""


def choices(value: str, every: tuple[str, ...]) -> tuple[str, ...]:
    return every if value == "both" else (value,)


def outcome_rates(df: pd.DataFrame) -> pd.DataFrame:
    """:func:`summarize`'s rates over all mazes as a table: per distribution and policy, episodes, each
    outcome's rate (fixed order; shutdown only where it occurred) and the cheese rate's 95% Wilson
    interval."""
    rows = []
    for group in summarize(df)["groups"]:
        every = group["all"]
        rates = every["rates"]
        shown = [o for o in ROLLOUT_OUTCOMES if o != SHUTDOWN or every["counts"][o]]
        low, high = rates["cheese"]["ci95"]
        rows.append({"distribution": group["distribution"], "policy": group["policy"], "n": every["episodes"],
                     **{o: rates[o]["rate"] for o in shown}, "cheese 95% CI": f"{low:.3f}-{high:.3f}"})
    return pd.DataFrame(rows)


def main(argv: list[str], prog: str) -> int:
    """Run ``cheesemaze evaluate``; returns the exit code (2 for bad input, 130 when interrupted)."""
    config = tyro.cli(EvaluateConfig, args=argv, prog=prog)
    distributions = choices(config.distribution, DISTRIBUTIONS)
    policies = choices(config.policy, POLICIES)
    try:
        if config.batch_size < 1:
            raise ValueError(f"--batch-size must be at least 1; got {config.batch_size}")
        if config.out is not None and config.out.exists():
            raise ValueError(f"--out {config.out} already exists; evaluations are never overwritten")
        agent, start = load_checked(config.agent, config.n, config.level_start, config.threads, config.checkpoint)
        name = default_name(config.n, start, config.seed, distributions, policies)
        out = config.out or fresh_path(evaluation_dir(agent.run_dir, name))
        check_writable(out)
    except ValueError as err:
        return refuse(prog, err, EvaluateConfig)
    total = config.n * len(distributions) * len(policies)
    try:
        with tqdm(total=total, desc="episodes", unit="ep") as bar:
            df = run_evaluation(agent, out, config.n, level_start=start, distributions=distributions,
                                policies=policies, seed=config.seed, batch_size=config.batch_size,
                                progress=bar.update)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; nothing was written", file=sys.stderr)
        return 130
    print(outcome_rates(df).to_string(index=False, float_format="{:.3f}".format))
    print(f"wrote {out}")
    return 0
