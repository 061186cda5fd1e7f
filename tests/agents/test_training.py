"""Training: same seed gives the same first updates; runs resume with their step counters;
run directories are never overwritten; bad flags are rejected before training starts."""

import dataclasses
import json
import platform
import subprocess
import sys
from types import SimpleNamespace

import pytest
import torch

from cheesemaze.agents import callback as callback_module
from cheesemaze.agents import policy, training
from cheesemaze.agents import rollout as rollout_module
from cheesemaze.agents.callback import RunCallback
from cheesemaze.agents.checkpoint import load_checkpoint, load_optimizer_state
from cheesemaze.agents.config import CPU_EASY, EnvConfig, PPOConfig
from cheesemaze.agents.loading import load_agent
from cheesemaze.agents.ppo import lr_schedule
from cheesemaze.agents.rollout import held_out_outcomes
from cheesemaze.agents.rundir import create_run_dir
from cheesemaze.agents.training import train
from cheesemaze.scripts.main import main as cli

TINY = dataclasses.replace(
    CPU_EASY,
    env=EnvConfig(world_size=7, region=5, num_envs=8),
    ppo=PPOConfig(n_steps=16, batch_size=64, n_epochs=2, impala_scale=0.25, features_dim=16),
    total_timesteps=256,
    eval_every=128,
    eval_episodes=8,
    checkpoint_every=128,
)


def weights(run_dir, name="final"):
    tensors, meta = load_checkpoint(run_dir / "checkpoints" / f"{name}.pt")
    return tensors["policy"], meta


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_same_seed_gives_the_same_first_updates(tmp_path, precision):
    config = TINY.with_precision(precision)
    model = train(config, tmp_path / "a")
    expected = torch.bfloat16 if precision == "bfloat16" else None
    assert model.policy.features_extractor.autocast_dtype == expected
    train(config, tmp_path / "b")
    train(dataclasses.replace(config, seed=1), tmp_path / "c")
    a, meta = weights(tmp_path / "a")
    b, _ = weights(tmp_path / "b")
    c, _ = weights(tmp_path / "c")
    assert meta["n_updates"] == 2 * 2  # two rollouts of 128 steps, two epochs each
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_diagonal_flip_training_is_reproducible_and_recorded(tmp_path):
    # that the flip reflects what it should is tests/agents/test_policy.py's
    flip = dataclasses.replace(TINY, ppo=dataclasses.replace(TINY.ppo, diagonal_flip=0.5))
    train(flip, tmp_path / "a")
    train(flip, tmp_path / "b")
    a, _ = weights(tmp_path / "a")
    b, _ = weights(tmp_path / "b")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert load_agent(tmp_path / "a").config.ppo.diagonal_flip == 0.5


def test_the_learning_rate_decays_over_lr_decay_steps_and_then_stays(tmp_path):
    ppo = dataclasses.replace(TINY.ppo, learning_rate=1e-3, lr_final_fraction=0.5, lr_decay_steps=256)
    config = dataclasses.replace(TINY, ppo=ppo, total_timesteps=384)  # three rollouts of 128 steps
    model = train(config, tmp_path / "run")
    rows = (tmp_path / "run" / "progress.csv").read_text().splitlines()
    column = rows[0].split(",").index("train/learning_rate")
    logged = [float(row.split(",")[column]) for row in rows[1:] if row.split(",")[column]]
    # SB3 logs an update's values with the next rollout: the rates after 128 and 256 steps
    assert logged == pytest.approx([7.5e-4, 5e-4])
    assert model.policy.optimizer.param_groups[0]["lr"] == pytest.approx(5e-4)  # and after 384
    whole_run = lr_schedule(dataclasses.replace(config, ppo=dataclasses.replace(ppo, lr_decay_steps=0)))
    assert [whole_run(r) for r in (1.0, 0.5, 0.0)] == pytest.approx([1e-3, 7.5e-4, 5e-4])


def test_run_directory_holds_config_logs_checkpoints_and_evals(tmp_path):
    run = tmp_path / "run"
    train(TINY, run)
    record = json.loads((run / "config.json").read_text())
    assert record["config"]["env"]["world_size"] == 7 and "torch" in record["packages"]
    header = (run / "progress.csv").read_text().splitlines()[0].split(",")
    assert {"time/total_timesteps", "eval/train_cheese", "eval/anywhere_cheese", "time/wall_seconds"} <= set(header)
    assert any((run / "tb").iterdir())
    assert load_agent(run).config == TINY


