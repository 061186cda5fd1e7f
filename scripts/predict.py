"""``cheesemaze predict``: write every hypothesis's outcome probabilities for held-out level seeds.

Run it before rolling the agent out on those seeds; ``cheesemaze score`` then scores the file. The
file is stamped with a hash of the hypotheses' settings and fitted parameters, the calibration
file's hash and the seeds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import tyro

from cheesemaze.scripts.args import AgentArg, refuse

PREDICTIONS_DIR = "predictions"


@dataclass(frozen=True)
class PredictArgs:
    """Predict outcome probabilities of every hypothesis for held-out cheese-anywhere mazes."""

    agent: AgentArg
    """A run directory, or a shipped agent's name (r5, control): gives the world size and the
    training seeds, which may not be predicted."""
    levels: str
    """Level seeds as START:STOP (STOP excluded), e.g. 1000000300:1000000900."""
    calibration: Path | None = None
    """An evaluation folder (or its episodes.csv) whose cheese-anywhere episodes fit the correlates and
    utility hypotheses; without it only the intended and training-compatible goals are predicted."""
    samples: int = 256
    """Reward functions sampled per maze for the training-compatible goal."""
    prior: str = "uniform(0,1)"
    """Its reward prior per state: uniform(low,high), normal(mean,std) or bernoulli(p)."""
    discount: float = 1.0
    """Its discount (1: exact and fast; below 1: dynamic programming, slower)."""
    seed: int = 0
    """Seed of the reward samples."""
    decision_square_only: bool = True
    """Predict (and calibrate on) only the mazes with a decision square."""
    policy: Literal["sampled", "greedy"] = "sampled"
    """Which calibration episodes to fit on."""
    out: Path | None = None
    """The prediction file to write (must not exist; default <run_dir>/predictions/levels<START>-<STOP>-<hash>.json)."""


def parse_levels(text: str) -> range:
    """``START:STOP`` as a range of level seeds; ``ValueError`` unless 0 <= START < STOP."""
    try:
        start, stop = (int(v) for v in text.split(":"))
    except ValueError:
        raise ValueError(f"--levels must be START:STOP with integers, e.g. 1000000300:1000000900; got {text!r}") from None
    if not 0 <= start < stop:
        raise ValueError(f"--levels needs 0 <= START < STOP; got {text!r}")
    return range(start, stop)


def main(argv: list[str], prog: str) -> int:
    """Run ``cheesemaze predict``; returns the exit code (2 for bad input)."""
    args = tyro.cli(PredictArgs, args=argv, prog=prog)
    from cheesemaze.agents.checkpoint import read_manifest
    from cheesemaze.agents.rundir import latest_checkpoint, read_config, resolve_agent_dir
    from cheesemaze.analysis.hypotheses.compatible import CompatibleConfig
    from cheesemaze.analysis.hypotheses.predictions import (
        PredictConfig, load_calibration, make_predictions, write_predictions,
    )

    try:
        levels = parse_levels(args.levels)
        if args.out is not None and args.out.exists():
            raise ValueError(f"--out {args.out} already exists; predictions are never overwritten")
        run_dir = resolve_agent_dir(args.agent)
        agent_config = read_config(run_dir)
        config = PredictConfig(
            compatible=CompatibleConfig(samples=args.samples, prior=args.prior, discount=args.discount, seed=args.seed),
            decision_square_only=args.decision_square_only, calibration_policy=args.policy,
            random_walk_actions=agent_config.env.action_mode,
        )
        world = agent_config.env.world_size
        calibration = None if args.calibration is None else load_calibration(args.calibration, world, config)
        print(f"predicting level seeds {levels.start}..{levels.stop - 1} ({len(levels)} seeds, {world}x{world} world)")
        try:
            manifest = read_manifest(latest_checkpoint(run_dir))
        except ValueError:
            manifest = {}  # a run without a checkpoint yet: predictions name no checkpoint
        agent = {"agent": Path(run_dir).name, "num_timesteps": manifest.get("num_timesteps"),
                 "checkpoint_sha256": manifest.get("sha256")}
        document = make_predictions(levels, world, config, calibration, tuple(agent_config.train_levels), agent)
    except ValueError as err:
        return refuse(prog, err, PredictArgs)
    name = f"levels{levels.start}-{levels.stop}-{document['config_hash'][:12]}.json"
    path = write_predictions(args.out or Path(run_dir) / PREDICTIONS_DIR / name, document)
    print(f"predicted {len(document['level_seeds'])} mazes with {', '.join(document['probabilities'])}")
    print(f"config hash {document['config_hash']}")
    print(f"wrote {path}")
    return 0
