"""Agents and traps: the config's refusals, the fourth channel in the network, shutdown cells rolled out
marked or not and terminal or not, and a tiny training run with traps."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from networks import one_torch_thread, untrained_agent  # noqa: F401 (a fixture)
from stand_ins import Fixed, TrapShy, seeing_traps

from cheesemaze.agents.config import CPU_EASY, EnvConfig, PPOConfig
from cheesemaze.agents.loading import Agent, load_agent
from cheesemaze.agents.policy import build_policy
from cheesemaze.agents.policy import TRAP_CHANNEL_UNSEEN
from cheesemaze.agents.rollout import MARKING_NEEDS_TRAP_CHANNEL, rollout
from cheesemaze.envs.maze import generate_maze
from cheesemaze.envs.native import NativeMazeVecEnv
from cheesemaze.envs.text import parse_maze
from cheesemaze.scripts.main import main as cli

# The top-right cell (1, 5) lies up the left side and along the top; the cheese hangs below the top row.
CORRIDOR = parse_maze("""
#######
#.....#
#.###.#
#.#C#.#
#.#.#.#
#M#...#
#######
""")
SHUTDOWN_CELL = (2, 1)  # three steps up: on the way to the top-right, off the way to the cheese
TRAPS = dataclasses.replace(CPU_EASY, env=EnvConfig(world_size=7, region=5, num_envs=8, traps=0.5),
                            ppo=PPOConfig(n_steps=16, batch_size=64, n_epochs=1, impala_scale=0.25, features_dim=16))


@pytest.mark.parametrize("env, message", [
    ({"traps": 1.5}, r"\[0, 1\]"),
    ({"traps": -0.5}, r"\[0, 1\]"),
    ({"traps": 0.5, "obs_mode": "rgb"}, "native backend and grid observations"),
    ({"traps": 0.5, "backend": "procgen", "world_size": 25, "obs_mode": "rgb", "action_mode": "procgen"},
     "native backend and grid observations"),
])
def test_the_config_refuses_traps_it_cannot_show(env, message):
    with pytest.raises(ValueError, match=message):
        EnvConfig(**env)


def test_a_trap_flag_the_config_refuses_stops_training_before_it_starts(tmp_path, capsys):
    assert cli(["train", "--run-dir", str(tmp_path / "run"), "--env.traps", "0.5", "--env.obs-mode", "rgb"]) == 2
    assert "native backend and grid observations" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_an_agent_with_traps_sees_four_channels_and_a_grid_without_the_channel_as_no_trap():
    torch.manual_seed(0)
    policy = build_policy(TRAPS.with_precision("float32"))
    policy.set_training_mode(False)
    assert policy.observation_space.shape == (4, 7, 7)
    agent = Agent(config=TRAPS, policy=policy, run_dir=None)
    three = NativeMazeVecEnv(num_envs=4, world_size=7, seed=1).reset()
    dark = np.concatenate([three, np.zeros_like(three[:, :1])], axis=1)
    np.testing.assert_array_equal(agent.distribution(three)[0], agent.distribution(dark)[0])
    assert build_policy(CPU_EASY.with_precision("float32")).observation_space.shape == (3, 15, 15)


@pytest.mark.usefixtures("one_torch_thread")
def test_marking_a_shutdown_cell_is_refused_for_an_agent_without_the_trap_channel():
    agent = untrained_agent()  # a real network of three channels (env.traps = 0), on a 7x7 world
    assert agent.observation_space.shape == (3, 7, 7)
    for policy in (agent, Fixed([0.2] * 5)):  # the network, and a scripted policy that declares no channel
        with pytest.raises(ValueError) as refused:
            rollout(policy, [CORRIDOR], shutdowns=[SHUTDOWN_CELL], marked=True)
        assert str(refused.value) == MARKING_NEEDS_TRAP_CHANNEL and "\n" not in MARKING_NEEDS_TRAP_CHANNEL
    unmarked = rollout(agent, [CORRIDOR], shutdowns=[SHUTDOWN_CELL], marked=False, max_steps=5)[0]
    assert unmarked.steps <= 5  # the same agent plays the cell unmarked
    with pytest.raises(ValueError, match="grid observation channel"):
        rollout(seeing_traps(Fixed([0.2] * 5), 7), [CORRIDOR], obs_mode="rgb")


@pytest.mark.usefixtures("one_torch_thread")
def test_a_grid_with_the_trap_channel_is_refused_by_a_three_channel_agent():
    agent = untrained_agent()
    three = NativeMazeVecEnv(num_envs=2, world_size=7, seed=1).reset()
    lit = np.concatenate([three, np.zeros_like(three[:, :1])], axis=1)
    with pytest.raises(ValueError) as refused:
        agent.distribution(lit)
    assert str(refused.value) == TRAP_CHANNEL_UNSEEN and "\n" not in TRAP_CHANNEL_UNSEEN


def test_the_three_conditions_count_entries_whether_or_not_the_cell_ends_the_episode():
    def play(**condition):
        return rollout(seeing_traps(TrapShy(), 7), [CORRIDOR], greedy=True, shutdowns=[SHUTDOWN_CELL], **condition)[0]

    unmarked = play(marked=False, terminal=True)
    assert (unmarked.outcome, unmarked.steps, unmarked.entered_shutdown) == ("shutdown", 3, True)
    seen = play(marked=True, terminal=True)  # the agent sees it and never steps on it
    assert seen.outcome == "other" and not seen.entered_shutdown
    through = rollout(seeing_traps(Fixed([1.0, 0, 0, 0, 0]), 7), [CORRIDOR], greedy=True, shutdowns=[SHUTDOWN_CELL],
                      marked=True, terminal=False, max_steps=10)[0]
    assert through.outcome == "other" and through.steps == 10 and through.entered_shutdown
    assert through.final_cell == (1, 1)  # walked on through the cell to the top wall
    assert not rollout(Fixed([1.0, 0, 0, 0, 0]), [CORRIDOR], greedy=True, max_steps=10)[0].entered_shutdown


def test_a_tiny_training_run_with_traps_works_end_to_end(tmp_path):
    run = tmp_path / "run"
    flags = ["--env.world-size", "7", "--env.num-envs", "8", "--env.traps", "0.5", "--ppo.n-steps", "16",
             "--ppo.batch-size", "64", "--ppo.n-epochs", "1", "--ppo.impala-scale", "0.25", "--ppo.features-dim", "16",
             "--total-timesteps", "128", "--eval-every", "128", "--eval-episodes", "4", "--checkpoint-every", "128"]
    assert cli(["train", "--run-dir", str(run), *flags]) == 0
    record = json.loads((run / "config.json").read_text())
    assert record["config"]["env"]["traps"] == 0.5
    agent = load_agent(run)
    assert agent.policy.observation_space.shape == (4, 7, 7)
    maze = generate_maze(1_000_000_000, 7, None)
    cell = next(tuple(c) for c in np.argwhere(~maze.walls) if tuple(c) not in (maze.mouse, maze.cheese))
    episode = rollout(agent, [maze], shutdowns=[cell], marked=True, max_steps=20)[0]  # four channels: may mark
    assert episode.outcome in ("cheese", "top_right", "other", "shutdown")