@pytest.mark.parametrize("native", [True, False])
def test_auto_precision_is_resolved_for_the_machine_and_recorded(tmp_path, monkeypatch, native):
    monkeypatch.setattr(policy, "cpu_has_native_bf16", lambda: native)
    expected = "bfloat16" if native else "float32"
    auto = TINY.with_precision("auto")
    assert policy.resolve_precision(auto) == TINY.with_precision(expected)
    assert policy.resolve_precision(TINY.with_precision("float32")).ppo.precision == "float32"
    with pytest.raises(ValueError, match="resolve"):
        policy.policy_kwargs(auto.ppo)
    run = tmp_path / "run"
    train(auto, run)
    assert json.loads((run / "config.json").read_text())["config"]["ppo"]["precision"] == expected
    extractor = load_agent(run).policy.features_extractor
    assert extractor.autocast_dtype == (torch.bfloat16 if native else None)


def test_a_bfloat16_agent_runs_in_float32_on_a_cpu_without_native_bfloat16(tmp_path, monkeypatch):
    run = tmp_path / "run"
    train(TINY.with_precision("bfloat16"), run)
    monkeypatch.setattr(policy, "cpu_has_native_bf16", lambda: True)
    assert load_agent(run).policy.features_extractor.autocast_dtype == torch.bfloat16
    monkeypatch.setattr(policy, "cpu_has_native_bf16", lambda: False)
    with pytest.warns(UserWarning, match="runs in float32"):
        agent = load_agent(run)
    assert agent.policy.features_extractor.autocast_dtype is None
    assert agent.config.ppo.precision == "bfloat16"


def test_an_unresolved_precision_is_never_recorded(tmp_path):
    with pytest.raises(ValueError, match="resolved"):
        create_run_dir(tmp_path / "run", TINY.with_precision("auto"))
    assert not (tmp_path / "run").exists()


def spy_on_training(monkeypatch) -> tuple[list, list, list]:
    """Lists that fill as training runs: the training envs built, the held-out episodes' lengths, and
    (step count, info) of each training episode that ends."""
    envs, evaluated, ended = [], [], []
    build, play, step = training.make_training_env, rollout_module.rollout, RunCallback._on_step

    def spying_make_training_env(*args, **kwargs):
        envs.append(build(*args, **kwargs))
        return envs[-1]

    def spying_rollout(*args, **kwargs):
        episodes = play(*args, **kwargs)
        evaluated.extend(episode.steps for episode in episodes)
        return episodes

    def recording_step(self):
        ended.extend((self.num_timesteps, info) for info in self.locals["infos"] if "steps" in info)
        return step(self)

    monkeypatch.setattr(training, "make_training_env", spying_make_training_env)
    monkeypatch.setattr(rollout_module, "rollout", spying_rollout)
    monkeypatch.setattr(RunCallback, "_on_step", recording_step)
    return envs, evaluated, ended


def test_training_episodes_end_at_the_configs_time_limit_and_evaluations_at_the_games(tmp_path, monkeypatch):
    envs, evaluated, ended = spy_on_training(monkeypatch)
    config = dataclasses.replace(TINY, env=dataclasses.replace(TINY.env, max_steps=3))
    train(config, tmp_path / "run")
    lengths = [info["steps"] for _, info in ended]
    assert [env.batch.max_steps for env in envs] == [3]
    assert lengths and max(lengths) == 3
    assert evaluated and 3 < max(evaluated) <= 500  # an untrained agent wanders past 3 steps


def test_the_live_cheese_rate_waits_for_a_full_window_and_every_env(monkeypatch):
    monkeypatch.setattr(callback_module, "CHEESE_WINDOW", 3)
    callback = RunCallback(TINY, None, 0.0)
    shown = []
    callback.bar = SimpleNamespace(update=lambda n: None, set_postfix=lambda **kw: shown.append(kw["cheese"]))
    callback.model = SimpleNamespace(get_env=lambda: SimpleNamespace(num_envs=2))
    cheese, timeout, running = {"outcome": "cheese"}, {"outcome": "other"}, {}
    rates = []
    for infos in ([cheese, running], [cheese, running], [cheese, running], [running, timeout], [running, timeout]):
        callback.locals, callback.n_calls = {"infos": infos}, 50
        callback._on_step()
        rates.append(callback.cheese_rate())
    # three episodes ended after three steps, all cheese, but env 1 had not ended one: no rate yet
    assert rates == [None, None, None, pytest.approx(2 / 3), pytest.approx(1 / 3)]
    assert shown[:3] == ["(1 episodes)", "(2 episodes)", "(3 episodes)"] and shown[3] == "0.667"


