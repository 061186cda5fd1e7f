"""Run directories: where a training run keeps its config, logs, checkpoints and later analyses.

Layout::

    <run>/config.json           resolved config, code version, package versions
    <run>/init.json             where a warm-started run's first weights came from (``train --init-from``)
    <run>/budget.json           a raised total_timesteps and when it was raised (``--resume --total-timesteps``)
    <run>/progress.csv          training log (SB3 csv logger), <run>/tb/ the same for TensorBoard
    <run>/checkpoints/          latest.pt/.json (periodic), final.pt/.json (end of training)
    <run>/evaluations/<name>/   held-out evaluations       (added by `cheesemaze evaluate`)
    <run>/analyses/<name>/      statistics, hypotheses      (added by `cheesemaze analyze`)
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from cheesemaze.agents.checkpoint import CHECKPOINT_DIR, read_manifest
from cheesemaze.agents.config import TrainConfig, config_from_dict, config_to_dict
from cheesemaze.envs.files import atomic_write_json

CONFIG_FILE = "config.json"
BUDGET_FILE = "budget.json"
TRAINED_DIR = Path(__file__).parent / "trained"
PACKAGES = ("cheesemaze", "torch", "stable-baselines3", "gymnasium", "numpy", "procgen-mirror")


def code_version() -> str:
    """The git commit of the code (with ``-dirty`` for uncommitted changes), or the package version."""
    here = Path(__file__).parent
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=here, capture_output=True, text=True, timeout=5
        )
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return metadata.version("cheesemaze")


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def create_run_dir(path: Path, config: TrainConfig) -> Path:
    """Create a new run directory holding ``config.json``; refuses an existing directory.

    The config must be resolved for this machine (``ppo.precision`` not ``"auto"``).
    """
    if config.ppo.precision == "auto":
        raise ValueError("ppo.precision 'auto' must be resolved before it is recorded (see resolve_precision)")
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"run directory {path} already exists; choose another --run-dir or pass --resume")
    path.mkdir(parents=True)
    record = {"config": config_to_dict(config), "code_version": code_version(), "packages": package_versions()}
    atomic_write_json(path / CONFIG_FILE, record)
    return path


def log_parts(run_dir: Path) -> list[Path]:
    """A run's training log files in the order they were written: ``progress.csv``, then the
    ``progress.<k>.csv`` that each ``--resume`` starts."""
    return sorted(Path(run_dir).glob("progress*.csv"), key=lambda p: (len(p.name), p.name))


def read_config(run_dir: Path) -> TrainConfig:
    """The resolved config saved in a run directory, with its step budget as last raised (budget.json)."""
    path = Path(run_dir) / CONFIG_FILE
    if not path.is_file():
        raise ValueError(f"{run_dir} is not a run directory: it has no {CONFIG_FILE}")
    try:
        record: dict[str, Any] = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON: {err}") from err
    config = config_from_dict(record["config"])
    budget = read_budget(run_dir)
    if budget:
        config = dataclasses.replace(config, total_timesteps=budget[-1]["total_timesteps"])
    return config


def read_budget(run_dir: Path) -> list[dict[str, Any]]:
    """Each raise of a run's ``total_timesteps``, oldest first (empty while it has none)."""
    path = Path(run_dir) / BUDGET_FILE
    return json.loads(path.read_text())["raises"] if path.is_file() else []


def raise_budget(run_dir: Path, total_timesteps: int, at_step: int) -> TrainConfig:
    """Record a larger ``total_timesteps`` for a run (config.json stays as its first command wrote it)."""
    config = read_config(run_dir)
    if total_timesteps <= config.total_timesteps:
        raise ValueError(f"total_timesteps {total_timesteps:,} must exceed the run's {config.total_timesteps:,}")
    raises = read_budget(run_dir) + [{"total_timesteps": total_timesteps, "from": config.total_timesteps,
                                      "at_step": at_step, "code_version": code_version()}]
    atomic_write_json(Path(run_dir) / BUDGET_FILE, {"raises": raises})
    return dataclasses.replace(config, total_timesteps=total_timesteps)


def agent_label(run_dir: str | Path) -> str:
    """A run's name in reports and figure titles: ``r5/s0`` for a seed's directory (``runs/r5/s0``,
    ``runs/zoo/r5/s0``), where the directory's own name would say only ``s0``; else the directory's name."""
    path = Path(run_dir)
    return f"{path.parent.name}/{path.name}" if re.fullmatch(r"s\d+", path.name) and path.parent.name else path.name


