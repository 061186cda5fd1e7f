"""Sweeps: the grid, the refusals before Ray starts, and fault tolerance on a small local Ray."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import threading
import time

import pytest

from cheesemaze.agents.checkpoint import read_manifest
from cheesemaze.agents.config import CPU_EASY, CPU_HARD, EnvConfig, PPOConfig
from cheesemaze.agents.grid import expand, parse_block
from cheesemaze.agents.sweep import MANIFEST, open_sweep, run_sweep, trial_finished, trial_steps
from cheesemaze.scripts.main import main as cli

TINY = dataclasses.replace(
    CPU_EASY,
    env=EnvConfig(world_size=7, region=5, num_envs=8, max_steps=50),
    ppo=PPOConfig(n_steps=16, batch_size=64, n_epochs=1, impala_scale=0.25, features_dim=16),
    total_timesteps=1024,
    eval_every=0,
    eval_episodes=8,
    checkpoint_every=256,
)


def test_a_grid_is_every_combination_block_by_block_then_seed_by_seed_and_each_trial_once():
    trials = expand(CPU_EASY, ["env.region=5,anywhere seed=0..2", "env.region=3,5 seed=0..1"])
    names = [t.name for t in trials]
    assert names == ["r5/s0", "control/s0", "r5/s1", "control/s1", "r5/s2", "control/s2", "r3/s0", "r3/s1"]
    by_name = {t.name: t.config for t in trials}
    assert by_name["control/s1"].env.region is None and by_name["control/s1"].seed == 1
    assert by_name["r3/s0"].ppo == CPU_EASY.ppo and by_name["r3/s0"].env.region == 3
    other = expand(CPU_EASY, ["ppo.gamma=0.99,0.995 ppo.moves_only=true"])
    assert [t.name for t in other] == ["r5-ppo.gamma=0.99-ppo.moves_only=True/s0",
                                       "r5-ppo.gamma=0.995-ppo.moves_only=True/s0"]
    assert other[0].config.ppo.gamma == 0.99 and other[0].config.ppo.moves_only is True
    hard = expand(CPU_HARD, ["env.region=5,anywhere seed=0"])
    assert [t.name for t in hard] == ["r5-hard/s0", "control-hard/s0"] and hard[0].config.env.world_size == 25
    assert [t.name for t in expand(CPU_HARD, ["env.world_size=25 seed=1"])] == ["r5-env.world_size=25/s1"]
    assert parse_block("env.obs_mode=grid eval_episodes=5..6") == {"env.obs_mode": ["grid"], "eval_episodes": [5, 6]}


@pytest.mark.parametrize(
    "grid, flags, message",
    [
        ("env.regon=5", [], "cannot sweep 'env.regon'"),
        ("torch_threads=1,2", [], "set it for every trial with its flag"),
        ("env.region=99", [], "env.region=99"),
        ("env.region=five", [], "anywhere"),
        ("seed=3..1", [], "A <= B"),
        ("seed=1,1", [], "twice"),
        ("ppo.batch_size=1000", [], "must divide"),
        ("env.obs_mode=pixels", [], "one of grid, rgb"),
        ("seed", [], "FIELD=V1,V2"),
        ("seed=0", ["--total-timesteps", "100"], "below one rollout"),
        ("seed=0", ["--preset", "nope"], "unknown preset"),
        ("env.region=0,1,2 seed=0", [], "r0/s0 and r1/s0 train on the same cheese placement"),
    ],
)
def test_a_bad_grid_is_refused_in_one_line_before_ray_starts(tmp_path, capsys, grid, flags, message):
    import ray

    code = cli(["sweep", str(tmp_path / "sweep"), "--grid", grid, *flags])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "sweep").exists() and not ray.is_initialized()


def test_a_directory_of_another_sweep_or_a_foreign_run_is_refused(tmp_path):
    open_sweep(tmp_path, TINY, ["seed=0,1"])
    assert json.loads((tmp_path / MANIFEST).read_text())["trials"] == ["r5/s0", "r5/s1"]
    with pytest.raises(ValueError, match="holds another sweep: its grid differs"):
        open_sweep(tmp_path, TINY, ["seed=0..2"])
    with pytest.raises(ValueError, match="its base_config differs"):
        open_sweep(tmp_path, dataclasses.replace(TINY, eval_episodes=9), ["seed=0,1"])
    with pytest.raises(ValueError, match="can only be raised"):
        open_sweep(tmp_path, dataclasses.replace(TINY, total_timesteps=512), ["seed=0,1"])
    open_sweep(tmp_path, dataclasses.replace(TINY, torch_threads=2), ["seed=0,1"])  # the machine's choice
    raised = open_sweep(tmp_path, dataclasses.replace(TINY, total_timesteps=2048), ["seed=0,1"])
    assert raised[0].config.total_timesteps == 2048
    assert json.loads((tmp_path / MANIFEST).read_text())["budget_raises"][0]["from"] == 1024


def test_a_sweep_started_with_regions_0_and_1_before_that_was_refused_still_resumes(tmp_path, monkeypatch):
    from cheesemaze.agents import grid

    old = ["env.region=0,1 seed=0"]
    with pytest.raises(ValueError, match="same cheese placement"):
        open_sweep(tmp_path, TINY, old)
    assert not (tmp_path / MANIFEST).exists()
    with monkeypatch.context() as before:
        before.setattr(grid, "_refuse_same_placement", lambda trials: None)  # the code before the rule
        open_sweep(tmp_path, TINY, old)
    assert [t.name for t in open_sweep(tmp_path, TINY, old)] == ["r0/s0", "r1/s0"]
    assert cli(["sweep", str(tmp_path), "--status"]) == 0


def test_a_sweep_written_before_a_config_field_existed_still_resumes(tmp_path):
    # The zoo trains over many sessions while fields are added (env.traps, the cpu-hard schedule): a
    # manifest without them holds the trials those fields' defaults describe, so it must still open.
    auto = dataclasses.replace(TINY, ppo=dataclasses.replace(TINY.ppo, precision="auto"))
    open_sweep(tmp_path, auto, ["seed=0,1"])
    manifest = json.loads((tmp_path / MANIFEST).read_text())
    assert "precision" not in manifest["base_config"]["ppo"]
    for name in ("traps", "max_steps_per_size", "size_curriculum_steps"):
        del manifest["base_config"]["env"][name]
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    assert [t.name for t in open_sweep(tmp_path, auto, ["seed=0,1"])] == ["r5/s0", "r5/s1"]
    with pytest.raises(ValueError, match="its base_config differs"):
        open_sweep(tmp_path, dataclasses.replace(auto, env=dataclasses.replace(auto.env, traps=0.5)), ["seed=0,1"])
    manifest["base_config"]["env"]["colour"] = "blue"  # a field this code does not know
    (tmp_path / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="its base_config differs"):
        open_sweep(tmp_path, auto, ["seed=0,1"])


def _wait_for(check, timeout=300.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def _latest_steps(run):
    try:
        return read_manifest(run / "checkpoints" / "latest.pt")["num_timesteps"]
    except ValueError:
        return 0


def test_a_killed_trial_resumes_from_its_checkpoint_and_the_sweep_completes(tmp_path):
    config = dataclasses.replace(TINY, total_timesteps=4096)
    run = tmp_path / "r5" / "s0"
    killed = {}

    def kill_mid_run():
        steps = _wait_for(lambda: _latest_steps(run) >= 512 and _latest_steps(run))
        killed["steps"] = steps
        os.kill(json.loads((tmp_path / "logs" / "r5_s0.json").read_text())["pid"], signal.SIGKILL)

    killer = threading.Thread(target=kill_mid_run, daemon=True)
    killer.start()
    result = run_sweep(tmp_path, config, ["seed=0,1"], num_cpus=2, max_retries=2, poll_seconds=0.2)
    killer.join(timeout=5)
    assert "steps" in killed and sorted(result.finished) == ["r5/s0", "r5/s1"] and not result.failed
    assert trial_finished(run, 4096) and trial_steps(run) == 4096
    resumed = (run / "progress.1.csv").read_text().splitlines()
    column = resumed[0].split(",").index("time/total_timesteps")
    first = int(float(resumed[1].split(",")[column]))
    # the retry continued from a checkpoint at or after the one seen before the kill, not from 0
    assert killed["steps"] <= first - config.rollout_size < 4096
    assert (run / "progress.csv").is_file() and not (tmp_path / "abandoned").exists()


def test_an_interrupted_sweep_rerun_finishes_the_rest_and_a_finished_one_trains_nothing(tmp_path):
    grid = ["seed=0..2"]

    def interrupt_after_the_first_trial():
        _wait_for(lambda: trial_finished(tmp_path / "r5" / "s0", TINY.total_timesteps))
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_after_the_first_trial, daemon=True).start()
    first = run_sweep(tmp_path, TINY, grid, num_cpus=1, poll_seconds=0.2)  # one trial at a time
    assert first.interrupted and first.finished == ["r5/s0"] and not first.failed
    done = tmp_path / "r5" / "s0" / "checkpoints" / "final.pt"
    stamp = done.stat().st_mtime_ns
    second = run_sweep(tmp_path, TINY, grid, num_cpus=1, poll_seconds=0.2)
    assert sorted(second.finished) == ["r5/s0", "r5/s1", "r5/s2"] and not second.interrupted
    assert set(second.nodes) == {"r5/s1", "r5/s2"}  # only the unfinished trials ran
    assert done.stat().st_mtime_ns == stamp and not (tmp_path / "r5" / "s0" / "progress.1.csv").exists()
    third = run_sweep(tmp_path, TINY, grid, num_cpus=1)
    assert len(third.finished) == 3 and not third.nodes  # nothing trained, Ray not even started


def _descendants(pid: int) -> list[int]:
    """``pid`` and every process below it, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo += children.get(p, [])
    return found


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads the process tree from /proc")
def test_a_sweep_through_address_places_trials_on_both_nodes_of_a_cluster(tmp_path):
    import socket
    import subprocess
    import sys
    from pathlib import Path

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ray = str(Path(sys.executable).parent / "ray")
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    common = ["--num-cpus=1", "--block", "--disable-usage-stats"]
    head = subprocess.Popen([ray, "start", "--head", f"--port={port}", "--include-dashboard=false", *common],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    node = None
    try:
        time.sleep(8)
        node = subprocess.Popen([ray, "start", f"--address=127.0.0.1:{port}", *common], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(8)
        config = dataclasses.replace(TINY, total_timesteps=2048)
        result = run_sweep(tmp_path, config, ["seed=0,1"], address=f"127.0.0.1:{port}", poll_seconds=0.2)
        assert sorted(result.finished) == ["r5/s0", "r5/s1"]
        assert len(set(result.nodes.values())) == 2  # one trial on each node
    finally:
        for starter in (node, head):
            if starter is not None:
                for pid in _descendants(starter.pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                starter.wait(timeout=30)


def test_a_manifest_left_stale_by_a_kill_is_rebuilt_and_a_run_without_a_checkpoint_is_set_aside(tmp_path):
    from cheesemaze.agents.checkpoint import load_checkpoint
    from cheesemaze.agents.sweep import _resumable
    from cheesemaze.agents.training import train

    run = tmp_path / "run"
    train(dataclasses.replace(TINY, total_timesteps=256, checkpoint_every=128), run, progress_bar=False)
    latest = run / "checkpoints" / "latest.pt"
    stale = (run / "checkpoints" / "latest.json").read_text()
    train(dataclasses.replace(TINY, total_timesteps=128, seed=5), tmp_path / "other", progress_bar=False)
    # a kill between the two renames: the new tensors are in place, the manifest is the old one
    latest.write_bytes((tmp_path / "other" / "checkpoints" / "latest.pt").read_bytes())
    (run / "checkpoints" / "latest.json").write_text(stale)
    with pytest.raises(ValueError, match="SHA-256"):
        load_checkpoint(latest)
    assert _resumable(run)
    assert load_checkpoint(latest)[1]["num_timesteps"] == 128
    (run / "checkpoints" / "latest.json").unlink()
    latest.write_bytes(b"not a checkpoint")
    assert not _resumable(run)


def test_a_second_sweep_on_the_same_directory_and_too_many_threads_are_refused(tmp_path):
    import fcntl

    from cheesemaze.agents.sweep import LOCK_FILE

    with pytest.raises(ValueError, match="more than the local Ray's 1 CPUs"):
        run_sweep(tmp_path / "a", dataclasses.replace(TINY, torch_threads=2), ["seed=0"], num_cpus=1)
    assert not (tmp_path / "a").exists()
    open_sweep(tmp_path / "b", TINY, ["seed=0"])
    with open(tmp_path / "b" / LOCK_FILE, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(ValueError, match="another cheesemaze sweep is running"):
            run_sweep(tmp_path / "b", TINY, ["seed=0"], num_cpus=1)


def test_status_reads_each_trial_and_the_lock_beside_a_running_sweep(tmp_path, capsys):
    import fcntl

    from cheesemaze.agents.sweep import LOCK_FILE, sweep_status
    from cheesemaze.agents.training import train

    base = dataclasses.replace(TINY, eval_every=512)
    trials = {t.name: t.config for t in open_sweep(tmp_path, base, ["seed=0..2"])}
    train(trials["r5/s0"], tmp_path / "r5" / "s0", progress_bar=False)
    # 384 steps: the run ends between evaluations, so its log ends in a row with no step count
    train(dataclasses.replace(trials["r5/s1"], total_timesteps=384), tmp_path / "r5" / "s1", progress_bar=False)
    header, *_, last = (tmp_path / "r5" / "s1" / "progress.csv").read_text().splitlines()
    assert last.split(",")[header.split(",").index("time/total_timesteps")] == ""
    capsys.readouterr()
    manifest, running, status = sweep_status(tmp_path)
    assert manifest["total_timesteps"] == 1024 and not running
    by_name = {t.name: t for t in status}
    assert list(by_name) == ["r5/s0", "r5/s1", "r5/s2"]
    done, part, fresh = by_name["r5/s0"], by_name["r5/s1"], by_name["r5/s2"]
    assert done.finished and done.steps == 1024 and done.held_out_at == 1024 and 0 <= done.held_out <= 1
    assert not part.finished and part.steps == 384 and part.held_out_at == 384 and part.rate > 0
    assert not fresh.finished and fresh.steps == 0 and fresh.idle_seconds is None and fresh.wall_seconds is None
    assert cli(["sweep", str(tmp_path), "--status"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "no sweep is running" in lines[0] and lines[-1].startswith("1 finished, 1 stopped, 1 not started")
    assert [line.split()[:2] for line in lines[3:6]] == [["r5/s0", "finished"], ["r5/s1", "stopped"],
                                                        ["r5/s2", "not"]]
    with open(tmp_path / LOCK_FILE, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as a running sweep holds it
        _, running, status = sweep_status(tmp_path)
        assert running and [t.training for t in status] == [False, True, False]  # s1's log is seconds old
        assert cli(["sweep", str(tmp_path), "--status"]) == 0
        out = capsys.readouterr().out
        assert "a sweep is running on it now" in out and "1 training" in out and "h left at" in out
    assert cli(["sweep", str(tmp_path / "none"), "--status"]) == 2
    assert "holds no sweep" in capsys.readouterr().err
    for extra in (["--grid", "seed=0"], ["--preset", "bogus"], ["--cpus", "2"], ["--total-timesteps", "10"]):
        assert cli(["sweep", str(tmp_path), "--status", *extra]) == 2
        assert "takes only the sweep directory" in capsys.readouterr().err


@pytest.mark.parametrize("extra", [["--cpus", "2"], ["--preset", "cpu-hard"], ["--max-retries", "0"],
                                   ["--grid", "seed=0"], ["--seed", "3"]])
def test_status_refuses_every_other_option(tmp_path, capsys, extra):
    from cheesemaze.scripts.main import main

    assert main(["sweep", str(tmp_path), "--status", *extra]) == 2
    assert "--status takes only the sweep directory" in capsys.readouterr().err
