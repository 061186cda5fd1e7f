"""Shipping a sweep's finished trials as the zoo: small, loadable copies in the package.

A shipped agent is a run directory that keeps only what analysis needs: ``config.json`` (and
``budget.json`` if the budget was raised), ``checkpoints/final.pt`` with the policy's weights only
(no optimizer state; the manifest records the steps and the source checkpoint's hash), a thinned
training log (every evaluation row and every ``LOG_EVERY``-th rollout), and ``evaluation_summary.json``:
held-out cheese on its training distribution, sampled actions, with Wilson intervals.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cheesemaze.agents.checkpoint import load_checkpoint, save_checkpoint
from cheesemaze.agents.loading import load_agent
from cheesemaze.agents.rundir import BUDGET_FILE, CONFIG_FILE, agent_label, log_parts, same_checkpoint
from cheesemaze.analysis.evaluation import evaluate, summarize
from cheesemaze.analysis.outputs import staged_dir
from cheesemaze.analysis.sweep_study import sweep_trials

LOG_EVERY = 8
"""Keep every this-many-th training-log row (and every row with an evaluation)."""
LOG_COLUMNS = ("time/total_timesteps", "time/wall_seconds", "rollout/ep_rew_mean", "rollout/cheese_rate",
               "train/entropy_loss", "train/learning_rate", "eval/train_cheese", "eval/train_top_right",
               "eval/train_other", "eval/anywhere_cheese", "eval/anywhere_top_right", "eval/anywhere_other")
SUMMARY_FILE = "evaluation_summary.json"


@dataclass(frozen=True)
class Shipped:
    name: str
    status: str
    """``shipped``, ``unchanged`` (the same checkpoint is already there) or ``unfinished``."""
    cheese: float | None = None


def thin_log(run_dir: Path) -> list[dict[str, str]]:
    """The run's training log rows (all parts, in order), thinned to ``LOG_COLUMNS``."""
    rows = []
    for part in log_parts(run_dir):
        with open(part, newline="") as f:
            rows += list(csv.DictReader(f))
    kept = [r for i, r in enumerate(rows) if i % LOG_EVERY == 0 or r.get("eval/train_cheese") or i == len(rows) - 1]
    return [{c: r.get(c, "") for c in LOG_COLUMNS} for r in kept]


def ship_trial(run_dir: Path, dest: Path, n: int, seed: int = 0,
               progress: Callable[[int], None] | None = None) -> float:
    """Write the shipped copy of a finished run into the new folder ``dest``; returns its held-out cheese
    rate on its training distribution (``n`` mazes, sampled actions)."""
    run_dir = Path(run_dir)
    final = run_dir / "checkpoints" / "final.pt"
    tensors, meta = load_checkpoint(final)
    agent = load_agent(run_dir, final)
    df = evaluate(agent, n, distributions=("train",), policies=("sampled",), seed=seed, progress=progress)
    start = agent.config.test_levels[0]
    summary = {"agent": agent_label(run_dir), "checkpoint": "checkpoints/final.pt", "num_timesteps": meta["num_timesteps"],
               "level_seeds": [start, start + n], "seed": seed, **summarize(df)}
    with staged_dir(Path(dest)) as staging:
        shutil.copy2(run_dir / CONFIG_FILE, staging / CONFIG_FILE)
        if (run_dir / BUDGET_FILE).is_file():
            shutil.copy2(run_dir / BUDGET_FILE, staging / BUDGET_FILE)
        slim = {k: meta[k] for k in ("num_timesteps", "n_updates", "wall_seconds") if k in meta}
        save_checkpoint(staging / "checkpoints" / "final.pt", {"policy": tensors["policy"]},
                        {**slim, "source_sha256": meta["sha256"]})
        with open(staging / "progress.csv", "w", newline="") as f:
            writer = csv.DictWriter(f, LOG_COLUMNS)
            writer.writeheader()
            writer.writerows(thin_log(run_dir))
        (staging / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n")
    return float((df["outcome"] == "cheese").mean())


def ship_sweep(sweep_dir: Path, trained_dir: Path, n: int, say: Callable[[str], None] = print,
               progress: Callable[[int], None] | None = None) -> list[Shipped]:
    """Ship every trial of a sweep that finished the sweep's budget as ``<trained_dir>/<condition>/s<seed>``;
    a trial already shipped from the same checkpoint is left as it is, another one there is refused
    (``ValueError``), and so is one shipped from an earlier, smaller budget: move it away to ship anew."""
    results = []
    try:
        finished = {t.name for t in sweep_trials(sweep_dir, variants=True)}
    except ValueError:  # none finished yet: each started one is listed as unfinished
        finished = set()
    for trial in sweep_trials(sweep_dir, unfinished=True, variants=True):
        dest = Path(trained_dir) / trial.name
        final = trial.run_dir / "checkpoints" / "final.pt"
        if trial.name not in finished:
            results.append(Shipped(trial.name, "unfinished"))
            continue
        if dest.exists():
            shipped = json.loads((dest / "checkpoints" / "final.json").read_text()).get("source_sha256")
            source = json.loads(final.with_suffix(".json").read_text())["sha256"]
            if shipped != source and not same_checkpoint(dest, trial.run_dir):
                raise ValueError(f"{dest} holds another agent than {trial.run_dir}; move it away to ship this one")
            results.append(Shipped(trial.name, "unchanged"))
            continue
        rate = ship_trial(trial.run_dir, dest, n, progress=progress)
        say(f"shipped {trial.name}: held-out cheese {rate:.3f} on {n} training-distribution mazes")
        results.append(Shipped(trial.name, "shipped", rate))
    return results
