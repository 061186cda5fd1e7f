"""``cheesemaze plot {curves,outcomes,cheese-rate,vector-field,trajectories}``: one figure each.

Figures go to ``--out STEM`` (``STEM.png`` and ``STEM.pdf``) or, by default, to a fresh name under
the run directory's ``figures/``; an existing figure is never replaced.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import tyro

from cheesemaze.analysis.evaluation import read_episodes
from cheesemaze.envs.maze import Distribution
from cheesemaze.scripts.args import AgentArg, EvaluationArg

FIGURES_DIR = "figures"
FORMATS = ("png", "pdf")
MAX_TRAJECTORIES = 200
"""The most episodes one trajectories figure overlays."""


def fresh_stem(stem: Path) -> Path:
    """``stem`` if none of its files exist yet, else the first free ``stem-2``, ``stem-3``, ..."""
    candidate, k = stem, 1
    while any(Path(f"{candidate}.{fmt}").exists() for fmt in FORMATS):
        k += 1
        candidate = stem.with_name(f"{stem.name}-{k}")
    return candidate


def output_stem(out: Path | None, run_dir: Path, name: str) -> Path:
    """Where a figure goes: ``--out`` (refused if taken; a .png or .pdf ending is dropped, since both are
    written) or a fresh name under ``<run_dir>/figures/``."""
    if out is not None:
        if out.suffix.lower().lstrip(".") in FORMATS:
            out = out.with_suffix("")
        if any(Path(f"{out}.{fmt}").exists() for fmt in FORMATS):
            raise ValueError(f"--out {out}: {out}.png or {out}.pdf already exists; figures are never overwritten")
        if not out.parent.is_dir():
            raise ValueError(f"--out {out}: folder {out.parent} does not exist")
        return out
    folder = Path(run_dir) / FIGURES_DIR
    folder.mkdir(exist_ok=True)
    return fresh_stem(folder / name)


def run(prog: str, make: Callable[[], tuple[Any, Path]]) -> int:
    """Build a figure and save it; a ``ValueError`` becomes a one-line message and exit code 2."""
    try:
        fig, stem = make()
    except ValueError as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return 2
    from cheesemaze.analysis.figures.canvas import save_figure

    for path in save_figure(fig, stem, FORMATS):
        print(f"wrote {path}")
    return 0


@dataclass(frozen=True)
class CurvesConfig:
    """Training curves of a run: reward, and cheese rates on training and held-out mazes."""

    agent: AgentArg
    """A run directory (its progress*.csv logs are read), or the name of a shipped agent (r5, control)."""
    out: Path | None = None
    """Output stem (writes STEM.png and STEM.pdf); default <run_dir>/figures/training."""


def curves(argv: list[str], prog: str) -> int:
    config = tyro.cli(CurvesConfig, args=argv, prog=prog)

    def make() -> tuple[Any, Path]:
        from cheesemaze.agents.rundir import agent_label, checkpoint_steps, read_config, resolve_agent_dir
        from cheesemaze.analysis.figures.training import read_progress, training_curves_figure, training_cut

        run_dir = resolve_agent_dir(config.agent)
        progress = read_progress(run_dir)
        cut = training_cut(read_config(run_dir).env)
        fig = training_curves_figure(progress, f"{agent_label(run_dir)}: training", cut, checkpoint_steps(run_dir))
        return fig, output_stem(config.out, run_dir, "training")

    return run(prog, make)


@dataclass(frozen=True)
class EvaluationPlotConfig:
    """A plot of an evaluation's episode table."""

    evaluation: EvaluationArg
    """An evaluation folder (from 'cheesemaze evaluate') or its episodes.csv."""
    policy: Literal["sampled", "greedy"] = "sampled"
    """Whose episodes (cheese-rate and heatmap plots; the outcome plot shows every policy)."""
    out: Path | None = None
    """Output stem (writes STEM.png and STEM.pdf); default: under the figures/ folder of the run
    directory holding the evaluation, or of the evaluation folder itself outside a run directory."""


def run_dir_of(evaluation: Path) -> Path:
    """Where an evaluation's figures go by default: the nearest folder above it holding a run's
    ``config.json`` (``<run_dir>/evaluations/<name>``, also inside ``analyses/``), else the
    evaluation folder itself, so a figure never lands in an unrelated folder."""
    from cheesemaze.agents.rundir import CONFIG_FILE

    folder = (evaluation if evaluation.is_dir() else evaluation.parent).resolve()
    for parent in folder.parents:
        if (parent / CONFIG_FILE).is_file():
            return parent
    return folder


