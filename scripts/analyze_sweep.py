"""``cheesemaze analyze sweep SWEEP_DIR``: a region sweep across seeds, against the training region."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import tyro
from tqdm import tqdm

SweepArg = Annotated[Path, tyro.conf.Positional, tyro.conf.arg(metavar="SWEEP_DIR")]


@dataclass(frozen=True)
class AnalyzeSweepConfig:
    """Play every trained trial of a sweep on the same held-out cheese-anywhere mazes; P(cheese | decision
    square), P(top-right) and the behavioural regression's coefficients against the training region r."""

    sweep_dir: SweepArg
    """A directory made by cheesemaze sweep, or the shipped zoo agents/trained (trials <condition>/s<seed>)."""
    n: int = 1000
    """Held-out level seeds, cheese anywhere, per agent."""
    train_n: int = 700
    """Held-out level seeds on each agent's own training distribution (0: skip)."""
    seed: int = 0
    """Seed of the action sampling."""
    out: Path | None = None
    """Output folder, which must not exist (default: a fresh SWEEP_DIR/analysis-nN)."""
    unfinished: bool = False
    """Also count trials still training, at their latest checkpoint (the report's steps column says how far)."""
    threads: int = 1
    """Torch threads for the policy networks (1 is robust on a busy machine)."""


def main(argv: list[str], prog: str) -> int:
    """Run ``cheesemaze analyze sweep``; 2 for bad input, 130 when interrupted."""
    config = tyro.cli(AnalyzeSweepConfig, args=argv, prog=prog)
    from cheesemaze.analysis.outputs import check_writable, fresh_path
    from cheesemaze.analysis.sweep_study import analyze_sweep, sweep_trials

    try:
        if config.n < 1 or config.train_n < 0 or config.threads < 1:
            raise ValueError(f"--n and --threads must be at least 1 and --train-n at least 0; got {config.n}, "
                             f"{config.threads}, {config.train_n}")
        import torch

        torch.set_num_threads(config.threads)
        trials = sweep_trials(config.sweep_dir, config.unfinished)
        out = config.out or fresh_path(config.sweep_dir / f"analysis-n{config.n}")
        if out.exists():
            raise ValueError(f"--out {out} already exists; results are never overwritten")
        check_writable(out)
    except ValueError as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return 2
    try:
        with tqdm(total=len(trials) * (config.n + config.train_n), desc="episodes", unit="ep") as bar:
            markdown = analyze_sweep(config.sweep_dir, out, config.n, config.train_n, config.seed,
                                     config.unfinished, bar.update)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; nothing was written", file=sys.stderr)
        return 130
    print(markdown)
    print(f"wrote {out}")
    return 0
