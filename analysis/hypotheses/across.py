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
its sources of that relation).
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
from cheesemaze.analysis.hypotheses.scoring import REFERENCE, log_likelihoods
from cheesemaze.analysis.hypotheses.study import Prepared, StudyConfig, finish, prepare, roll_out_test, seed_blocks
from cheesemaze.analysis.outputs import staged_dir
from cheesemaze.analysis.stats import bootstrap_draws, bootstrap_means, t_interval
from cheesemaze.agents.loading import Agent

WITHIN, ACROSS_SEEDS = "within agent", "across seeds"


def condition(label: str) -> str:
    """The condition of an agent label: ``r5/s3`` -> ``r5``; a label without a seed is its own condition."""
    return label.split("/")[0]


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
        write_across_report(stage, table, summary, summaries)
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
                    "gain": float(gain.mean()), **dict(zip(("gain_low", "gain_high"), bootstrap_means(gain, draws))),
                    "accuracy": float(correct.mean()),
                })
    return pd.DataFrame(rows)


def across_seeds(table: pd.DataFrame) -> pd.DataFrame:
    """Per relation and model: the mean gain over target agents, with a t interval over them."""
    rows = []
    for (rel, model), part in table.groupby(["relation", "model"], sort=False):
        per_target = part.groupby("target")[["gain", "mean_ll", "accuracy"]].mean()
        finite = per_target[np.isfinite(per_target["gain"])]
        mean, low, high = t_interval(finite["gain"].to_numpy()) if len(finite) == len(per_target) else (
            float("-inf"), float("nan"), float("nan"))
        rows.append({"relation": rel, "model": model, "targets": len(per_target), "pairs": len(part),
                     "gain": mean, "gain_low": low, "gain_high": high,
                     "mean_ll": float(per_target["mean_ll"].mean()), "accuracy": float(per_target["accuracy"].mean())})
    return pd.DataFrame(rows)
