"""A run with a training schedule (envs/schedule.py): per-size time limits and a size curriculum apply
to the training episodes only, are recorded and logged, and a resumed run continues the curriculum."""

import dataclasses

import pandas as pd
from test_training import TINY, spy_on_training

from cheesemaze.agents.rundir import read_config
from cheesemaze.agents.training import resume, train
from cheesemaze.envs.game import MAX_STEPS
from cheesemaze.envs.maze import maze_size
from cheesemaze.envs.schedule import time_limit

CAPPED = dataclasses.replace(TINY, env=dataclasses.replace(TINY.env, max_steps_per_size=1.0))
"""World 7 (sizes 3, 5, 7): time limits of 3, 5 and 7 steps."""
SCHEDULED = dataclasses.replace(CAPPED, env=dataclasses.replace(CAPPED.env, size_curriculum_steps=384))
"""And a curriculum of one stage per rollout of 128 steps."""


def test_training_episodes_end_at_their_mazes_limits_and_evaluations_at_the_games(tmp_path, monkeypatch):
    envs, evaluated, ended = spy_on_training(monkeypatch)
    train(CAPPED, tmp_path / "run")
    assert len(envs) == 1 and envs[0].max_steps_per_size == 1.0 and envs[0].batch.max_steps == MAX_STEPS
    episodes = [(info, time_limit(maze_size(info["level_seed"], 7), MAX_STEPS, 1.0)) for _, info in ended]
    assert episodes and all(info["steps"] <= limit for info, limit in episodes)
    cut = [(info["steps"], limit) for info, limit in episodes if info["TimeLimit.truncated"]]
    assert all(steps == limit for steps, limit in cut) and {limit for _, limit in cut} == {3, 5, 7}
    assert evaluated and 7 < max(evaluated) <= MAX_STEPS  # an untrained agent wanders past 7 steps
    assert read_config(tmp_path / "run").env == CAPPED.env


def test_the_curriculum_starts_small_and_its_stage_is_logged(tmp_path, monkeypatch):
    _, _, ended = spy_on_training(monkeypatch)
    train(SCHEDULED, tmp_path / "run")
    sizes = [{maze_size(info["level_seed"], 7) for step, info in ended if lo < step <= lo + 128} for lo in (0, 128)]
    assert sizes[0] == {3} and sizes[1] == {3, 5}  # the first rollout plays the smallest mazes only
    logged = pd.read_csv(tmp_path / "run" / "progress.csv")["rollout/largest_maze_size"]
    assert logged.tolist() == [5, 7]  # after 128 and 256 steps


def test_a_resumed_run_continues_the_curriculum_where_it_stopped(tmp_path, monkeypatch):
    run = tmp_path / "run"
    train(dataclasses.replace(SCHEDULED, total_timesteps=128), run)
    envs, _, _ = spy_on_training(monkeypatch)
    resume(run, total_timesteps=256)
    assert envs[0].steps_done == 256 and envs[0].largest_size == 7


def test_a_run_that_ends_inside_its_curriculum_is_told_so(tmp_path, monkeypatch, capsys):
    from cheesemaze.agents import training
    from cheesemaze.scripts.main import main as cli

    started = []
    monkeypatch.setattr(training, "train", lambda config, run_dir: started.append(config))
    flags = ["train", "--run-dir", str(tmp_path / "run"), "--env.size-curriculum-steps", "5000"]
    assert cli([*flags, "--total-timesteps", "4096"]) == 0
    assert "ends before it trains on the game's maze sizes" in " ".join(capsys.readouterr().err.split())
    assert cli([*flags, "--total-timesteps", "8192"]) == 0
    assert "game's maze sizes" not in capsys.readouterr().err
    assert [c.total_timesteps for c in started] == [4096, 8192]
