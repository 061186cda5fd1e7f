"""Positional argument types the commands share, named in their usage lines as the README names them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import tyro

AgentArg = Annotated[str, tyro.conf.Positional, tyro.conf.arg(metavar="AGENT")]
"""A run directory, or the name of a shipped agent."""

EvaluationArg = Annotated[Path, tyro.conf.Positional, tyro.conf.arg(metavar="EVALUATION")]
"""An evaluation folder, or its episodes.csv."""

PredictionsArg = Annotated[Path, tyro.conf.Positional, tyro.conf.arg(metavar="PREDICTIONS")]
"""A prediction file from 'cheesemaze predict'."""
