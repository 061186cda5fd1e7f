"""The words and tables of prediction across agents: ``across.md`` (per target agent) and the group's
``report.md`` (per condition, across seeds)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cheesemaze.analysis.figures.across import across_figure, region_sweep_figure
from cheesemaze.analysis.figures.canvas import save_figure
from cheesemaze.analysis.hypotheses.across_tables import FITTED, condition_table, family_words, headline
from cheesemaze.analysis.hypotheses.baselines import BASELINES
from cheesemaze.analysis.hypotheses.report import interval
from cheesemaze.analysis.hypotheses.shutdown_report import group_shutdown_lines
from cheesemaze.analysis.tables import markdown_table

def target_table(table: pd.DataFrame, target: str) -> pd.DataFrame:
    """Rows: models; columns: the gain over the target's base rate when fitted on each source agent."""
    part = table[table["target"] == target]
    out = pd.DataFrame({"model": list(dict.fromkeys(part["model"]))})
    for source in dict.fromkeys(part["source"]):
        rows = part[part["source"] == source].set_index("model").reindex(out["model"])
        name = f"fitted on {source}" + (" (itself)" if source == target else "")
        out[name] = [f"{g:+.3f} ({interval(lo, hi, signed=True)})" for g, lo, hi in
                     zip(rows["gain"], rows["gain_low"], rows["gain_high"])]
    return out


def plain_words(table: pd.DataFrame) -> str:
    """What carries over from one agent to another, in a sentence per target, and what stays undecided."""
    words, undecided = [], []
    for target in dict.fromkeys(table["target"]):
        part = table[(table["target"] == target) & table["model"].isin(FITTED[:2])]
        for model in FITTED[:2]:
            rows = part[part["model"] == model].set_index("source")
            if target not in rows.index:
                continue
            own = rows.loc[target]
            others = rows.drop(index=target)
            for source, row in others.iterrows():
                words.append(f"`{model}` fitted on {source} and scored on {target} gains {row['gain']:+.3f} nats per "
                             f"maze over {target}'s own base rate (95% {interval(row['gain_low'], row['gain_high'], True)}), "
                             f"against {own['gain']:+.3f} ({interval(own['gain_low'], own['gain_high'], True)}) fitted on "
                             f"{target} itself.")
                if row["gain"] == -np.inf:
                    words.append(f"On {row['zero_probability']} of {target}'s mazes that fit gave an observed outcome "
                                 "probability zero, so as stated, without smoothing, the data rule it out there.")
                elif not np.isfinite(row["gain"]) or not row["gain_low"] > 0 and not row["gain_high"] < 0:
                    undecided.append(f"whether `{model}` fitted on {source} predicts {target} better than "
                                     f"{target}'s base rate")
    if undecided:
        words.append("The data cannot decide " + "; nor ".join(undecided) + ".")
    return " ".join(words)


def agent_parameters(folder: Path, labels: list[str]) -> dict[str, dict[str, Any]]:
    """Each agent's fitted parameters, from the prediction file in its study folder (``r5/s0`` ->
    ``r5-s0/predictions.json``); an agent without one is left out."""
    out = {}
    for label in labels:
        path = folder / label.replace("/", "-") / "predictions.json"
        if path.is_file():
            out[label] = json.loads(path.read_text()).get("parameters") or {}
    return out


def write_across_report(folder: Path, table: pd.DataFrame, summary: pd.DataFrame,
                        summaries: dict[str, dict[str, Any]], world_size: int, sweep: pd.DataFrame | None = None) -> None:
    """``across.md`` (words and a table per target agent), ``report.md`` (a table per condition across
    seeds), ``figures/across`` and, given the region sweep's table, ``figures/region_sweep``; every agent
    plays one ``world_size``."""
    world = f"{world_size}x{world_size} world"
    labels = list(summaries)
    parameters = agent_parameters(folder, labels)
    targets = list(dict.fromkeys(table["target"]))
    sections = []
    for target in targets:
        sections += [f"### Scored on {target}'s test rollouts", "", plain_words(table[table["target"] == target]), "",
                     markdown_table(target_table(table, target))]
    (folder / "across.md").write_text("\n".join(sections))
    figures = folder / "figures"
    figures.mkdir(exist_ok=True)
    save_figure(across_figure(table), figures / "across")
    conditions = []
    for name in dict.fromkeys(summary["condition"]):
        seeds = int(summary.loc[summary["condition"] == name, "targets"].max())
        conditions += [f"### {name} ({seeds} seed{'s' if seeds > 1 else ''})", "",
                       markdown_table(condition_table(summary, name))]
    lines = [
        f"# Hypotheses across agents: {', '.join(labels)}",
        "",
        f"Every agent was trained and tested in the {world}.",
        "",
        "## In plain words",
        "",
        headline(summary, table, parameters),
        "",
        *family_words(summary, table, parameters),
        "",
        "Each agent's own study (its calibration, prediction file, test rollouts, scores and report) is in its "
        "folder here. All prediction files were written before any agent's test rollout. A gain is the mean "
        "per-maze log-likelihood minus that of the target agent's own `base-rate` (fitted on its own calibration). "
        "Models with nothing fitted "
        f"({', '.join(sorted(set(table['model']) - set(FITTED)))}) score the same whichever agent they come from. "
        f"Baselines: {', '.join(BASELINES)}.",
        "",
        "## Per condition, across seeds",
        "",
        "One table per condition. Rows: each model fitted on the agent's own calibration rollouts (`itself`), on "
        "another seed of the same condition (scored on this seed's test rollouts, never on the source's own), and "
        "on each other condition's seeds. Each measure is the mean over the condition's agents (an agent's value "
        "for a row is the mean over the sources of that row) with a 95% Student t interval over agents in "
        "brackets: a dash with one seed, or when minus infinity (an observed outcome given probability zero) "
        "occurs on some seed. Column 'interval over' says what the interval covers: on `itself` rows, the seeds; on "
        "rows fitted on another seed or another condition, the target seeds only: every target of a condition is "
        "scored with the same other-condition seeds' fits (and other seeds' fits overlap between targets), so the "
        "interval holds the sources fixed, leaves out how the numbers would move with other source seeds, and is "
        "narrower than an interval over both. An interval is shown within the range its measure can take (a t interval over a "
        "few seeds can reach past it: accuracy within 0 to 1). Accuracy: of the most probable outcome; Brier: lower "
        "is better; the CSV has the unclipped bounds.",
        "",
        *conditions,
    ]
    if sweep is not None:
        save_figure(region_sweep_figure(sweep, world_size), figures / "region_sweep")
        lines += ["## Against the training region", "",
                  f"Figure `figures/region_sweep` ({world}): each model's within-agent gain over base rate against the "
                  "training region r (the cheese-anywhere control at the right), mean over seeds with a 95% t "
                  "interval; numbers in `region_sweep.csv`.", ""]
    lines += [
        "## Per target agent",
        "",
        "Every source agent's fit on every target agent, with a paired 95% bootstrap interval over the target's "
        "mazes: `across.md` and `figures/across`; every number: `across.csv`, `across_seeds.csv`.",
        "",
    ]
    lines += group_shutdown_lines(summaries)
    (folder / "report.md").write_text("\n".join(lines))
