"""Benchmark: 10,000 held-out cheese-anywhere mazes rolled out, featurized and regressed, against the
3-minute budget of docs/design.md ("Performance").

Uses a shipped agent (default ``r5``) or, with ``--agent fresh``, an untrained policy of the default
preset's architecture. Prints each stage's wall time and the total's ratio to the budget.

    python benchmarks/bench_analysis.py [--agent r5] [--n 10000] [--threads 2] [--batch-size 2000]
"""

from __future__ import annotations

import argparse
import time

import torch

from cheesemaze.analysis.behaviour import behaviour_statistics
from cheesemaze.analysis.evaluation import evaluate

BUDGET_S = 180.0


def fresh_agent():
    """An untrained agent of the default preset, shaped like ``load_agent``'s result."""
    from cheesemaze.agents.config import CPU_EASY
    from cheesemaze.agents.loading import Agent
    from cheesemaze.agents.policy import build_policy

    policy = build_policy(CPU_EASY)
    policy.set_training_mode(False)
    return Agent(config=CPU_EASY, policy=policy, run_dir=None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agent", default="r5", help="shipped agent name, run directory, or 'fresh'")
    parser.add_argument("--n", type=int, default=10_000, help="held-out mazes")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (2 spins badly when the two cores are busy)")
    parser.add_argument("--batch-size", type=int, default=2000, help="mazes stepped together")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.agent == "fresh":
        agent = fresh_agent()
    else:
        from cheesemaze.agents.loading import load_agent

        agent = load_agent(args.agent)
    params = sum(p.numel() for p in agent.policy.parameters())
    print(f"agent {args.agent}: {params:,} parameters, world {agent.config.env.world_size}, "
          f"{args.threads} torch thread(s), batch {args.batch_size}")

    counted = {"obs": 0, "calls": 0}
    inner = agent.distribution

    def distribution(obs):
        counted["obs"] += len(obs)
        counted["calls"] += 1
        return inner(obs)

    agent.distribution = distribution
    start = time.perf_counter()
    df = evaluate(agent, args.n, distributions=["anywhere"], policies=["sampled"], batch_size=args.batch_size)
    rolled = time.perf_counter()
    stats = behaviour_statistics(df, "anywhere", "sampled")
    done = time.perf_counter()
    total = done - start
    print(f"rollout + features: {rolled - start:6.1f} s  ({len(df)} episodes, {df['steps'].sum():,} steps, "
          f"{counted['obs']:,} network queries in {counted['calls']:,} calls)")
    print(f"statistics:         {done - rolled:6.1f} s  ({stats.with_dsq} mazes with a decision square, "
          f"cheese rate {stats.cheese_rate:.3f}, L1 accuracy {stats.multiple.accuracy:.3f})")
    print(f"total:              {total:6.1f} s  = {total / BUDGET_S:.2f} x the {BUDGET_S:.0f} s budget "
          f"({'within' if total <= BUDGET_S else 'OVER'} budget)")


if __name__ == "__main__":
    main()
