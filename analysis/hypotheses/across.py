"""Prediction across agents: every model fitted on one agent's calibration rollouts, scored on every
agent's test rollouts, beside the within-agent scores.

Order of work, so that every prediction is written before any test rollout of any agent: all
calibrations and prediction files first (one study folder per agent), then all test rollouts, then
the scores. The agents share their seed blocks, so every agent's prediction file covers the same
test mazes and scoring agent A's file on agent B's episodes is a cross-agent prediction.

Every score of a target agent's episodes is also given as a gain over that target's own
``base-rate`` (fitted on its own calibration), in nats per maze with a paired bootstrap interval
over its mazes, so rows scored on the same target compare directly. Across seeds, the table gives
for each relation (within an agent and across seeds, each per condition; from one condition to
another) the mean over target agents with a Student t interval over them (a target's value is the mean over
its sources of that relation), for every measure: log-likelihood per maze, gain over base rate,
accuracy, Brier score and the count of observed outcomes given probability zero. That interval covers
variation over target seeds only: on rows fitted on another seed or on another condition the targets
share their sources (every target of a condition is scored with the same other-condition seeds' fits;
other seeds' fits overlap between targets), so how the numbers would move with other source seeds is
not in it, and it is narrower than an interval over both; ``interval_over`` says so on each row. When the conditions
are training regions (``r1``, ``r5``, ..., and the cheese-anywhere control), each model's
within-agent gain is also drawn against the region (``figures/region_sweep``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cheesemaze.analysis.evaluation import read_episodes
from cheesemaze.analysis.hypotheses.across_report import write_across_report
from cheesemaze.analysis.hypotheses.predictions import align
from cheesemaze.analysis.hypotheses.scoring import REFERENCE, allowed_outcomes, brier_scores, log_likelihoods, zero_cells
from cheesemaze.analysis.hypotheses.shutdown_report import condition
from cheesemaze.analysis.hypotheses.study import Prepared, StudyConfig, finish, prepare, roll_out_test, seed_blocks
from cheesemaze.analysis.hypotheses.writeup import near_zero_count
from cheesemaze.analysis.outputs import staged_dir
from cheesemaze.analysis.stats import bootstrap_draws, bootstrap_interval, t_interval
from cheesemaze.agents.loading import Agent
from cheesemaze.envs.maze import region_text

WITHIN, ACROSS_SEEDS = "within agent", "across seeds"
OVER_SEEDS, OVER_TARGETS_ONLY = "seeds", "target seeds only (sources shared, fixed)"
"""What a row's t interval covers: on its own fits, the agents' seeds; on fits from other agents, the
target seeds, the sources they share held fixed."""
MEASURES = ("mean_ll", "gain", "accuracy", "brier", "zero_probability")
"""What is averaged over target agents, each with its t interval over them."""


def relation(source: str, target: str) -> str:
    """How a fit's source agent relates to the agent it is scored on: ``r5: within agent``, ``r5: across
    seeds`` (another seed of the same condition) or ``r5 -> control``."""
    if source == target:
        return f"{condition(target)}: {WITHIN}"
    if condition(source) == condition(target):
        return f"{condition(target)}: {ACROSS_SEEDS}"
    return f"{condition(source)} -> {condition(target)}"


def folder_name(label: str) -> str:
    """An agent's study folder inside the group's folder: ``r5/s3`` -> ``r5-s3``."""
    return label.replace("/", "-")


def run_group_study(agents: dict[str, Agent], out_dir: Path, config: StudyConfig,
                    say: Callable[[str], None] = print) -> pd.DataFrame:
    """Each agent's own study in ``out_dir/<label>``, then the cross-agent scores; returns their long table."""
    blocks = {label: seed_blocks(agent, config) for label, agent in agents.items()}
    worlds = {agent.config.env.world_size for agent in agents.values()}
    if len(set(blocks.values())) > 1 or len(worlds) > 1:
        raise ValueError("prediction across agents needs agents of one world size with the same held-out seed blocks; "
                         "pass --level-start")
    with staged_dir(Path(out_dir)) as stage:
        prepared: dict[str, Prepared] = {}
        for label, agent in agents.items():
            say(f"== {label}: calibration and predictions")
            prepared[label] = prepare(agent, stage / folder_name(label), config, say)
        for label, agent in agents.items():
            say(f"== {label}: test rollouts (every prediction file is written)")
            roll_out_test(agent, stage / folder_name(label), prepared[label], config, say)
        summaries = {}
        for label, agent in agents.items():
            say(f"== {label}: scores, consistency, shutdown, report")
            summaries[label] = finish(agent, stage / folder_name(label), prepared[label], config, say)
        table = cross_scores({label: p.document for label, p in prepared.items()},
                             {label: read_episodes(stage / folder_name(label) / "test") for label in agents},
                             config.predict.calibration_policy, config.resamples, config.seed)
        table.to_csv(stage / "across.csv", index=False)
        summary = across_seeds(table)
        summary.to_csv(stage / "across_seeds.csv", index=False)
        regions = condition_regions(agents)
        sweep = None if regions is None else region_sweep(summary, regions)
        if sweep is not None:
            sweep.to_csv(stage / "region_sweep.csv", index=False)
        write_across_report(stage, table, summary, summaries, worlds.pop(), sweep)
    return table


