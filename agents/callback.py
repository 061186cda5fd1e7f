"""What a training run does between PPO updates: progress bar, held-out evaluations, checkpoints."""

from __future__ import annotations

import time
from collections import deque
from pathlib import Path

import numpy as np
from stable_baselines3.common.callbacks import BaseCallback
from tqdm.auto import tqdm

from cheesemaze.agents.checkpoint import save_run_checkpoint
from cheesemaze.agents.config import TrainConfig
from cheesemaze.agents.loading import Agent
from cheesemaze.agents.rollout import held_out_outcomes, outcome_rates
from cheesemaze.envs.maze import DISTRIBUTIONS, distribution_region

CHEESE_WINDOW = 500
"""Episodes behind the live cheese rate on the progress bar and in ``rollout/cheese_rate``. The rate
is shown and logged only once this many episodes have ended and every env has ended one: the first
episodes to end are the short ones, which are the cheese-finding ones, so an earlier rate reads high
(1.0 at first)."""


class RunCallback(BaseCallback):
    """Progress bar with the live cheese rate, periodic held-out evaluation and checkpoints."""

    def __init__(self, config: TrainConfig, run_dir: Path, wall_offset: float, progress_bar: bool = True) -> None:
        super().__init__()
        self.config, self.run_dir, self.wall_offset = config, run_dir, wall_offset
        self.progress_bar = progress_bar
        self.cheese = deque(maxlen=CHEESE_WINDOW)
        self.envs_ended: set[int] = set()
        self.next_eval = self.next_checkpoint = 0
        self.bar: tqdm | None = None
        self.started = time.time()
        self.last_eval_step = -1

    def wall_seconds(self) -> float:
        return self.wall_offset + time.time() - self.started

    def _on_training_start(self) -> None:
        step = self.num_timesteps
        self.bar = tqdm(total=self.config.total_timesteps, initial=step, unit="step", unit_scale=True,
                        dynamic_ncols=True, desc="train", mininterval=1.0,
                        disable=not self.progress_bar)
        every = self.config.eval_every
        self.next_eval = (step // every + 1) * every if every else float("inf")
        self.next_checkpoint = (step // self.config.checkpoint_every + 1) * self.config.checkpoint_every

    def cheese_rate(self) -> float | None:
        """The training episodes' rolling cheese rate, None while it would be biased (CHEESE_WINDOW)."""
        full = len(self.cheese) == self.cheese.maxlen and len(self.envs_ended) == self.training_env.num_envs
        return float(np.mean(self.cheese)) if full else None

    def _on_step(self) -> bool:
        for i, info in enumerate(self.locals["infos"]):
            if "outcome" in info:
                self.cheese.append(info["outcome"] == "cheese")
                self.envs_ended.add(i)
        self.bar.update(self.training_env.num_envs)
        if self.n_calls % 50 == 0:
            rate = self.cheese_rate()
            shown = f"{rate:.3f}" if rate is not None else f"({len(self.cheese)} episodes)"
            self.bar.set_postfix(cheese=shown, refresh=False)
        return True

    def _on_rollout_end(self) -> None:
        self.logger.record("time/wall_seconds", round(self.wall_seconds(), 1))
        rate = self.cheese_rate()
        if rate is not None:
            self.logger.record("rollout/cheese_rate", rate)
        if self.config.env.size_curriculum_steps:
            # the training episodes' rate above is on the curriculum's mazes, not the game's
            self.logger.record("rollout/largest_maze_size", self.training_env.get_attr("largest_size")[0])
        if self.num_timesteps >= self.next_eval:
            self.next_eval += self.config.eval_every
            self.evaluate()
        if self.num_timesteps >= self.next_checkpoint:
            self.next_checkpoint += self.config.checkpoint_every
            save_run_checkpoint(self.model, self.run_dir, "latest", self.wall_seconds())

    def evaluate(self) -> dict[str, float]:
        """Held-out cheese rates on the training distribution and with the cheese anywhere, logged."""
        self.last_eval_step = self.num_timesteps
        agent = Agent(self.config, self.model.policy, self.run_dir)
        was_training = self.model.policy.training
        self.model.policy.set_training_mode(False)
        rates = {}
        for name in DISTRIBUTIONS:
            region = distribution_region(name, self.config.env.region)
            outcomes = held_out_outcomes(agent, self.config, region, self.config.eval_episodes, self.config.seed)
            result = outcome_rates(outcomes)
            rates[name] = result["cheese"]
            for outcome, rate in result.items():
                self.logger.record(f"eval/{name}_{outcome}", rate)
        self.model.policy.set_training_mode(was_training)
        self.bar.write(f"[{self.num_timesteps:,} steps, {self.wall_seconds():.0f}s] held-out cheese: "
                       f"train {rates['train']:.3f}, anywhere {rates['anywhere']:.3f}")
        return rates

    def _on_training_end(self) -> None:
        if self.bar is not None:
            self.bar.close()