def test_loading_an_optimizer_state_keeps_the_fused_adam_and_restores_the_moments():
    saved = policy.build_policy(TINY)
    saved_opt = torch.optim.Adam(saved.parameters(), lr=1e-3)  # an older run's default per-tensor loop
    values, log_prob, _ = saved.evaluate_actions(torch.zeros(4, 3, 7, 7), torch.zeros(4))
    (values.sum() + log_prob.sum()).backward()
    saved_opt.step()
    fresh = policy.build_policy(TINY)
    assert fresh.optimizer.param_groups[0]["fused"] is True
    state = saved_opt.state_dict()
    for moments in state["state"].values():  # a step counter the fused kernel cannot take as it is
        moments["step"] = moments["step"].double()
    load_optimizer_state(fresh.optimizer, state)
    group = fresh.optimizer.param_groups[0]
    assert group["fused"] is True and not group["foreach"] and group["lr"] == 1e-3
    moments = [fresh.optimizer.state[p]["exp_avg"] for p in fresh.parameters()]
    assert any(m.abs().sum() > 0 for m in moments)
    assert all(torch.equal(m, saved_opt.state[p]["exp_avg"]) for m, p in zip(moments, saved.parameters()))
    steps = [fresh.optimizer.state[p]["step"] for p in fresh.parameters()]
    assert all(s.dtype == torch.float32 and s.device == p.device for s, p in zip(steps, fresh.parameters()))


def test_a_refused_run_directory_is_never_announced(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    assert cli(["train", "--run-dir", str(run), "--total-timesteps", "1000"]) == 2
    out, err = capsys.readouterr()
    assert "already exists" in err and "run directory:" not in out


def test_existing_run_directory_is_never_overwritten(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="already exists"):
        train(TINY, run)
    assert (run / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--preset", "gpu-huge"], "unknown preset"),
        (["--env.world-size", "16"], "odd"),
        (["--ppo.batch-size", "1000"], "must divide"),
        (["--resume", "x"], "drop --run-dir"),
        (["--device", "gpu"], "device must be cpu, cuda, cuda:N or auto"),
        (["--device", "cuda:99"], "CUDA device(s) here"),
        (["--env.region", "none"], "or 'anywhere'"),
    ],
)
def test_bad_flags_are_rejected_before_training(tmp_path, capsys, flags, message):
    run = tmp_path / "run"
    code = cli(["train", "--run-dir", str(run), *flags])
    assert code == 2
    assert message in " ".join(capsys.readouterr().err.split())
    assert not run.exists()


@pytest.mark.parametrize("text, region", [("anywhere", None), ("Anywhere", None), ("3", 3)])
def test_the_region_flag_takes_an_integer_or_anywhere(text, region):
    from cheesemaze.scripts.train import parse

    config, _, _ = parse(["--env.region", text], "cheesemaze train")
    assert config.env.region == region


def test_evaluation_refuses_more_levels_than_held_out():
    config = dataclasses.replace(CPU_EASY, test_levels=(10**9, 10**9 + 50))
    with pytest.raises(ValueError, match="held-out"):
        held_out_outcomes(None, config, region=5, n=51, seed=0)


MMAP_COUNT = """
import ctypes, re, sys, tempfile
libc = ctypes.CDLL("libc.so.6")
libc.fopen.restype = libc.malloc.restype = ctypes.c_void_p
def mmapped():
    with tempfile.NamedTemporaryFile() as f:
        stream = ctypes.c_void_p(libc.fopen(f.name.encode(), b"w"))
        libc.malloc_info(0, stream)
        libc.fclose(stream)
        return int(re.search(rb'<total type="mmap" count="(\\d+)"', open(f.name, "rb").read()).group(1))
if sys.argv[1] == "keep":  # the default case imports nothing that could raise glibc's threshold
    from cheesemaze.agents.process import keep_freed_memory
    assert keep_freed_memory()
before = mmapped()
block = libc.malloc(24 << 20)
print(mmapped() - before)
libc.free(ctypes.c_void_p(block))
"""


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc only")
def test_allocator_setting_serves_large_blocks_from_the_heap():
    # In fresh processes (the setting is process-wide): by default glibc maps a 24 MiB block on its
    # own; after keep_freed_memory() it comes from the heap, where freed memory stays for reuse.
    def new_maps(mode):
        out = subprocess.run([sys.executable, "-c", MMAP_COUNT, mode], capture_output=True, text=True, check=True)
        return int(out.stdout.strip().splitlines()[-1])

    assert new_maps("default") == 1
    assert new_maps("keep") == 0


def test_the_training_log_evaluation_agrees_with_cheesemaze_evaluate_seed_by_seed():
    # One evaluator: the training log's held-out rates and `cheesemaze evaluate` play the same episodes.
    from cheesemaze.analysis.evaluation import evaluate

    agent = load_agent("r5")
    n = 64
    table = evaluate(agent, n, policies=("sampled",), seed=3)
    for distribution, region in (("train", agent.config.env.region), ("anywhere", None)):
        rows = table[table["distribution"] == distribution]
        expected = dict(zip(rows["level_seed"].tolist(), rows["outcome"].tolist()))
        assert held_out_outcomes(agent, agent.config, region=region, n=n, seed=3) == expected
    assert 0 < (table["outcome"] == "cheese").mean() < 1  # outcomes differ, so agreeing is not trivial
