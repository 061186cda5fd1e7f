"""``cheesemaze ship SWEEP_DIR``: copy a sweep's finished trials into the package as the zoo."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import tyro
from tqdm import tqdm

SweepArg = Annotated[Path, tyro.conf.Positional, tyro.conf.arg(metavar="SWEEP_DIR")]


@dataclass(frozen=True)
class ShipConfig:
    """Write each finished trial of a sweep as a shipped agent <condition>/s<seed>: policy weights only,
    config, a thinned training log and a held-out evaluation summary (analysis/zoo.py)."""

    sweep_dir: SweepArg
    """A directory made by cheesemaze sweep."""
    to: Path | None = None
    """Where the shipped agents go (default: the package's agents/trained)."""
    n: int = 700
    """Held-out training-distribution mazes of each agent's evaluation summary."""


def main(argv: list[str], prog: str) -> int:
    """Run ``cheesemaze ship``; 2 for bad input."""
    config = tyro.cli(ShipConfig, args=argv, prog=prog)
    import torch

    from cheesemaze.agents.rundir import TRAINED_DIR
    from cheesemaze.analysis.zoo import ship_sweep

    torch.set_num_threads(1)
    try:
        if config.n < 1:
            raise ValueError(f"--n must be at least 1; got {config.n}")
        with tqdm(desc="episodes", unit="ep") as bar:
            results = ship_sweep(config.sweep_dir, config.to or TRAINED_DIR, config.n, say=bar.write,
                                 progress=bar.update)
    except ValueError as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return 2
    counts = {s: sum(r.status == s for r in results) for s in ("shipped", "unchanged", "unfinished")}
    print(", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0
