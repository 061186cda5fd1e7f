"""Sweep overhead: the same runs trained by one ``cheesemaze sweep`` against one after another.

Both sides train the same ``--runs`` cpu-easy runs (seeds 0, 1, ...) of ``--steps`` env-steps each,
with the same total torch threads (the machine's cores, two by default). One after another: each run
is ``cheesemaze train --torch-threads CORES`` in its own process. The sweep: ``cheesemaze sweep
--torch-threads 1`` on a local Ray with CORES CPUs, so CORES runs train at once. Each side is timed
from the command's start to its end (Ray's start included), and the ratio of their aggregate
env-steps per second is printed (target: at least 0.9). Periodic evaluations are off on both sides.

    python benchmarks/bench_sweep.py [--runs 2] [--steps 131072] [--cores 2]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHEESEMAZE = [sys.executable, "-m", "cheesemaze.scripts.main"]
COMMON = ["--eval-every", "0", "--checkpoint-every", "1000000000"]


def timed(command: list[str]) -> float:
    """Wall seconds of a command, which must succeed (its output is discarded)."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=2, help="runs on each side (seeds 0 .. runs-1)")
    parser.add_argument("--steps", type=int, default=131_072, help="env-steps of each run")
    parser.add_argument("--cores", type=int, default=2, help="total torch threads, and the sweep's Ray CPUs")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    try:
        budget = ["--total-timesteps", str(args.steps), *COMMON]
        sequential = sum(
            timed([*CHEESEMAZE, "train", "--run-dir", str(work / f"seq-{seed}"), "--seed", str(seed),
                   "--torch-threads", str(args.cores), *budget])
            for seed in range(args.runs)
        )
        sweep = timed([*CHEESEMAZE, "sweep", str(work / "sweep"), "--grid", f"seed=0..{args.runs - 1}",
                       "--torch-threads", "1", "--cpus", str(args.cores), *budget])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    total = args.runs * args.steps
    print(f"{args.runs} cpu-easy runs x {args.steps:,} env-steps, {args.cores} cores in all")
    print(f"  one after another (train --torch-threads {args.cores}): {sequential:7.1f} s  "
          f"{total / sequential:8.0f} env-steps/s")
    print(f"  one sweep ({args.cores} trials at once, 1 thread each):  {sweep:7.1f} s  {total / sweep:8.0f} env-steps/s")
    print(f"  ratio, sweep / one after another: {sequential / sweep:.2f} (target: at least 0.9)")


if __name__ == "__main__":
    main()
