"""Argument types the commands share: positionals named in their usage lines as the README names them,
and the region flag (``R`` or ``anywhere``); and how a command's work ends in an exit code."""

from __future__ import annotations

import sys
import typing
from collections.abc import Callable
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
