"""Argument types the commands share: positionals named in their usage lines as the README names them,
and the region flag (``R`` or ``anywhere``); and how a command's work ends in an exit code."""

from __future__ import annotations

import dataclasses
import sys
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import tyro

from cheesemaze.envs.maze import Region, parse_region, region_text

AgentsArg = Annotated[tuple[str, ...], tyro.conf.Positional, tyro.conf.arg(metavar="AGENT [AGENT ...]")]
"""One or more agents (run directories, shipped names) or groups of them (``r5/*``, ``runs/zoo/r5/*``)."""

AgentArg = Annotated[str, tyro.conf.Positional, tyro.conf.arg(metavar="AGENT")]
"""A run directory, or the name of a shipped agent."""

EvaluationArg = Annotated[Path, tyro.conf.Positional, tyro.conf.arg(metavar="EVALUATION")]
"""An evaluation folder, or its episodes.csv."""

PredictionsArg = Annotated[Path, tyro.conf.Positional, tyro.conf.arg(metavar="PREDICTIONS")]
"""A prediction file from 'cheesemaze predict'."""


RegionArg = Annotated[
    Region,
    tyro.constructors.PrimitiveConstructorSpec(
        nargs=1,
        metavar="R|anywhere",
        instance_from_str=lambda args: parse_region(args[0]),
        is_instance=lambda value: value is None or isinstance(value, int),
        str_from_instance=lambda value: [region_text(value)],
    ),
]
"""A ``--region`` flag: ``R`` puts the cheese in the top-right R x R square, ``anywhere`` anywhere."""


def region_flags() -> tyro.constructors.ConstructorRegistry:
    """A tyro registry that parses every ``int | None`` field as a region (``R`` or ``anywhere``): for
    configs, such as ``TrainConfig``, whose only optional integer is ``env.region``."""
    registry = tyro.constructors.ConstructorRegistry()
    spec = typing.get_args(RegionArg)[1]

    @registry.primitive_rule
    def region_rule(info: tyro.constructors.PrimitiveTypeInfo) -> tyro.constructors.PrimitiveConstructorSpec | None:
        return spec if info.type == (int | None) else None

    return registry



def exit_code(prog: str, work: Callable[[], str]) -> int:
    """Run a command's ``work``, print what it returns, and give its exit code: 0, or 2 with the message
    of a ``ValueError`` (bad input), or 130 on Ctrl-C (results are staged, so nothing was written)."""
    try:
        text = work()
    except ValueError as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; nothing was written", file=sys.stderr)
        return 130
    print(text)
    return 0


@dataclass(frozen=True, kw_only=True)
class AgentsOptions:
    """What every command over agents and groups takes beside its study's config."""

    agents: AgentsArg
    """Agents (run directories, shipped names: r5, r5/s3) or groups (r5/*, control/*, runs/zoo/r5/*)."""
    out: Path | None = None
    """Output folder, which must not exist (default: a fresh folder under results/COMMAND/)."""
    threads: int = 1
    """Torch threads for the policy networks."""


def run_over_agents(prog: str, command: AgentsOptions, config_type: type, name: str, mazes: Callable[[typing.Any], int],
                    suffix: Callable[[typing.Any], str], steps: Callable[[typing.Any, list], int],
                    run: Callable[..., str]) -> int:
    """A study over agents: take ``config_type``'s fields from ``command``, load its agents (each
    checked for ``mazes(config)`` held-out level seeds), ask ``steps(config, members)`` for the
    progress bar's length (it raises ``ValueError`` on a bad request, before anything is played), and
    call ``run(members, config, level_start, out, progress=...)`` into a fresh
    ``results/<name>/<groups>-<suffix(config)>`` unless ``--out`` names the folder."""
    def work() -> str:
        from tqdm import tqdm

        from cheesemaze.analysis.outputs import check_writable, fresh_path
        from cheesemaze.analysis.seeds import default_out, load_members

        config = config_type(**{f.name: getattr(command, f.name) for f in dataclasses.fields(config_type)})
        if command.out is not None and command.out.exists():
            raise ValueError(f"--out {command.out} already exists; results are never overwritten")
        members, start = load_members(command.agents, mazes(config), config.level_start, command.threads)
        total = steps(config, members)
        out = command.out or fresh_path(default_out(name, members, suffix(config)))
        check_writable(out)
        with tqdm(total=total, desc=name, unit="step") as bar:
            text = run(members, config, start, out, progress=bar.update)
        return f"{text}\nwrote {out}"

    return exit_code(prog, work)
