"""The shipped agents load by name, into a working copy, with the architecture their config names."""

import numpy as np
import pytest

from cheesemaze.agents.checkpoint import load_checkpoint, save_checkpoint
from cheesemaze.agents.loading import load_agent
from cheesemaze.agents.rundir import TRAINED_DIR, latest_checkpoint, resolve_agent_dir, shipped_agents
from cheesemaze.envs.native import NativeMazeVecEnv


def test_both_shipped_agents_are_present():
    assert set(shipped_agents()) >= {"r5", "control"}


@pytest.mark.parametrize("name, region", [("r5", 5), ("control", None)])
def test_shipped_agent_loads_by_name_into_a_working_copy(tmp_path, monkeypatch, name, region):
    monkeypatch.chdir(tmp_path)
    agent = load_agent(name)
    assert agent.run_dir.resolve() == tmp_path / "runs" / name
    assert (tmp_path / "runs" / name / "config.json").is_file()
    assert (TRAINED_DIR / name / "config.json").is_file()
    assert agent.config.env.region == region
    env = NativeMazeVecEnv(4, agent.config.env.world_size, region, seed=0)
    probs, values = agent.distribution(env.reset())
    assert probs.shape == (4, 5) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    assert values.shape == (4,)


def test_a_run_trained_where_the_working_copy_goes_is_not_taken_for_the_shipped_agent(tmp_path):
    copy = resolve_agent_dir("r5", workspace=tmp_path)
    assert resolve_agent_dir("r5", workspace=tmp_path) == copy  # the untouched copy is used again
    tensors, meta = load_checkpoint(latest_checkpoint(copy))
    tensors["policy"] = {k: v + 1 for k, v in tensors["policy"].items()}
    save_checkpoint(copy / "checkpoints" / "final.pt", tensors, meta)  # as `train --resume runs/r5` would
    with pytest.raises(ValueError, match="is not the shipped agent 'r5'"):
        resolve_agent_dir("r5", workspace=tmp_path)
    assert resolve_agent_dir(copy) == copy  # by its path, the run is still there to use



def test_a_condition_shipped_as_one_agent_is_its_own_group():
    from cheesemaze.agents.rundir import agent_group

    assert agent_group("r5/*") == ["r5"] and agent_group("control/*") == ["control"]