def cross_scores(documents: dict[str, dict[str, Any]], episodes: dict[str, pd.DataFrame], policy: str,
                 resamples: int, seed: int) -> pd.DataFrame:
    """One row per (source agent, target agent, model): the source's predictions scored on the target's
    episodes, with the gain over the target's own base rate."""
    rows = []
    for target, target_rows in episodes.items():
        own = align(documents[target], target_rows, policy)
        if REFERENCE not in own.probabilities:
            raise ValueError(f"{target}'s predictions have no {REFERENCE}: fit on a calibration first")
        reference = log_likelihoods(own.probabilities[REFERENCE], own.observed)
        allowed = allowed_outcomes(own.probabilities)
        draws = bootstrap_draws(len(own.observed), resamples, seed)
        for source, document in documents.items():
            scored = own if source == target else align(document, target_rows, policy)
            if list(scored.rows["level_seed"]) != list(own.rows["level_seed"]):
                raise ValueError(f"{source}'s predictions and {target}'s cover different mazes")
            for model, probs in scored.probabilities.items():
                ll = log_likelihoods(probs, scored.observed)
                with np.errstate(invalid="ignore"):
                    gain = ll - reference
                correct = (probs.argmax(axis=1) == scored.observed).astype(np.float64)
                rows.append({
                    "source": source, "target": target, "relation": relation(source, target), "model": model,
                    "mazes": len(ll), "mean_ll": float(ll.mean()), "zero_probability": int((~np.isfinite(ll)).sum()),
                    "zero_cells": zero_cells(probs, allowed), "allowed_cells": int(allowed.sum()),
                    "near_zero_probability": near_zero_count(ll),
                    "gain": float(gain.mean()), **dict(zip(("gain_low", "gain_high"), bootstrap_interval(gain, draws))),
                    "accuracy": float(correct.mean()), "brier": float(brier_scores(probs, scored.observed).mean()),
                })
    return pd.DataFrame(rows)


def fitted_on(source: str, target: str) -> str:
    """The source of a fit as a target's table names it: ``itself``, ``another r5 seed`` or ``control seeds``."""
    if source == target:
        return "itself"
    if condition(source) == condition(target):
        return f"another {condition(target)} seed"
    return f"{condition(source)} seeds"


def seed_interval(values: np.ndarray, name: str) -> dict[str, float]:
    """``name``, ``name_low``, ``name_high``: the mean of one value per target agent and its t interval.

    Minus infinity on any target (a zero-probability outcome) makes the mean minus infinity and the
    interval undefined, rather than averaging over the targets where it happened not to occur."""
    if np.isfinite(values).all():
        mean, low, high = t_interval(values)
    else:
        mean, low, high = float(np.mean(values)), float("nan"), float("nan")
    return {name: mean, f"{name}_low": low, f"{name}_high": high}


def across_seeds(table: pd.DataFrame) -> pd.DataFrame:
    """Per target condition, relation and model: each measure's mean over target agents, with a t
    interval over them. Rows of a condition: its own fits first, then other seeds', then other conditions'."""
    rows = []
    for (rel, model), part in table.groupby(["relation", "model"], sort=False):
        # a target's value over its sources; NaN stays NaN (pandas' mean would drop it)
        per_target = part.groupby("target", sort=False)[list(MEASURES)].agg(lambda s: s.mean(skipna=False))
        source, target = part["source"].iloc[0], part["target"].iloc[0]
        row = {"condition": condition(target), "fitted_on": fitted_on(source, target), "relation": rel,
               "model": model, "targets": len(per_target), "pairs": len(part),
               "interval_over": OVER_SEEDS if source == target else OVER_TARGETS_ONLY}
        for measure in MEASURES:
            row.update(seed_interval(per_target[measure].to_numpy(dtype=float), measure))
        rows.append(row)
    out = pd.DataFrame(rows)
    conditions = list(dict.fromkeys(map(condition, table["target"])))
    sources = {c: i for i, c in enumerate(dict.fromkeys(map(condition, table["source"])))}
    models = {m: i for i, m in enumerate(dict.fromkeys(table["model"]))}
    rank = [(conditions.index(r.condition), 0 if r.fitted_on == "itself" else 1 if r.fitted_on.startswith("another")
             else 2 + sources[r.relation.split(" -> ")[0]], models[r.model]) for r in out.itertuples()]
    return out.iloc[sorted(range(len(out)), key=rank.__getitem__)].reset_index(drop=True)


def region_sweep(summary: pd.DataFrame, regions: dict[str, int | None]) -> pd.DataFrame:
    """Each model's within-agent gain over base rate per condition, with the condition's training
    region as text (``"5"``, ``"anywhere"``), from :func:`across_seeds`; ``base-rate`` (zero by definition) left out."""
    own = summary[(summary["fitted_on"] == "itself") & (summary["model"] != REFERENCE)]
    return pd.DataFrame({"condition": own["condition"], "region": [region_text(regions[c]) for c in own["condition"]],
                         "model": own["model"], "seeds": own["targets"], "gain": own["gain"],
                         "gain_low": own["gain_low"], "gain_high": own["gain_high"]}).reset_index(drop=True)


def condition_regions(agents: dict[str, Agent]) -> dict[str, int | None] | None:
    """The training region of each condition, or None when the conditions are not a region sweep (fewer
    than two, a condition whose seeds were trained on different regions, or two on the same region)."""
    regions: dict[str, set] = {}
    for label, agent in agents.items():
        regions.setdefault(condition(label), set()).add(agent.config.env.region)
    if len(regions) < 2 or any(len(r) != 1 for r in regions.values()):
        return None
    single = {c: next(iter(r)) for c, r in regions.items()}
    return single if len(set(single.values())) == len(single) else None
