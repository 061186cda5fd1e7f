"""``cheesemaze compare A B``: two agents or groups of agents on the same held-out mazes."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import tyro
from tqdm import tqdm

from cheesemaze.scripts.args import AgentArg, refuse

GroupArg = Annotated[str, tyro.conf.Positional, tyro.conf.arg(metavar="B")]


@dataclass(frozen=True)
class CompareConfig:
    """Play A and B on the same held-out cheese-anywhere mazes; compare P(cheese | decision square) and
    P(top-right) per agent, per seed pair (exact McNemar) and across seeds (t interval)."""

    a: AgentArg
    """An agent (run directory or shipped name: r5, r5/s3) or a group (r5/*, runs/zoo/control/*)."""
    b: GroupArg
    """The agent or group to compare against, seed by seed."""
    n: int = 1000
    """Held-out level seeds each agent plays (the same for all)."""
    level_start: int | None = None
    """First level seed (default: the start of the first agent's held-out range)."""
    seed: int = 0
    """Seed of the action sampling."""
    out: Path | None = None
    """Output folder, which must not exist (default: a fresh results/compare/A-vs-B-nN)."""
    threads: int = 1
    """Torch threads for the policy networks."""


def main(argv: list[str], prog: str) -> int:
    """Run ``cheesemaze compare``; 2 for bad input, 130 when interrupted."""
    config = tyro.cli(CompareConfig, args=argv, prog=prog)
    from cheesemaze.agents.loading import load_checked
    from cheesemaze.agents.rundir import agent_group, shipped_name
    from cheesemaze.analysis.compare import compare_groups, group_label
    from cheesemaze.analysis.outputs import check_writable, fresh_path

    try:
        groups, start = [], config.level_start
        for spec in (config.a, config.b):
            agents = {}
            for one in agent_group(spec):
                agent, first = load_checked(one, config.n, start, config.threads)
                start = first if start is None else start
                agents[shipped_name(one) or one] = agent
            groups.append(agents)
        label_a, label_b = group_label(config.a), group_label(config.b)
        if label_a == label_b:
            label_a, label_b = str(config.a), str(config.b)
        out = config.out or fresh_path(Path("results") / "compare" / f"{label_a}-vs-{label_b}-n{config.n}".replace("/", "_"))
        if out.exists():
            raise ValueError(f"--out {out} already exists; results are never overwritten")
        check_writable(out)
    except ValueError as err:
        return refuse(prog, err, CompareConfig)
    try:
        with tqdm(total=config.n * sum(map(len, groups)), desc="episodes", unit="ep") as bar:
            result = compare_groups(groups[0], groups[1], label_a, label_b, config.n, start, config.seed, out,
                                    progress=bar.update)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; nothing was written", file=sys.stderr)
        return 130
    except ValueError as err:
        return refuse(prog, err, CompareConfig)
    print(result.markdown)
    print(f"wrote {out}")
    return 0
