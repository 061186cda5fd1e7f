"""Training: stable-baselines3 PPO on the maze, into a run directory, resumable.

``train(config, run_dir)`` starts a run; ``resume(run_dir)`` continues one from its last checkpoint
with the same step counters, optionally with a larger step budget or another thread count. Ctrl-C
(SIGINT) or SIGTERM saves a checkpoint and returns cleanly (``agents/signals.py``). The pieces live
beside this module: the env (``vec_env``), the model (``ppo``), the callback (``callback``), the
checkpoints (``checkpoint``) and the process settings (``process``).
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import torch
from stable_baselines3 import PPO

from cheesemaze.agents.callback import RunCallback
from cheesemaze.agents.checkpoint import CHECKPOINT_DIR, load_checkpoint, load_optimizer_state, save_run_checkpoint
from cheesemaze.agents.config import TrainConfig
from cheesemaze.agents.loading import load_policy_weights
from cheesemaze.agents.policy import resolve_precision
from cheesemaze.agents.ppo import build_model, run_logger
from cheesemaze.agents.process import set_up_process
from cheesemaze.agents.rundir import create_run_dir, log_parts, raise_budget, read_config
from cheesemaze.agents.signals import signals_held, stop_signals_interrupt
from cheesemaze.agents.vec_env import make_training_env
from cheesemaze.agents.warmstart import load_warm_start, record_warm_start


class InterruptedBeforeTraining(Exception):
    """A stop signal arrived before the first training step: nothing was trained."""


def check_device_available(config: TrainConfig) -> None:
    """Raise ``ValueError`` when the config asks for a CUDA device this machine does not have
    (stable-baselines3 would quietly train on the CPU instead)."""
    if not config.device.startswith("cuda"):
        return
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    index = int(config.device.partition(":")[2] or 0)
    if index >= count:
        raise ValueError(f"device {config.device!r}: torch sees {count} CUDA device(s) here; "
                         "use --device cpu or auto")


def _learn(model: PPO, config: TrainConfig, run_dir: Path, wall_offset: float, part: int,
           progress_bar: bool) -> PPO:
    """Train to ``config.total_timesteps`` under :func:`stop_signals_interrupt`: a stop signal saves
    ``latest`` and returns; the end of training saves ``latest`` and ``final`` with the signals held
    off, then evaluates once more (a stop signal skips that evaluation only)."""
    logger = run_logger(run_dir, part)
    model.set_logger(logger)
    try:
        return _learn_logged(model, config, run_dir, RunCallback(config, run_dir, wall_offset, progress_bar))
    finally:
        logger.close()  # the training log's files are complete on disk whichever way training ended


def _learn_logged(model: PPO, config: TrainConfig, run_dir: Path, callback: RunCallback) -> PPO:
    """:func:`_learn` with its logger set."""
    try:
        model.learn(config.total_timesteps - model.num_timesteps, callback=callback, reset_num_timesteps=False)
    except KeyboardInterrupt:
        with signals_held():
            path = save_run_checkpoint(model, run_dir, "latest", callback.wall_seconds())
            if model.num_timesteps >= config.total_timesteps:
                # Stopped in the last rollout's evaluation or update: the budget is spent, so the run is
                # finished as it stands (perhaps without that last update) rather than left unresumable.
                save_run_checkpoint(model, run_dir, "final", callback.wall_seconds())
                print(f"\ninterrupted at the end of training; saved {path} and final.pt")
                return model
        print(f"\ninterrupted at {model.num_timesteps:,} steps; saved {path}; continue with --resume")
        return model
    try:
        with signals_held():
            save_run_checkpoint(model, run_dir, "latest", callback.wall_seconds())
            save_run_checkpoint(model, run_dir, "final", callback.wall_seconds())
        if config.eval_every and callback.last_eval_step != model.num_timesteps:
            callback.evaluate()
            model.logger.dump(model.num_timesteps)
    except KeyboardInterrupt:
        print("\ninterrupted after training; the final checkpoint is saved, the last evaluation skipped")
    return model


def train(config: TrainConfig, run_dir: Path, *, init_from: str | Path | None = None,
          progress_bar: bool = True) -> PPO:
    """Train a new agent into the new run directory ``run_dir`` (``progress_bar``: show one).

    ``init_from``: start from the policy weights of that agent (a run directory or a shipped agent's
    name; ``agents/warmstart.py``), recorded in ``init.json``; checked before the directory is made.

    A checkpoint at step 0 is written before the first update, so a run killed at any later moment
    (even without a chance to save) resumes from a checkpoint. A stop signal during the setup before
    it removes the new run directory and raises :class:`InterruptedBeforeTraining`.
    """
    check_device_available(config)
    config = resolve_precision(config)
    warm = load_warm_start(init_from, config) if init_from is not None else None
    with stop_signals_interrupt():
        run_dir = create_run_dir(run_dir, config)
        try:
            print(f"run directory: {run_dir}")
            set_up_process(config.torch_threads)
            model = build_model(config, make_training_env(config, config.seed))
            if warm is not None:
                load_policy_weights(model.policy, warm.state, Path(warm.record["checkpoint"]))
                record_warm_start(run_dir, warm)
                print(f"initialized from {warm.record['checkpoint']} ({warm.record['num_timesteps']:,} steps)")
            with signals_held():
                save_run_checkpoint(model, run_dir, "latest", 0.0)
        except KeyboardInterrupt:
            shutil.rmtree(run_dir)
            raise InterruptedBeforeTraining(f"interrupted before the first step; removed {run_dir}") from None
        except BaseException:
            shutil.rmtree(run_dir)  # nothing was trained: a failed setup leaves no half-made run behind
            raise
        return _learn(model, config, run_dir, 0.0, 0, progress_bar)


def resume(run_dir: Path, *, total_timesteps: int | None = None, torch_threads: int | None = None,
           device: str | None = None, progress_bar: bool = True) -> PPO:
    """Continue a run from ``checkpoints/latest.pt`` with its step counters.

    :param total_timesteps: a larger step budget, recorded in the run's ``budget.json``.
    :param torch_threads: threads for this process (the machine's choice, not the run's: not recorded).
    :param device: torch device for this process (likewise not recorded).
    """
    run_dir = Path(run_dir)
    config = read_config(run_dir)
    path = run_dir / CHECKPOINT_DIR / "latest.pt"
    tensors, meta = load_checkpoint(path)
    machine = {k: v for k, v in (("torch_threads", torch_threads), ("device", device)) if v is not None}
    config = dataclasses.replace(config, **machine)  # validated by TrainConfig itself
    check_device_available(config)
    if total_timesteps is not None and total_timesteps != config.total_timesteps:
        if total_timesteps < config.total_timesteps:
            raise ValueError(f"--total-timesteps {total_timesteps:,} is below the run's {config.total_timesteps:,}; "
                             "a budget can only be raised")
        if config.ppo.lr_decay_steps == 0 and config.ppo.lr_final_fraction < 1:
            raise ValueError("this run decays its learning rate over its whole budget (ppo.lr_decay_steps 0): "
                             "a larger budget would raise the rate mid-run; train a new run instead")
        config = dataclasses.replace(raise_budget(run_dir, total_timesteps, meta["num_timesteps"]), **machine)
    finished = meta["num_timesteps"] >= config.total_timesteps
    if finished and (run_dir / CHECKPOINT_DIR / "final.pt").is_file():
        raise ValueError(f"{run_dir} has trained {meta['num_timesteps']:,} of its {config.total_timesteps:,} "
                         "steps; to train on, pass a larger --total-timesteps")
    with stop_signals_interrupt():
        try:
            set_up_process(config.torch_threads)
            steps = meta["num_timesteps"]
            model = build_model(config, make_training_env(config, config.seed + steps, start_step=steps))
            load_policy_weights(model.policy, tensors["policy"], path)
            load_optimizer_state(model.policy.optimizer, tensors["optimizer"])
        except KeyboardInterrupt:
            raise InterruptedBeforeTraining(f"interrupted before the first step; {run_dir} is as it was") from None
        model.num_timesteps, model._n_updates = meta["num_timesteps"], meta["n_updates"]
        if finished:  # stopped at its budget before final.pt was written: that checkpoint is final
            with signals_held():
                save_run_checkpoint(model, run_dir, "final", meta["wall_seconds"])
            print(f"{run_dir} had spent its budget; wrote its final checkpoint")
            return model
        part = len(log_parts(run_dir))
        return _learn(model, config, run_dir, meta["wall_seconds"], part, progress_bar)
