"""``cheesemaze train``: train a PPO agent into a new run directory, or resume one."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

import tyro

from cheesemaze.agents.config import PRESETS, TrainConfig
from cheesemaze.scripts.args import region_flags

DESCRIPTION = """Train a PPO agent on the maze.

  cheesemaze train [--preset cpu-easy|cpu-hard|procgen-hard] [--run-dir DIR] [CONFIG FLAGS]
  cheesemaze train --resume DIR

A new run directory is created (default runs/<preset>-<time>); an existing one is never overwritten.
Ctrl-C saves a checkpoint; --resume continues from it with the same step counters.
Config flags (below) override the preset's values."""


def parse(argv: list[str], prog: str) -> tuple[TrainConfig | None, Path]:
    """Split off --preset/--run-dir/--resume, then parse the config flags over the preset."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--preset", default="cpu-easy")
    pre.add_argument("--run-dir", type=Path)
    pre.add_argument("--resume", type=Path)
    known, rest = pre.parse_known_args(argv)
    if known.preset not in PRESETS:
        raise ValueError(f"unknown preset {known.preset!r}; choose from {', '.join(PRESETS)}")
    if known.resume is not None:
        if rest or known.run_dir:
            raise ValueError("--resume takes the run directory only: its config.json fixes everything else")
        return None, known.resume
    config = tyro.cli(TrainConfig, args=rest, default=PRESETS[known.preset], prog=prog, description=DESCRIPTION,
                      registry=region_flags())
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return config, known.run_dir or Path("runs") / f"{config.preset}-{stamp}"


def main(argv: list[str], prog: str) -> int:
    try:
        config, run_dir = parse(argv, prog)
    except ValueError as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return 2
    except SystemExit as exit_:  # tyro has printed help, or why a flag was refused
        return int(exit_.code or 0)
    from cheesemaze.agents import training

    try:
        if config is None:
            training.resume(run_dir)
        else:
            training.train(config, run_dir)
    except (ValueError, FileExistsError) as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return 2
    except training.InterruptedBeforeTraining as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:  # a second stop signal while the first one's checkpoint was written
        return 130
    return 0
