"""Warm starts (``train --init-from``): the weights arrive exactly, the source is recorded and kept on
resume, and a source that does not fit is refused before a run directory exists."""

import dataclasses
import json

import pytest
import torch
from test_training import TINY, weights

from cheesemaze.agents import training
from cheesemaze.agents.checkpoint import read_manifest, read_tensors, save_checkpoint
from cheesemaze.agents.config import PPOConfig
from cheesemaze.agents.policy import build_policy, resolve_precision
from cheesemaze.agents.rundir import TRAINED_DIR, create_run_dir, latest_checkpoint, read_config
from cheesemaze.agents.warmstart import INIT_FILE, load_warm_start
from cheesemaze.scripts.main import main as cli
from cheesemaze.scripts.train import parse


def pooled(config, world_size):
    return dataclasses.replace(config, env=dataclasses.replace(config.env, world_size=world_size),
                               ppo=dataclasses.replace(config.ppo, pooled_head=True))


def source_run(path, config, steps=123):
    """A run directory whose final checkpoint holds a freshly initialized policy of ``config``."""
    config = resolve_precision(config)
    create_run_dir(path, config)
    torch.manual_seed(7)
    state = build_policy(config).state_dict()
    save_checkpoint(path / "checkpoints" / "final.pt", {"policy": state}, {"num_timesteps": steps})
    return state


def test_the_default_head_still_loads_the_shipped_agents_weights_shape_for_shape():
    # config.json written before pooled_head existed: the field takes its default, the flattened head
    config = read_config(TRAINED_DIR / "r5" / "s0")
    assert config.ppo.pooled_head is False and PPOConfig().pooled_head is False
    saved = read_tensors(latest_checkpoint(TRAINED_DIR / "r5" / "s0"))["policy"]
    built = build_policy(config).state_dict()
    assert {k: v.shape for k, v in built.items()} == {k: v.shape for k, v in saved.items()}


def test_a_warm_start_copies_the_weights_exactly_and_records_the_source(tmp_path, monkeypatch):
    source = pooled(TINY, 7)
    state = source_run(tmp_path / "src", source)
    monkeypatch.setattr(training, "_learn", lambda model, *args: model)  # stop before any update
    run = tmp_path / "run"
    training.train(pooled(TINY, 11), run, init_from=tmp_path / "src")
    started, meta = weights(run, "latest")
    assert meta["num_timesteps"] == 0
    assert started.keys() == state.keys() and all(torch.equal(started[k], state[k]) for k in state)
    assert read_tensors(run / "checkpoints" / "latest.pt")["optimizer"]["state"] == {}  # fresh moments
    record = json.loads((run / INIT_FILE).read_text())
    manifest = read_manifest(tmp_path / "src" / "checkpoints" / "final.pt")
    assert record["checkpoint_sha256"] == manifest["sha256"] and record["num_timesteps"] == 123
    assert record["init_from"] == str(tmp_path / "src") and record["world_size"] == 7


def test_a_flattened_head_across_world_sizes_is_refused_with_the_way_out(tmp_path):
    source_run(tmp_path / "src", TINY)
    target = dataclasses.replace(TINY, env=dataclasses.replace(TINY.env, world_size=11))
    with pytest.raises(ValueError, match=r"features_extractor\.fc\.weight .*--ppo\.pooled-head makes it fit"):
        load_warm_start(tmp_path / "src", target)
    wider = dataclasses.replace(TINY, ppo=dataclasses.replace(TINY.ppo, features_dim=32))
    with pytest.raises(ValueError, match="does not fit this config's"):
        load_warm_start(tmp_path / "src", wider)


def test_other_observation_channels_are_refused(tmp_path):
    source_run(tmp_path / "src", dataclasses.replace(TINY, env=dataclasses.replace(TINY.env, traps=0.5)))
    with pytest.raises(ValueError, match="4 channels, this run grid with 3"):
        load_warm_start(tmp_path / "src", TINY)


def test_a_missing_source_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no agent at"):
        load_warm_start(tmp_path / "nothing", TINY)


def test_a_15x15_flattened_agent_fits_a_pooled_25x25_network(tmp_path, monkeypatch):
    # its last map is 2x2, where pooling to 2x2 changes nothing: the same function, the same shapes
    monkeypatch.chdir(tmp_path)  # the shipped agent is copied to ./runs
    config = read_config(TRAINED_DIR / "r5" / "s0")
    warm = load_warm_start("r5", pooled(config, 25))
    assert warm.record["world_size"] == 15 and warm.record["pooled_head"] is False
    assert warm.record["edge_walls"] is config.ppo.edge_walls is True  # the zoo trains with the walled edge


TINY_FLAGS = ["--env.world-size", "7", "--env.num-envs", "8", "--ppo.n-steps", "16", "--ppo.batch-size", "64",
              "--ppo.impala-scale", "0.25", "--ppo.features-dim", "16", "--ppo.pooled-head",
              "--total-timesteps", "128", "--eval-every", "0", "--checkpoint-every", "128"]


def test_cli_trains_from_another_run_and_resume_keeps_the_record(tmp_path, capsys):
    config, _, _ = parse(TINY_FLAGS, "cheesemaze train")
    assert config.ppo.pooled_head
    source_run(tmp_path / "src", pooled(config, 9))
    run = tmp_path / "run"
    assert cli(["train", "--run-dir", str(run), "--init-from", str(tmp_path / "src"), *TINY_FLAGS]) == 0
    record = (run / INIT_FILE).read_text()
    assert weights(run)[1]["num_timesteps"] == 128
    assert cli(["train", "--resume", str(run), "--total-timesteps", "256"]) == 0
    assert (run / INIT_FILE).read_text() == record and weights(run)[1]["num_timesteps"] == 256
    assert cli(["train", "--resume", str(run), "--init-from", str(tmp_path / "src")]) == 2
    assert "drop --init-from" in capsys.readouterr().err


@pytest.mark.parametrize("flags, message", [
    (["--ppo.no-pooled-head", "--env.world-size", "9"], "--ppo.pooled-head makes it fit"),
    (["--env.traps", "0.5"], "channels"),
])
def test_cli_refuses_a_source_that_does_not_fit_before_making_the_run(tmp_path, capsys, flags, message):
    config, _, _ = parse(TINY_FLAGS + ["--ppo.no-pooled-head"], "cheesemaze train")
    source_run(tmp_path / "src", config)
    run = tmp_path / "run"
    assert cli(["train", "--run-dir", str(run), "--init-from", str(tmp_path / "src"), *TINY_FLAGS, *flags]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not run.exists()
    assert cli(["train", "--run-dir", str(run), "--init-from", str(tmp_path / "none"), *TINY_FLAGS]) == 2
    assert "no agent at" in capsys.readouterr().err and not run.exists()
