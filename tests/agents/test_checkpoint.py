"""Checkpoints load tensors only and refuse truncated, altered or mismatched files."""

import dataclasses
import json

import pytest
import torch

from cheesemaze.agents.checkpoint import load_checkpoint, save_checkpoint, sha256_file
from cheesemaze.agents.config import CPU_EASY
from cheesemaze.agents.loading import load_agent
from cheesemaze.agents.policy import build_policy, resolve_precision
from cheesemaze.agents.rundir import CHECKPOINT_DIR, create_run_dir


@pytest.fixture
def run_dir(tmp_path):
    config = resolve_precision(CPU_EASY)
    path = create_run_dir(tmp_path / "run", config)
    policy = build_policy(config)
    save_checkpoint(path / CHECKPOINT_DIR / "final.pt", {"policy": policy.state_dict()}, {"num_timesteps": 7})
    return path


def test_round_trip_restores_the_same_weights(run_dir):
    agent = load_agent(run_dir)
    saved, manifest = load_checkpoint(run_dir / CHECKPOINT_DIR / "final.pt")
    assert manifest["num_timesteps"] == 7
    for name, tensor in agent.policy.state_dict().items():
        assert torch.equal(tensor, saved["policy"][name])


def test_truncated_checkpoint_is_refused(run_dir):
    path = run_dir / CHECKPOINT_DIR / "final.pt"
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ValueError, match="truncated"):
        load_agent(run_dir)


def test_tampered_checkpoint_is_refused(run_dir):
    path = run_dir / CHECKPOINT_DIR / "final.pt"
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="altered"):
        load_agent(run_dir)


def test_pickled_code_is_never_run(tmp_path):
    class Payload:
        def __reduce__(self):
            return (exec, ("raise SystemExit('code ran')",))

    path = tmp_path / "evil.pt"
    torch.save({"policy": Payload()}, path)
    manifest = json.loads("{}")
    from cheesemaze.agents.checkpoint import sha256_file

    manifest.update(file=path.name, sha256=sha256_file(path), bytes=path.stat().st_size)
    path.with_suffix(".json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="tensors only"):
        load_checkpoint(path)


@pytest.mark.parametrize("damage", ["not a zip", "inside the zip"])
def test_a_damaged_checkpoint_whose_manifest_matches_is_refused_in_one_line(run_dir, damage):
    path = run_dir / CHECKPOINT_DIR / "final.pt"
    data = bytearray(path.read_bytes())
    if damage == "not a zip":
        data = bytearray(b"\x00" * len(data))
    else:
        start = data.index(b"data.pkl") + 40  # the pickle's bytes, after its zip header
        data[start:start + 40] = b"\xff" * 40
    path.write_bytes(bytes(data))
    manifest = json.loads(path.with_suffix(".json").read_text())
    manifest.update(sha256=sha256_file(path), bytes=len(data))
    path.with_suffix(".json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError) as refused:
        load_agent(run_dir)
    message = str(refused.value)
    assert "\n" not in message and "weights_only" not in message and len(message) < 300
    assert message.startswith(f"checkpoint {path} ")


def test_checkpoint_of_another_architecture_is_refused(tmp_path):
    half_width = dataclasses.replace(CPU_EASY.ppo, impala_scale=CPU_EASY.ppo.impala_scale / 2)
    other = dataclasses.replace(CPU_EASY, ppo=half_width)
    path = create_run_dir(tmp_path / "run", resolve_precision(CPU_EASY))
    save_checkpoint(path / CHECKPOINT_DIR / "final.pt", {"policy": build_policy(other).state_dict()}, {})
    with pytest.raises(ValueError, match="does not match the architecture"):
        load_agent(path)


def test_bad_agent_path_names_what_is_allowed(tmp_path):
    with pytest.raises(ValueError, match="run directory"):
        load_agent(tmp_path / "nowhere")
