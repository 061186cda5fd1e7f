"""Benchmark: the random training-compatible goal solved exactly on 2,000 mazes x 256 reward samples,
against the 2-minute budget of issue 6, and against finite-horizon dynamic programming (the reference
solver) timed on a few of the same mazes in the same run.

    python benchmarks/bench_compatible.py [--mazes 2000] [--samples 256] [--world-size 15] [--threads 2]

``--threads`` caps the BLAS threads of the one matrix product per maze (set before numpy loads).
"""

from __future__ import annotations

import argparse
import os
import time

BUDGET_S = 120.0
REFERENCE_MAZES = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mazes", type=int, default=2000, help="held-out cheese-anywhere mazes")
    parser.add_argument("--samples", type=int, default=256, help="reward samples per maze")
    parser.add_argument("--world-size", type=int, default=15, help="15 (easy) or 25 (hard)")
    parser.add_argument("--threads", type=int, default=2, help="BLAS threads")
    args = parser.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)

    import numpy as np

    from cheesemaze.analysis.hypotheses.compatible import CHEESE, CompatibleConfig, reward_generator, solve
    from cheesemaze.analysis.hypotheses.finite_horizon import dynamic_programming_outcomes
    from cheesemaze.analysis.hypotheses.graph import maze_graph
    from cheesemaze.analysis.hypotheses.priors import parse_prior
    from cheesemaze.envs.maze import generate_maze

    config = CompatibleConfig(samples=args.samples)
    mazes = [generate_maze(1_000_000_000 + i, args.world_size, None) for i in range(args.mazes)]
    cells = np.mean([(~m.walls).sum() for m in mazes])
    print(f"{args.mazes} mazes (world {args.world_size}, {cells:.0f} open cells on average), "
          f"{args.samples} reward samples each, prior {config.prior}, horizon {config.horizon}, "
          f"{args.threads} BLAS thread(s)")

    start = time.perf_counter()
    result = solve(mazes, config)
    elapsed = time.perf_counter() - start
    print(f"closed form: {elapsed:.1f} s ({1000 * elapsed / args.mazes:.2f} ms per maze); "
          f"budget {BUDGET_S:.0f} s, ratio {elapsed / BUDGET_S:.3f} ({'within' if elapsed <= BUDGET_S else 'OVER'} budget)")
    print(f"mean P(cheese, top_right, other) = {np.round(result.probabilities[:, :3].mean(axis=0), 4).tolist()}; "
          f"mean P(avoid cheese) {1 - result.probabilities[:, CHEESE].mean():.4f} vs mean n/(n+1) {result.bound.mean():.4f}")

    prior = parse_prior(config.prior)
    start = time.perf_counter()
    for i, maze in enumerate(mazes[:REFERENCE_MAZES]):
        graph = maze_graph(maze)
        rewards = prior.sample(reward_generator(config.seed, maze, i), (args.samples, graph.n))
        dynamic_programming_outcomes(graph, rewards, {graph.cheese: CHEESE}, config.horizon)
    reference = (time.perf_counter() - start) / REFERENCE_MAZES
    print(f"reference dynamic programming: {1000 * reference:.0f} ms per maze (on {REFERENCE_MAZES} mazes), "
          f"{reference * args.mazes:.0f} s extrapolated; closed form is {reference * args.mazes / elapsed:.0f}x faster")


if __name__ == "__main__":
    main()
