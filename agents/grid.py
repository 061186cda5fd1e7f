"""A sweep's grid: which trials it trains, each one ``TrainConfig`` and one run directory name.

A grid is one or more blocks; a block is a Cartesian product of config fields, written as text::

    "env.region=5,anywhere seed=0..4"       10 trials: r5/s0 .. r5/s4, control/s0 .. control/s4

Several blocks are a union (a trial in two blocks is trained once). Fields are ``TrainConfig``'s,
dotted for the nested ones (``env.region``, ``ppo.gamma``); values are parsed by the field's type,
``a..b`` is an inclusive integer range, and a region is an integer or ``anywhere``. Every trial's
config is built (and so validated) before anything trains.

Trial names are ``<condition>/s<seed>``: ``r5`` or ``control`` (cheese anywhere) for the region,
``-hard`` in procgen's hard world (25x25, the ``cpu-hard`` preset; ``r5-hard/s0``), then
``-<field>=<value>`` for each other swept field. The zoo's agents carry the same names.
"""

from __future__ import annotations

import dataclasses
import itertools
import typing
from dataclasses import dataclass
from typing import Any, Literal

from cheesemaze.agents.config import EnvConfig, PPOConfig, TrainConfig
from cheesemaze.envs.maze import WORLD_SIZES, Region, parse_region, placement

MACHINE_FIELDS = ("torch_threads", "device")
"""Fields that belong to the machine a trial runs on, not to the trial: they may differ between runs
of the same sweep."""

_SECTIONS = {"env": EnvConfig, "ppo": PPOConfig}


@dataclass(frozen=True)
class Trial:
    """One run of a sweep: its name (a relative run directory) and its full config."""

    name: str
    config: TrainConfig


def condition_name(region: Region) -> str:
    """``r<R>`` for a cheese region, ``control`` for the cheese anywhere."""
    return "control" if region is None else f"r{region}"


def _field_type(path: str) -> Any:
    """The type of a dotted ``TrainConfig`` field; ``ValueError`` for an unknown or unsweepable one."""
    section, _, leaf = path.rpartition(".")
    owner = _SECTIONS.get(section, TrainConfig if not section else None)
    hints = typing.get_type_hints(owner) if owner else {}
    if not leaf or leaf not in hints or leaf in ("env", "ppo", "preset", *MACHINE_FIELDS):
        fixed = ("env", "ppo", "preset", "train_levels", "test_levels", *MACHINE_FIELDS)
        known = [f.name for f in dataclasses.fields(TrainConfig) if f.name not in fixed]
        known += [f"{s}.{f.name}" for s, cls in _SECTIONS.items() for f in dataclasses.fields(cls)]
        hint = " (set it for every trial with its flag)" if leaf in MACHINE_FIELDS else ""
        raise ValueError(f"cannot sweep {path!r}{hint}; sweepable fields: {', '.join(known)}")
    return hints[leaf]


def parse_value(path: str, text: str) -> Any:
    """A grid value of field ``path`` from its text."""
    kind = _field_type(path)
    if path == "env.region":
        return parse_region(text)
    if typing.get_origin(kind) is Literal:
        if text not in typing.get_args(kind):
            raise ValueError(f"{path} must be one of {', '.join(typing.get_args(kind))}; got {text!r}")
        return text
    if kind is bool:
        if text.lower() not in ("true", "false"):
            raise ValueError(f"{path} takes true or false; got {text!r}")
        return text.lower() == "true"
    if kind in (int, float, str):
        try:
            return kind(text)
        except ValueError:
            raise ValueError(f"{path} takes {kind.__name__} values; got {text!r}") from None
    raise ValueError(f"cannot sweep {path!r}: its values ({kind}) have no text form")


