"""The shipped agents load by name, into a working copy, with the architecture their config names."""

import numpy as np
import pytest

from cheesemaze.agents.checkpoint import load_checkpoint, save_checkpoint
from cheesemaze.agents.loading import load_agent
from cheesemaze.agents.rundir import TRAINED_DIR, latest_checkpoint, resolve_agent_dir, shipped_agents
from cheesemaze.envs.native import NativeMazeVecEnv


def test_the_zoo_ships_seed_0_of_r5_and_of_the_control_and_nothing_unseeded():
    names = shipped_agents()
    assert {"r5/s0", "control/s0"} <= set(names)
    assert all("/s" in name for name in names), names  # the old single agents are retired


@pytest.mark.parametrize("name, region", [("r5", 5), ("control", None)])
def test_shipped_agent_loads_by_name_into_a_working_copy(tmp_path, monkeypatch, name, region):
    monkeypatch.chdir(tmp_path)
    agent = load_agent(name)  # the condition's name means its seed 0
    assert agent.run_dir.resolve() == tmp_path / "runs" / name / "s0"
    assert (tmp_path / "runs" / name / "s0" / "config.json").is_file()
    assert (TRAINED_DIR / name / "s0" / "config.json").is_file()
    assert agent.config.seed == 0
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
    save_checkpoint(copy / "checkpoints" / "final.pt", tensors, meta)  # as `train --resume runs/r5/s0` would
    with pytest.raises(ValueError, match="is not the shipped agent 'r5/s0'"):
        resolve_agent_dir("r5", workspace=tmp_path)
    assert resolve_agent_dir(copy) == copy  # by its path, the run is still there to use



def test_a_condition_names_every_shipped_seed_as_a_group():
    from cheesemaze.agents.rundir import agent_group

    for condition in ("r5", "control"):
        group = agent_group(f"{condition}/*")
        assert group[0] == f"{condition}/s0"
        assert group == [n for n in shipped_agents() if n.startswith(condition + "/")]


def test_seeds_are_listed_by_number(tmp_path, monkeypatch):
    import shutil

    from cheesemaze.agents import rundir

    for seed in (10, 2, 0):
        shutil.copytree(TRAINED_DIR / "r5" / "s0", tmp_path / "r5" / f"s{seed}")
    monkeypatch.setattr(rundir, "TRAINED_DIR", tmp_path)
    assert rundir.agent_group("r5/*") == ["r5/s0", "r5/s2", "r5/s10"]
    assert rundir.shipped_name("r5") == "r5/s0"


def test_regions_are_listed_by_r_and_each_condition_keeps_its_seeds_together():
    from cheesemaze.agents.rundir import agent_order

    names = ["r10/s0", "control-env.traps=0.25/s0", "r2/s1", "control/s10", "r2/s0", "control/s2", "r5-env.traps=0.25/s0",
             "r5/s0", "r0/s0"]
    assert sorted(names, key=agent_order) == [
        "control/s2", "control/s10", "control-env.traps=0.25/s0", "r0/s0", "r2/s0", "r2/s1", "r5/s0",
        "r5-env.traps=0.25/s0", "r10/s0"]


def test_a_condition_shipped_as_one_agent_is_its_own_group(tmp_path, monkeypatch):
    import shutil

    from cheesemaze.agents import rundir

    shutil.copytree(TRAINED_DIR / "r5" / "s0", tmp_path / "r5")  # a single agent without seeds
    monkeypatch.setattr(rundir, "TRAINED_DIR", tmp_path)
    assert rundir.shipped_agents() == ["r5"] and rundir.shipped_name("r5") == "r5"
    assert rundir.agent_group("r5/*") == ["r5"]


def test_a_seeds_run_directory_is_named_with_its_condition():
    from cheesemaze.agents.rundir import agent_label

    assert agent_label("runs/r5/s0") == "r5/s0" and agent_label("runs/zoo/control/s12") == "control/s12"
    assert agent_label("runs/mine") == "mine" and agent_label("s0") == "s0"
