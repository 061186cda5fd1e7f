"""``cheesemaze score PREDICTIONS EVALUATION``: score a prediction file against an evaluation.

Refuses when a scored maze was also a calibration maze of the predictions, and when the evaluation
is of another agent or checkpoint than the one the predictions were made for (``--other-agent``
scores it anyway, as a cross-agent score, and says so in the output). Writes the score tables
(CSV and Markdown), Bayes factors, calibration bins and per-maze log-likelihoods into a new folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Literal

import tyro

from cheesemaze.scripts.args import EvaluationArg, PredictionsArg, refuse


@dataclass(frozen=True)
class ScoreArgs:
    """Score every hypothesis of a prediction file against the episodes of an evaluation."""

    predictions: PredictionsArg
    """The file written by 'cheesemaze predict'."""
    evaluation: EvaluationArg
    """An evaluation folder (or its episodes.csv) holding the predicted level seeds, cheese anywhere."""
    policy: Literal["sampled", "greedy"] = "sampled"
    """Whose episodes to score."""
    resamples: int = 1000
    """Bootstrap resamples for the intervals."""
    seed: int = 0
    """Seed of the bootstrap."""
    other_agent: bool = False
    """Score an evaluation of another agent or checkpoint than the predicted one (a cross-agent score)."""
    out: Path | None = None
    """Output folder, which must not exist (default: a fresh scores-<hash> folder beside the episodes)."""


def main(argv: list[str], prog: str) -> int:
    """Run ``cheesemaze score``; returns the exit code (2 for bad input)."""
    args = tyro.cli(ScoreArgs, args=argv, prog=prog)
    from cheesemaze.analysis.evaluation import EPISODES_FILE, SUMMARY_FILE, read_episodes
    from cheesemaze.analysis.hypotheses.predictions import align, other_agent, read_predictions
    from cheesemaze.analysis.hypotheses.report import bayes_lines, comparison_table, winners, write_scores
    from cheesemaze.analysis.hypotheses.scoring import score
    from cheesemaze.analysis.outputs import fresh_path, staged_dir
    from cheesemaze.analysis.tables import markdown_table

    try:
        if args.resamples < 1:
            raise ValueError(f"--resamples must be at least 1; got {args.resamples}")
        if args.out is not None and args.out.exists():
            raise ValueError(f"--out {args.out} already exists; scores are never overwritten")
        document = read_predictions(args.predictions)
        table = args.evaluation / EPISODES_FILE if args.evaluation.is_dir() else args.evaluation
        alignment = align(document, read_episodes(table), args.policy)
        summary_path = table.parent / SUMMARY_FILE
        mismatch = other_agent(document, json.loads(summary_path.read_text()) if summary_path.is_file() else {})
        if mismatch and not args.other_agent:
            raise ValueError(f"{mismatch}; pass --other-agent to score it as a cross-agent prediction")
    except ValueError as err:
        return refuse(prog, err, ScoreArgs)
    scores = score(alignment.probabilities, alignment.observed, args.resamples, args.seed)
    evaluated = datetime.fromtimestamp(table.stat().st_mtime, timezone.utc)
    before = datetime.fromisoformat(document["created"]) <= evaluated
    meta = {"predictions": str(args.predictions), "evaluation": str(table), "policy": args.policy,
            "config_hash": document["config_hash"], "predicted_before_evaluation": before,
            "cross_agent": mismatch}
    out = args.out or fresh_path(table.parent / f"scores-{document['config_hash'][:12]}")
    with staged_dir(out) as stage:
        write_scores(stage, scores, alignment, meta)
    print(markdown_table(comparison_table(scores)))
    print("\n".join(winners(scores) + [""] + bayes_lines(scores)))
    if not before:
        print("note: the predictions were written after the evaluation table (not a pre-registered prediction)")
    if mismatch:
        print(f"note: a cross-agent score (--other-agent): {mismatch}")
    if alignment.predicted_not_evaluated:
        scored = len(alignment.observed)
        print(f"note: {alignment.predicted_not_evaluated} of the {scored + alignment.predicted_not_evaluated} "
              f"predicted mazes are not in the evaluation; scored the {scored} it holds")
    print(f"\nwrote {out}")
    return 0
