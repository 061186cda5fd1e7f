"""``cheesemaze steer AGENT [AGENT ...] --vector cheese|top-right --layer L --coeff C [C ...]``: add a
steering vector to agents' residual stream while they play held-out mazes
(:mod:`cheesemaze.analysis.steering`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import tyro

from cheesemaze.analysis.steering import SteerConfig
from cheesemaze.scripts.args import AgentsArg, exit_code


@dataclass(frozen=True, kw_only=True)
class SteerCommand(SteerConfig):
    """Steer agents with a cheese or top-right vector on held-out decision-square mazes; report
    P(cheese | decision square) and P(top-right) per coefficient, per agent and across seeds."""

    agents: AgentsArg
    """Agents (run directories, shipped names: r5, r5/s3) or groups (r5/*, control/*, runs/zoo/r5/*)."""
    out: Path | None = None
    """Output folder, which must not exist (default: a fresh results/steer/GROUPS-VECTOR-nN)."""
    threads: int = 1
    """Torch threads for the policy network."""


def main(argv: list[str], prog: str) -> int:
    """Run ``cheesemaze steer``; 2 for bad input, 130 when interrupted."""
    command = tyro.cli(SteerCommand, args=argv, prog=prog)

    def work() -> str:
        from tqdm import tqdm

        from cheesemaze.analysis.outputs import check_writable, fresh_path
        from cheesemaze.analysis.seeds import default_out, load_members
        from cheesemaze.analysis.steering import condition_count
        from cheesemaze.analysis.steering_report import run_steering

        config = SteerConfig(**{f.name: getattr(command, f.name) for f in dataclasses.fields(SteerConfig)})
        if not config.coeff:
            raise ValueError("give at least one --coeff")
        if command.out is not None and command.out.exists():
            raise ValueError(f"--out {command.out} already exists; results are never overwritten")
        members, start = load_members(command.agents, config.n, config.level_start, command.threads)
        total = sum(condition_count(config, m.agent) for m in members)
        out = command.out or fresh_path(default_out("steer", members, f"{config.vector}-n{config.n}"))
        check_writable(out)
        with tqdm(total=total, desc="conditions", unit="cond") as bar:
            text = run_steering(members, config, start, out, progress=bar.update)
        return f"{text}\nwrote {out}"

    return exit_code(prog, work)
