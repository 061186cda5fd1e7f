"""``cheesemaze probe AGENT [AGENT ...]``: linear probes for the cheese's and the top-right's cell at
every residual addition, and the channels that track the cheese (:mod:`cheesemaze.analysis.probes`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import tyro

from cheesemaze.analysis.probes import ProbeConfig
from cheesemaze.scripts.args import AgentsArg, exit_code


@dataclass(frozen=True, kw_only=True)
class ProbeCommand(ProbeConfig):
    """Probe agents' residual streams for the cheese's and the top-right's cell on held-out mazes, and
    rank a layer's channels by how well they track the cheese; per agent and across seeds."""

    agents: AgentsArg
    """Agents (run directories, shipped names: r5, r5/s3) or groups (r5/*, control/*, runs/zoo/r5/*)."""
    out: Path | None = None
    """Output folder, which must not exist (default: a fresh results/probe/GROUPS-nN)."""
    threads: int = 1
    """Torch threads for the policy network."""


def main(argv: list[str], prog: str) -> int:
    """Run ``cheesemaze probe``; 2 for bad input, 130 when interrupted."""
    command = tyro.cli(ProbeCommand, args=argv, prog=prog)

    def work() -> str:
        from tqdm import tqdm

        from cheesemaze.agents.activations import check_hook_point
        from cheesemaze.analysis.outputs import check_writable, fresh_path
        from cheesemaze.analysis.probe_report import run_probes
        from cheesemaze.analysis.seeds import default_out, load_members

        config = ProbeConfig(**{f.name: getattr(command, f.name) for f in dataclasses.fields(ProbeConfig)})
        for flag, value, least in (("--n-fit", config.n_fit, 2), ("--n-score", config.n_score, 1), ("--top", config.top, 1)):
            if value < least:
                raise ValueError(f"{flag} must be at least {least}; got {value}")
        if command.out is not None and command.out.exists():
            raise ValueError(f"--out {command.out} already exists; results are never overwritten")
        members, start = load_members(command.agents, config.n_fit + config.n_score, config.level_start, command.threads)
        for member in members:
            check_hook_point(member.agent.policy, config.layer)
        out = command.out or fresh_path(default_out("probe", members, f"n{config.n_fit}+{config.n_score}"))
        check_writable(out)
        with tqdm(total=len(members), desc="agents", unit="agent") as bar:
            text = run_probes(members, config, start, out, progress=bar.update)
        return f"{text}\nwrote {out}"

    return exit_code(prog, work)
