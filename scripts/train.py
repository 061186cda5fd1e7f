"""``cheesemaze train``: train a PPO agent into a new run directory, or resume one."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

import tyro

from cheesemaze.agents.config import PRESETS, TrainConfig
from cheesemaze.scripts.args import parsed, region_flags

DESCRIPTION = """Train a PPO agent on the maze.

  cheesemaze train [--preset cpu-easy|cpu-hard|procgen-hard] [--run-dir DIR] [--init-from AGENT] [CONFIG FLAGS]
  cheesemaze train --resume DIR [--total-timesteps N] [--torch-threads N] [--device D]

  --preset NAME        the config to start from (default cpu-easy); the flags below override it
  --run-dir DIR        the new run directory (default runs/<preset>-<time>); never overwritten
  --init-from AGENT    start from the policy weights of AGENT (a run directory or a shipped agent's
                       name; its final or latest checkpoint), recorded in the new run's init.json;
                       the optimizer and step counters start fresh. Across world sizes the new run
                       needs --ppo.pooled-head, and so does the source unless it is a 15x15 grid agent
  --resume DIR         continue DIR from its last checkpoint, with its step counters; it may take
                       a larger --total-timesteps (recorded in DIR/budget.json) and this machine's
                       --torch-threads and --device (not recorded)

Ctrl-C saves a checkpoint."""


def parse_resume(rest: list[str]) -> dict[str, int | str]:
    """The flags ``--resume`` takes besides the run directory; anything else is refused."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--total-timesteps", type=int)
    parser.add_argument("--torch-threads", type=int)
    parser.add_argument("--device")
    known, unknown = parser.parse_known_args(rest)
    if unknown:
        raise ValueError(f"--resume takes --total-timesteps, --torch-threads and --device only (the run's "
                         f"config.json fixes the rest); got {' '.join(unknown)}")
    return {k: v for k, v in vars(known).items() if v is not None}


def parse(argv: list[str], prog: str) -> tuple[TrainConfig | None, Path, dict]:
    """Split off --preset/--run-dir/--init-from/--resume, then parse the config flags over the preset."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--preset", default="cpu-easy")
    pre.add_argument("--run-dir", type=Path)
    pre.add_argument("--resume", type=Path)
    pre.add_argument("--init-from")
    known, rest = pre.parse_known_args(argv)
    if known.preset not in PRESETS:
        raise ValueError(f"unknown preset {known.preset!r}; choose from {', '.join(PRESETS)}")
    if known.resume is not None:
        if known.run_dir:
            raise ValueError("--resume continues DIR in place: drop --run-dir")
        if known.init_from:
            raise ValueError("--resume continues DIR from its own checkpoint: drop --init-from")
        return None, known.resume, parse_resume(rest)
    config = tyro.cli(TrainConfig, args=rest, default=PRESETS[known.preset], prog=prog, description=DESCRIPTION,
                      registry=region_flags())
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    init = {"init_from": known.init_from} if known.init_from else {}
    return config, known.run_dir or Path("runs") / f"{config.preset}-{stamp}", init


def main(argv: list[str], prog: str) -> int:
    result, code = parsed(prog, lambda: parse(argv, prog))
    if result is None:
        return code
    config, run_dir, flags = result
    from cheesemaze.agents import training

    try:
        if config is None:
            training.resume(run_dir, **flags)
        else:
            if config.env.size_curriculum_steps >= config.total_timesteps:  # legal (a run resumed later) but rarely meant
                print(f"{prog}: note: env.size_curriculum_steps {config.env.size_curriculum_steps:,} is not below "
                      f"--total-timesteps {config.total_timesteps:,}: this run ends before it trains on the game's "
                      f"maze sizes (--resume with a larger budget goes on)", file=sys.stderr)
            training.train(config, run_dir, **flags)
    except (ValueError, FileExistsError) as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return 2
    except training.InterruptedBeforeTraining as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:  # a second stop signal while the first one's checkpoint was written
        return 130
    return 0
