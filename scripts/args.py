"""Argument types the commands share: positionals named in their usage lines as the README names them,
and the region flag (``R`` or ``none``)."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Annotated

import tyro

AgentArg = Annotated[str, tyro.conf.Positional, tyro.conf.arg(metavar="AGENT")]
"""A run directory, or the name of a shipped agent."""

EvaluationArg = Annotated[Path, tyro.conf.Positional, tyro.conf.arg(metavar="EVALUATION")]
"""An evaluation folder, or its episodes.csv."""

PredictionsArg = Annotated[Path, tyro.conf.Positional, tyro.conf.arg(metavar="PREDICTIONS")]
"""A prediction file from 'cheesemaze predict'."""


def region_from_text(args: list[str]) -> int | None:
    """Parse a region flag: a non-negative integer, or ``none`` for the cheese anywhere."""
    (text,) = args
    if text.lower() == "none":
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"region must be an integer >= 0, or 'none' for anywhere; got {text!r}") from None


RegionArg = Annotated[
    int | None,
    tyro.constructors.PrimitiveConstructorSpec(
        nargs=1,
        metavar="R|none",
        instance_from_str=region_from_text,
        is_instance=lambda value: value is None or isinstance(value, int),
        str_from_instance=lambda value: ["none" if value is None else str(value)],
    ),
]
"""A ``--region`` flag: ``R`` puts the cheese in the top-right R x R square, ``none`` anywhere."""


def region_flags() -> tyro.constructors.ConstructorRegistry:
    """A tyro registry that parses every ``int | None`` field as a region (``R`` or ``none``): for
    configs, such as ``TrainConfig``, whose only optional integer is ``env.region``."""
    registry = tyro.constructors.ConstructorRegistry()
    spec = typing.get_args(RegionArg)[1]

    @registry.primitive_rule
    def region_rule(info: tyro.constructors.PrimitiveTypeInfo) -> tyro.constructors.PrimitiveConstructorSpec | None:
        return spec if info.type == (int | None) else None

    return registry

