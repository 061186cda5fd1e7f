"""``cheesemaze sweep``: train a grid of runs on Ray, resumably (``agents/sweep.py``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import tyro

from cheesemaze.agents.config import PRESETS, TrainConfig
from cheesemaze.agents.grid import expand
from cheesemaze.agents.sweep import MANIFEST, run_sweep, sweep_status
from cheesemaze.scripts.args import exit_code, parsed, region_flags

DESCRIPTION = """Train every trial of a grid on Ray; rerun the same command to resume.

  cheesemaze sweep SWEEP_DIR --grid 'FIELD=V1,V2 FIELD=A..B' [--grid ...] [OPTIONS] [CONFIG FLAGS]
  cheesemaze sweep SWEEP_DIR --status

  --grid BLOCK       a Cartesian product of config fields, e.g. 'env.region=5,anywhere seed=0..4';
                     several --grid blocks are a union. Trials are SWEEP_DIR/<r5|control|rN>/s<seed>
  --preset NAME      the config every trial starts from (default cpu-easy)
  --torch-threads N  threads (and Ray CPUs) per trial; a local Ray runs cpus / N trials at once
  --address ADDR     join a running Ray cluster (ray start --head) instead of starting a local Ray
  --cpus N           CPUs of the local Ray (default: all of this machine's)
  --max-retries N    retries of a trial whose process dies or raises, each from its checkpoint (2)
  --status           print where each trial stands (steps, last held-out cheese, rate) and exit;
                     reads only, so it works beside a running sweep

Finished trials are skipped and interrupted ones resume with their step counters; Ctrl-C stops every
trial at a checkpoint. Config flags (below) set every trial's other fields; --total-timesteps is the
budget of each trial, recorded in SWEEP_DIR/sweep.json (a rerun may raise it)."""


def parse(argv: list[str], prog: str) -> tuple[argparse.Namespace, TrainConfig | None]:
    """The sweep's options and its base config (None for ``--status``, which reads the manifest)."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("sweep_dir", type=Path, nargs="?")
    pre.add_argument("--grid", action="append", default=[])
    pre.add_argument("--preset", default="cpu-easy")
    pre.add_argument("--address")
    pre.add_argument("--cpus", type=int)
    pre.add_argument("--max-retries", type=int, default=2)
    pre.add_argument("--status", action="store_true")
    known, rest = pre.parse_known_args(argv)
    if "-h" in rest or "--help" in rest:
        tyro.cli(TrainConfig, args=["--help"], default=PRESETS["cpu-easy"], prog=prog, description=DESCRIPTION,
                 registry=region_flags())
    if known.sweep_dir is None:
        raise ValueError("give the sweep directory: cheesemaze sweep SWEEP_DIR --grid ...")
    if known.status:
        changed = [k for k, v in vars(known).items() if k not in ("sweep_dir", "status") and v != pre.get_default(k)]
        if rest or changed:
            raise ValueError("--status takes only the sweep directory: cheesemaze sweep SWEEP_DIR --status")
        return known, None
    if known.preset not in PRESETS:
        raise ValueError(f"unknown preset {known.preset!r}; choose from {', '.join(PRESETS)}")
    if known.max_retries < 0 or (known.cpus is not None and known.cpus < 1):
        raise ValueError("--max-retries must be >= 0 and --cpus >= 1")
    if known.address and known.cpus:
        raise ValueError("--cpus sizes a local Ray; a cluster joined with --address has its own")
    base = tyro.cli(TrainConfig, args=rest, default=PRESETS[known.preset], prog=prog, description=DESCRIPTION,
                    registry=region_flags())
    expand(base, known.grid, new=not (known.sweep_dir / MANIFEST).is_file())  # a bad grid is refused before Ray starts
    return known, base


def _millions(steps: int) -> str:
    return f"{steps / 1e6:.2f}M"


def status_text(sweep_dir: Path) -> str:
    """The ``--status`` table: one line per trial, then the totals and the time left at today's rate."""
    manifest, running, trials = sweep_status(sweep_dir)
    lines = [f"sweep {sweep_dir}: {len(trials)} trials ({manifest['preset']}, "
             f"{manifest['total_timesteps']:,} steps each); "
             + ("a sweep is running on it now" if running else "no sweep is running on it")]
    width = max([24, *(len(t.name) for t in trials)])
    header = f"{'trial':<{width}} {'state':<12} {'steps':>15}  {'held-out cheese':<17} {'clock':>8} {'env-steps/s':>11}"
    lines += [header, "-" * len(header)]
    states = {}
    for t in trials:
        state = ("finished" if t.finished else "training" if running and t.training
                 else "stopped" if t.steps else "not started")
        states[state] = states.get(state, 0) + 1
        held = f"{t.held_out:.3f} at {_millions(t.held_out_at)}" if t.held_out is not None else "-"
        clock = f"{t.wall_seconds / 60:.0f} min" if t.wall_seconds is not None else "-"
        rate = f"{t.rate:,.0f}" if t.rate and state == "training" else "-"
        steps = f"{_millions(min(t.steps, t.budget))} / {_millions(t.budget)}"
        lines.append(f"{t.name:<{width}} {state:<12} {steps:>15}  {held:<17} {clock:>8} {rate:>11}")
    done = sum(min(t.steps, t.budget) for t in trials)
    total = sum(t.budget for t in trials)
    counts = ", ".join(f"{n} {state}" for state, n in states.items())
    summary = f"{counts}; {_millions(done)} of {_millions(total)} env-steps"
    rate = sum(t.rate or 0 for t in trials if running and t.training and not t.finished)
    if rate > 0 and done < total:
        summary += f"; about {(total - done) / rate / 3600:.1f} h left at the running trials' {rate:,.0f} env-steps/s"
    lines.append(summary)
    return "\n".join(lines)


def main(argv: list[str], prog: str) -> int:
    result, code = parsed(prog, lambda: parse(argv, prog))
    if result is None:
        return code
    known, base = result
    if known.status:
        return exit_code(prog, lambda: status_text(known.sweep_dir))
    try:
        result = run_sweep(known.sweep_dir, base, known.grid, address=known.address, num_cpus=known.cpus,
                           max_retries=known.max_retries)
    except ValueError as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return 2
    print(f"{len(result.finished)} finished, {len(result.stopped)} stopped, {len(result.failed)} failed")
    for name, why in result.failed.items():
        print(f"  failed {name}: {why}  (log: {known.sweep_dir}/logs/{name.replace('/', '_')}.log)")
    if result.interrupted:
        return 130
    return 1 if result.failed else 0
