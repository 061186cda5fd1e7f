"""Argument types the commands share: positionals named in their usage lines as the README names them,
and the region flag (``R`` or ``anywhere``); help that reads as the docstrings do; and how a command's
work ends in an exit code, with its error in the flags' own names."""

from __future__ import annotations

import dataclasses
import inspect
import re
import sys
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import docstring_parser
import tyro
from tyro.constructors import ConstructorRegistry, StructConstructorSpec, StructFieldSpec

from cheesemaze.envs.maze import Region, parse_region, region_text

T = TypeVar("T")

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



METAVARS = {Path: "PATH", int: "INT", float: "FLOAT", str: "TEXT"}
"""The metavar of an optional flag (``X | None = None``) by its type: ``PATH``, not tyro's ``{None}|PATH``."""


def field_help(cls: type, name: str) -> str | None:
    """The attribute docstring of field ``name`` (searched along the MRO) as prose: indentation removed,
    single line breaks joined, paragraphs kept."""
    for klass in getattr(cls, "__mro__", ()):
        if klass.__module__ == "builtins":
            continue
        for param in docstring_parser.parse_from_object(klass).params:
            if param.arg_name == name and param.description:
                paragraphs = inspect.cleandoc(param.description).split("\n\n")
                return "\n\n".join(" ".join(paragraph.split()) for paragraph in paragraphs)
    return None


def readable_field(cls: type, field: StructFieldSpec) -> StructFieldSpec:
    """``field`` with its docstring as prose, and, when it defaults to None, the metavar of its type and no
    "(default: None)" (the docstring says what None means)."""
    text = field_help(cls, field.name) or field.helptext
    kind = field.type
    if field.default is None:
        members = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        metavar = METAVARS.get(members[0]) if len(members) == 1 else None
        hint = "" if isinstance(text, str) and "default" in text else "(optional)"
        kind = Annotated[kind, tyro.conf.arg(metavar=metavar, help_behavior_hint=hint)]
    return dataclasses.replace(field, helptext=text, type=kind)


def readable_help() -> ConstructorRegistry:
    """A tyro registry, entered around every command (``scripts/main.py``), that makes help read as the
    docstrings do. tyro breaks a line wherever a field docstring's continuation line begins (it joins
    lines before removing their indentation), which cut sentences mid-line, and shows an optional
    flag's metavar as ``{None}|PATH``. The rule wraps tyro's own dataclass rule and rewrites the help."""
    registry = ConstructorRegistry()
    inside: list[type] = []  # the rule asks the registries below it, so it must not answer itself

    @registry.struct_rule
    def reflow(info: Any) -> StructConstructorSpec | None:
        if inside or not dataclasses.is_dataclass(info.type):
            return None
        inside.append(info.type)
        try:
            spec = ConstructorRegistry.get_struct_spec(info)
        finally:
            inside.pop()
        if not isinstance(spec, StructConstructorSpec):
            return spec
        return dataclasses.replace(spec, fields=tuple(readable_field(info.type, f) for f in spec.fields))

    return registry


def field_paths(config: type, prefix: str = "") -> dict[str, str]:
    """Every field of a config dataclass by the names an error may use (``n_test``, ``ppo.n_steps``, and a
    nested field's bare name where no other field has it) -> its flag (``--n-test``, ``--ppo.n-steps``)."""
    paths: dict[str, str] = {}
    bare: dict[str, list[str]] = {}
    hints = typing.get_type_hints(config)
    for field in dataclasses.fields(config):
        path = prefix + field.name
        if dataclasses.is_dataclass(hints[field.name]):
            for inner, flag in field_paths(hints[field.name], path + ".").items():
                paths[inner] = flag
                bare.setdefault(inner.rsplit(".", 1)[-1], []).append(flag)
        else:
            paths[path] = "--" + path.replace("_", "-")
    unique = {name: flags[0] for name, flags in bare.items() if len(set(flags)) == 1 and name not in paths}
    return {**unique, **paths}


def flag_names(message: str, config: type | None) -> str:
    """``message`` with the fields of ``config`` it names as Python (``n_test``) spelled as their flags
    (``--n-test``): lower layers speak in parameter names, a command speaks in its flags. Only names with
    an underscore or a dot are rewritten; a bare word such as ``n`` could be prose."""
    if config is None:
        return message
    for name, flag in sorted(field_paths(config).items(), key=lambda item: -len(item[0])):
        if "_" in name or "." in name:
            message = re.sub(rf"(?<![\w./-]){re.escape(name)}(?![\w/-])", flag, message)
    return message


def refuse(prog: str, err: Exception, config: type | None = None) -> int:
    """Print a refused command's one-line error, in ``config``'s flag names; returns the exit code 2."""
    print(f"{prog}: {flag_names(str(err), config)}", file=sys.stderr)
    return 2


def parsed(prog: str, parse: Callable[[], T]) -> tuple[T | None, int | None]:
    """Run a command's parser: ``(result, None)``, or ``(None, exit code)`` when it printed help (0) or
    refused a flag (2: tyro has said why, or the ``ValueError`` is printed here in one line)."""
    try:
        return parse(), None
    except ValueError as err:
        return None, refuse(prog, err)
    except SystemExit as exit_:
        return None, int(exit_.code or 0)


def exit_code(prog: str, work: Callable[[], str], config: type | None = None) -> int:
    """Run a command's ``work``, print what it returns, and give its exit code: 0, or 2 with the message
    of a ``ValueError`` (bad input, in ``config``'s flag names), or 130 on Ctrl-C (results are staged, so
    nothing was written)."""
    try:
        text = work()
    except ValueError as err:
        return refuse(prog, err, config)
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