def shipped_agents() -> list[str]:
    """Names of the trained agents shipped with the package: ``<condition>/s<seed>`` (the zoo), or a
    condition's bare name for a single agent shipped without seeds."""
    if not TRAINED_DIR.is_dir():
        return []
    names = [p.relative_to(TRAINED_DIR).as_posix() for p in TRAINED_DIR.glob("*/*") if (p / CONFIG_FILE).is_file()]
    names += [p.name for p in TRAINED_DIR.iterdir() if (p / CONFIG_FILE).is_file()]
    return sorted(names, key=agent_order)


def agent_order(name: str) -> tuple:
    """Sort key of agent and condition names: by condition, then by seed; numbers in either compare as
    numbers (r2 before r10, s2 before s10), so a condition's seeds follow each other and regions go by r."""
    condition, _, seed = name.partition("/")
    return tuple(tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text) if part)
                 for text in (condition, seed))


def shipped_name(spec: str) -> str | None:
    """The shipped agent ``spec`` names: ``r5`` is seed 0 of the zoo's r5 (``r5/s0``); None if none."""
    names = shipped_agents()
    for name in (f"{spec}/s0", spec):
        if name in names:
            return name
    return None


def agent_group(spec: str | Path) -> list[str]:
    """The agents a spec names: ``GROUP/*`` is every seed of a shipped condition (``r5/*``) or every
    run directory in a folder (``runs/zoo/r5/*``), by seed; anything else is one agent."""
    text = str(spec)
    if not text.endswith("/*"):
        return [text]
    prefix = text[:-2]
    shipped = [n for n in shipped_agents() if n.startswith(prefix + "/")]
    if not shipped and prefix in shipped_agents():
        shipped = [prefix]  # a condition shipped as one agent without seeds: its only member
    if shipped and not Path(prefix).is_dir():
        return shipped
    runs = sorted((p for p in Path(prefix).glob("*") if (p / CONFIG_FILE).is_file()), key=lambda p: agent_order(p.name))
    if not runs:
        conditions = sorted({n.split("/")[0] for n in shipped_agents() if "/" in n})
        raise ValueError(f"{text!r} names no agents: give a shipped condition ({', '.join(conditions) or 'none shipped'})"
                         f"/* or a folder of run directories/*")
    return [str(p) for p in runs]


def resolve_agent_dir(spec: str | Path, workspace: Path = Path("runs")) -> Path:
    """A run directory's path, or a shipped agent's name as a working copy ``<workspace>/<name>``.

    Shipped agents live inside the installed package, which may be read-only and must stay clean, so
    the first use copies them (a few hundred kB) to the workspace, where analyses then add files.
    An existing directory by that name is used as it is.
    """
    path = Path(spec)
    name = shipped_name(str(spec))
    if name is not None and not (path / CONFIG_FILE).is_file():
        copy = Path(workspace) / name
        if not (copy / CONFIG_FILE).is_file():
            shutil.copytree(TRAINED_DIR / name, copy, dirs_exist_ok=True)
            print(f"copied shipped agent {name!r} to {copy}; results are written there")
        elif not same_checkpoint(copy, TRAINED_DIR / name):
            raise ValueError(
                f"{copy} is not the shipped agent {name!r}: its checkpoint differs (a run trained or "
                f"resumed there?). Pass ./{copy} to use that run, or move it away to use the shipped agent"
            )
        return copy
    if not (path / CONFIG_FILE).is_file():
        raise ValueError(
            f"no agent at {spec!r}: give a run directory holding {CONFIG_FILE} "
            f"or a shipped agent name ({', '.join(shipped_agents()) or 'none shipped'})"
        )
    return path


def checkpoint_steps(run_dir: Path) -> int | None:
    """Training steps of the checkpoint an agent of this run loads (from its manifest); None while
    the run has no checkpoint."""
    try:
        return read_manifest(latest_checkpoint(run_dir)).get("num_timesteps")
    except ValueError:
        return None


def same_checkpoint(run_a: Path, run_b: Path) -> bool:
    """Whether two run directories would load the same checkpoint (by the SHA-256 in its manifest)."""
    try:
        a, b = (read_manifest(latest_checkpoint(run)).get("sha256") for run in (run_a, run_b))
    except ValueError:
        return False
    return a is not None and a == b


def latest_checkpoint(run_dir: Path) -> Path:
    """``final.pt`` if training finished, else ``latest.pt``; ``latest.pt`` also where it has trained
    further than ``final.pt`` (a run resumed with a raised budget)."""
    paths = [Path(run_dir) / CHECKPOINT_DIR / name for name in ("final.pt", "latest.pt")]
    found = [p for p in paths if p.is_file()]
    if not found:
        raise ValueError(f"run directory {run_dir} has no checkpoint in {CHECKPOINT_DIR}/")
    if len(found) == 2:
        try:
            steps = [read_manifest(p).get("num_timesteps", 0) for p in found]
        except ValueError:
            return found[0]
        return found[1] if steps[1] > steps[0] else found[0]
    return found[0]