def parse_block(text: str) -> dict[str, list[Any]]:
    """One block, ``"field=v1,v2 field=a..b"``, as field -> values (in the order given)."""
    block: dict[str, list[Any]] = {}
    for part in text.split():
        path, eq, values = part.partition("=")
        if not eq or not values:
            raise ValueError(f"grid entry {part!r} must read FIELD=V1,V2,... (or FIELD=A..B for integers)")
        if path in block:
            raise ValueError(f"grid block {text!r} names {path} twice")
        parsed = []
        for value in values.split(","):
            low, dots, high = value.partition("..")
            if dots:
                lo, hi = parse_value(path, low), parse_value(path, high)
                if not (isinstance(lo, int) and isinstance(hi, int) and lo <= hi):
                    raise ValueError(f"{path}={value}: a range A..B needs integers with A <= B")
                parsed += range(lo, hi + 1)
            else:
                parsed.append(parse_value(path, value))
        if len(set(map(repr, parsed))) != len(parsed):
            raise ValueError(f"{path} lists a value twice in {text!r}")
        block[path] = parsed
    if not block:
        raise ValueError("a grid block needs at least one FIELD=VALUES entry")
    return block


def with_values(base: TrainConfig, values: dict[str, Any]) -> TrainConfig:
    """``base`` with the dotted fields replaced (validated by the config classes themselves)."""
    top = {k: v for k, v in values.items() if "." not in k}
    nested = {s: {k.split(".", 1)[1]: v for k, v in values.items() if k.startswith(s + ".")} for s in _SECTIONS}
    sections = {s: dataclasses.replace(getattr(base, s), **kw) for s, kw in nested.items() if kw}
    return dataclasses.replace(base, **top, **sections)


def trial_name(config: TrainConfig, values: dict[str, Any]) -> str:
    """``<condition>[-hard][-field=value...]/s<seed>`` (module docstring)."""
    world = "-hard" if config.env.world_size == WORLD_SIZES["hard"] and "env.world_size" not in values else ""
    extra = "".join(f"-{k}={'anywhere' if v is None else v}" for k, v in values.items()
                    if k not in ("env.region", "seed"))
    return f"{condition_name(config.env.region)}{world}{extra}/s{config.seed}"


def expand(base: TrainConfig, blocks: list[str], *, new: bool = True) -> list[Trial]:
    """Every trial of the grid, each once: block by block in the order given, and within a block
    seed by seed, so the first block (the comparison a study is about, such as r5 against the
    control) has all its seeds before a later block's trials start.

    Raises ``ValueError`` for an unknown field, a value its field refuses, a config the values make
    impossible, a step budget below one rollout, or, in a ``new`` sweep, two trials on the same cheese
    placement (a sweep started before that rule keeps its grid).
    """
    if not blocks:
        raise ValueError("give at least one --grid block, e.g. --grid 'env.region=5,anywhere seed=0..4'")
    if base.total_timesteps < base.rollout_size:
        raise ValueError(f"total_timesteps {base.total_timesteps:,} is below one rollout "
                         f"(env.num_envs x ppo.n_steps = {base.rollout_size:,})")
    trials: dict[str, tuple[int, Trial]] = {}
    for order, text in enumerate(blocks):
        block = parse_block(text)
        for combo in itertools.product(*block.values()):
            values = dict(zip(block, combo))
            try:
                config = with_values(base, values)
            except (ValueError, TypeError) as err:
                shown = " ".join(f"{k}={v}" for k, v in values.items())
                raise ValueError(f"trial {shown}: {err}") from None
            if config.total_timesteps < config.rollout_size:
                raise ValueError(f"trial {trial_name(config, values)}: total_timesteps {config.total_timesteps:,} "
                                 f"is below one rollout ({config.rollout_size:,})")
            trial = Trial(trial_name(config, values), config)
            if trial.name in trials and trials[trial.name][1].config != config:
                raise ValueError(f"two trials are both named {trial.name}; sweep fewer fields at once")
            trials.setdefault(trial.name, (order, trial))
    ranked = [trial for _, trial in sorted(trials.values(), key=lambda item: (item[0], item[1].config.seed))]
    if new:
        _refuse_same_placement(ranked)
    return ranked


def _refuse_same_placement(trials: list[Trial]) -> None:
    """``ValueError`` where two trials differ only in regions that place the cheese alike (0 and 1):
    the sweep would train the same distribution twice under two names."""
    seen: dict[str, str] = {}
    for trial in trials:
        env = dataclasses.replace(trial.config.env, region=placement(trial.config.env.region))
        key = repr(dataclasses.replace(trial.config, env=env))
        if key in seen:
            raise ValueError(f"{seen[key]} and {trial.name} train on the same cheese placement (regions 0 "
                             "and 1 are both the top-right cell alone); sweep one of them")
        seen[key] = trial.name