def describe(kind: str, config_class: type) -> str:
    """A plot command's --help description: what it draws (the command list's line), and from what."""
    from cheesemaze.scripts.main import HELP

    what, source = HELP[f"plot {kind}"], config_class.__doc__
    return f"{what[0].upper()}{what[1:]}: {source[0].lower()}{source[1:]}"


def evaluation_plot(argv: list[str], prog: str, kind: str) -> int:
    config = tyro.cli(EvaluationPlotConfig, args=argv, prog=prog, description=describe(kind, EvaluationPlotConfig))

    def make() -> tuple[Any, Path]:
        from cheesemaze.analysis.behaviour import decision_rows
        from cheesemaze.analysis.figures import cheese_rate
        from cheesemaze.analysis.figures.outcomes import outcome_rates_figure

        df = read_episodes(config.evaluation)
        name = (config.evaluation if config.evaluation.is_dir() else config.evaluation.parent).name
        if kind == "outcomes":
            fig = outcome_rates_figure(df, f"outcomes: {name}")
        elif kind == "cheese-rate":
            fig = cheese_rate.binned_rate_figure(decision_rows(df, "anywhere", config.policy))
        else:
            fig = cheese_rate.location_heatmap_figure(decision_rows(df, "anywhere", config.policy))
        return fig, output_stem(config.out, run_dir_of(config.evaluation), f"{kind}-{name}")

    return run(prog, make)


def outcomes(argv: list[str], prog: str) -> int:
    return evaluation_plot(argv, prog, "outcomes")


def cheese_rate(argv: list[str], prog: str) -> int:
    return evaluation_plot(argv, prog, "cheese-rate")


def heatmap(argv: list[str], prog: str) -> int:
    return evaluation_plot(argv, prog, "heatmap")


@dataclass(frozen=True)
class MazePlotConfig:
    """A plot of an agent on one maze."""

    agent: AgentArg
    """A run directory, or the name of a shipped agent (r5, control)."""
    level_seed: int
    """The maze's level seed."""
    distribution: Distribution = "anywhere"
    """Cheese in the agent's training region, or anywhere."""
    episodes: int = 16
    """Episodes to overlay, at most 200 (trajectories only)."""
    greedy: bool = False
    """Take the most probable action instead of sampling (trajectories only)."""
    seed: int = 0
    """Seed of the action sampling (trajectories only)."""
    out: Path | None = None
    """Output stem (writes STEM.png and STEM.pdf); default under <run_dir>/figures/."""


def maze_plot(argv: list[str], prog: str, kind: str) -> int:
    config = tyro.cli(MazePlotConfig, args=argv, prog=prog, description=describe(kind, MazePlotConfig))

    def make() -> tuple[Any, Path]:
        from cheesemaze.agents.loading import load_agent
        from cheesemaze.agents.rundir import agent_label
        from cheesemaze.envs.maze import distribution_region, generate_maze

        if not 1 <= config.episodes <= MAX_TRAJECTORIES:
            raise ValueError(f"--episodes must be from 1 to {MAX_TRAJECTORIES} (more paths cannot be told apart "
                             f"on one maze); got {config.episodes}")
        agent = load_agent(config.agent)
        env = agent.config.env
        maze = generate_maze(config.level_seed, env.world_size, distribution_region(config.distribution, env.region))
        stem = output_stem(config.out, agent.run_dir, f"{kind}-{config.level_seed}-{config.distribution}")
        if kind == "vector-field":
            from cheesemaze.analysis.cell_maps import cell_map
            from cheesemaze.analysis.figures.policy_maps import actor_critic_figure

            title = f"{agent_label(agent.run_dir)}, level {maze.level_seed}: actor and critic"
            return actor_critic_figure(cell_map(agent, maze, env.obs_mode, env.action_mode), title=title), stem
        from cheesemaze.analysis.figures.policy_maps import trajectories_figure
        from cheesemaze.agents.rollout import rollout

        played = rollout(agent, [maze] * config.episodes, greedy=config.greedy, seed=config.seed,
                         obs_mode=env.obs_mode, action_mode=env.action_mode)
        title = f"{agent_label(agent.run_dir)}, level {maze.level_seed}: {len(played)} episodes"
        return trajectories_figure(maze, [e.path for e in played], [e.outcome for e in played], title=title), stem

    return run(prog, make)


def vector_field(argv: list[str], prog: str) -> int:
    return maze_plot(argv, prog, "vector-field")


def trajectories(argv: list[str], prog: str) -> int:
    return maze_plot(argv, prog, "trajectories")
