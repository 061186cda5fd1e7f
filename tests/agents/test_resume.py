"""Resuming runs: step counters, a raised budget, the machine's flags, and stop signals that save."""

import dataclasses
import json
import os
import signal
import subprocess
import sys

import pytest
from test_training import TINY, weights

from cheesemaze.agents import training
from cheesemaze.agents.callback import RunCallback
from cheesemaze.agents.rundir import read_config
from cheesemaze.agents.training import resume, train
from cheesemaze.scripts.main import main as cli


def test_resume_continues_with_the_same_step_counters_and_a_raised_budget(tmp_path):
    run = tmp_path / "run"
    train(dataclasses.replace(TINY, total_timesteps=128), run)
    _, first = weights(run, "latest")
    assert first["num_timesteps"] == 128
    config_file = (run / "config.json").read_text()
    resume(run, total_timesteps=256, torch_threads=2)
    _, meta = weights(run, "latest")
    assert meta["num_timesteps"] == 256 and meta["n_updates"] == 4
    assert (run / "progress.csv").exists() and (run / "progress.1.csv").exists()
    assert (run / "config.json").read_text() == config_file  # the first command's record stays
    assert read_config(run).total_timesteps == 256 and read_config(run).torch_threads == TINY.torch_threads
    assert json.loads((run / "budget.json").read_text())["raises"][0]["at_step"] == 128
    with pytest.raises(ValueError, match="can only be raised"):
        resume(run, total_timesteps=200)


def test_a_run_killed_before_its_first_periodic_checkpoint_resumes_from_step_zero(tmp_path):
    run = tmp_path / "run"
    config = dataclasses.replace(TINY, checkpoint_every=10_000)
    code = "import sys, os, dataclasses; " \
        "from cheesemaze.agents import callback; " \
        "callback.RunCallback._on_rollout_end = lambda self: os._exit(9)"
    script = (f"{code}\nfrom cheesemaze.agents.config import config_from_dict\n"
              f"from cheesemaze.agents.training import train\nimport json, pathlib\n"
              f"train(config_from_dict(json.loads({json.dumps(json.dumps(dataclasses.asdict(config)))})), "
              f"pathlib.Path({str(run)!r}))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 9, out.stderr
    _, meta = weights(run, "latest")
    assert meta["num_timesteps"] == 0 and not (run / "checkpoints" / "final.pt").exists()
    resume(run)
    _, meta = weights(run, "final")
    assert meta["num_timesteps"] == config.total_timesteps


@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM"])
def test_a_stop_signal_saves_latest_off_the_grid_and_resume_finishes(tmp_path, monkeypatch, capsys, how):
    """SIGINT (Ctrl-C) or SIGTERM mid-rollout saves checkpoints/latest at the current step, also when
    SIGINT was ignored on entry, as it is for a run started in the background by a shell."""
    run = tmp_path / "run"
    config = dataclasses.replace(TINY, checkpoint_every=10_000, eval_every=0)
    original = RunCallback._on_step
    calls = {"n": 0}

    def signalling(self):
        calls["n"] += 1
        if calls["n"] == 20:  # 20 vectorized steps of 8 envs: inside the second rollout
            os.kill(os.getpid(), getattr(signal, how))
        return original(self)

    monkeypatch.setattr(RunCallback, "_on_step", signalling)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        train(config, run)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert "interrupted at" in capsys.readouterr().out
    _, meta = weights(run, "latest")
    # SB3 counts a vectorized step before the callback sees it: 20 steps of 8 envs, mid-rollout
    assert meta["num_timesteps"] == 20 * 8 and meta["num_timesteps"] % config.rollout_size != 0
    assert not (run / "checkpoints" / "final.pt").exists()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers restored after training
    monkeypatch.setattr(RunCallback, "_on_step", original)
    resume(run)
    _, meta = weights(run, "final")
    assert meta["num_timesteps"] >= config.total_timesteps


def test_a_stop_signal_before_the_first_step_removes_the_new_run_directory(tmp_path, monkeypatch):
    run = tmp_path / "run"
    build = training.build_model

    def signalled_build(config, env):
        os.kill(os.getpid(), signal.SIGTERM)
        return build(config, env)

    monkeypatch.setattr(training, "build_model", signalled_build)
    with pytest.raises(training.InterruptedBeforeTraining, match="before the first step"):
        train(TINY, run)
    assert not run.exists()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_a_stop_signal_while_the_final_checkpoint_is_written_waits_for_it(tmp_path, monkeypatch, capsys):
    run = tmp_path / "run"
    save = training.save_run_checkpoint

    def signalled_save(model, run_dir, name, wall_seconds):
        if name == "final":
            os.kill(os.getpid(), signal.SIGTERM)  # held off until the checkpoint is written
        return save(model, run_dir, name, wall_seconds)

    monkeypatch.setattr(training, "save_run_checkpoint", signalled_save)
    train(TINY, run)
    assert "the final checkpoint is saved" in capsys.readouterr().out
    _, meta = weights(run, "final")
    assert meta["num_timesteps"] >= TINY.total_timesteps


def test_resuming_a_finished_run_says_how_to_train_on(tmp_path):
    run = tmp_path / "run"
    train(TINY, run)
    logs = sorted(p.name for p in run.glob("progress*.csv"))
    with pytest.raises(ValueError, match="pass a larger --total-timesteps"):
        resume(run)
    assert sorted(p.name for p in run.glob("progress*.csv")) == logs


def test_resume_takes_the_budget_and_the_machines_flags_only(tmp_path, capsys):
    from cheesemaze.scripts.train import parse

    _, run, flags = parse(["--resume", "x", "--total-timesteps", "9", "--torch-threads", "2"], "cheesemaze train")
    assert str(run) == "x" and flags == {"total_timesteps": 9, "torch_threads": 2}
    assert cli(["train", "--resume", str(tmp_path), "--seed", "3"]) == 2
    assert "--resume takes --total-timesteps, --torch-threads and --device only" in capsys.readouterr().err


def test_a_stop_in_the_last_rollout_still_finishes_the_run(tmp_path, monkeypatch, capsys):
    run = tmp_path / "run"
    config = dataclasses.replace(TINY, eval_every=128)
    original = RunCallback.evaluate

    def signalled_evaluate(self):
        if self.num_timesteps >= config.total_timesteps:
            os.kill(os.getpid(), signal.SIGINT)  # while the last evaluation runs
        return original(self)

    monkeypatch.setattr(RunCallback, "evaluate", signalled_evaluate)
    train(config, run)
    assert "interrupted at the end of training" in capsys.readouterr().out
    _, meta = weights(run, "final")
    assert meta["num_timesteps"] == config.total_timesteps


def test_a_run_stopped_at_its_budget_without_a_final_checkpoint_is_finished_by_resume(tmp_path):
    run = tmp_path / "run"
    train(TINY, run)
    for suffix in (".pt", ".json"):
        (run / "checkpoints" / f"final{suffix}").unlink()
    resume(run)
    _, meta = weights(run, "final")
    assert meta["num_timesteps"] == TINY.total_timesteps
    assert len(list(run.glob("progress*.csv"))) == 1  # nothing trained again


def test_a_budget_raise_is_refused_where_the_rate_decays_over_the_whole_budget(tmp_path):
    run = tmp_path / "run"
    ppo = dataclasses.replace(TINY.ppo, lr_decay_steps=0, lr_final_fraction=0.5)
    train(dataclasses.replace(TINY, ppo=ppo), run)
    with pytest.raises(ValueError, match="whole budget"):
        resume(run, total_timesteps=512)
