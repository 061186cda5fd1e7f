"""The README's commands: each shipped agent's command trains its config; the region flag parses."""

import dataclasses
import json
import re
import shlex
import typing
from pathlib import Path

import pytest

from cheesemaze.agents.checkpoint import load_checkpoint
from cheesemaze.agents.config import TrainConfig, config_from_dict
from cheesemaze.agents.rundir import TRAINED_DIR, latest_checkpoint
from cheesemaze.scripts.train import parse

README = Path(__file__).parents[1] / "README.md"


@pytest.mark.parametrize("name", ["r5", "control"])
def test_the_readme_command_for_a_shipped_agent_trains_its_config(name):
    # the preset moves on; the README's command must still name every value the agent was trained with
    readme = README.read_text()
    row = next(line for line in readme.splitlines() if line.startswith(f"| `{name}` |"))
    command = shlex.split(re.search(r"`(cheesemaze train [^`]*)`", row).group(1))
    config, _, _ = parse(command[2:], "cheesemaze train")
    shipped = config_from_dict(json.loads((TRAINED_DIR / name / "config.json").read_text())["config"])
    for part in ("env", "ppo", "seed", "train_levels", "test_levels"):
        assert getattr(config, part) == getattr(shipped, part), part
    # the run was stopped by hand at its checkpoint; the command trains to it
    _, meta = load_checkpoint(latest_checkpoint(TRAINED_DIR / name))
    assert config.total_timesteps == meta["num_timesteps"]


def optional_ints(cls: type, prefix: str = "") -> list[str]:
    hints = typing.get_type_hints(cls)
    found = []
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            found += optional_ints(hints[f.name], f"{prefix}{f.name}.")
        elif hints[f.name] == (int | None):
            found.append(prefix + f.name)
    return found


def test_the_region_is_the_only_optional_integer_the_train_flags_parse_as_a_region():
    # scripts/args.py region_flags reads every int | None field as a region (R or anywhere)
    assert optional_ints(TrainConfig) == ["env.region"]
