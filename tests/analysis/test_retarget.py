"""Retargeting: on a hand-built policy that walks to wherever its cheese channel peaks, rewriting that
channel moves it to the target and rewriting other channels does not; ``cheesemaze retarget`` end to
end on a group of untrained agents."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
import torch
from networks import SMALL, one_torch_thread, save_runs  # noqa: F401 (a fixture)
from stand_ins import BfsToCheese

from cheesemaze.agents.impala import ResidualAdd
from cheesemaze.analysis.retarget import RetargetConfig, channel_contrast, path_distance, random_targets, retarget_agent
from cheesemaze.envs.geometry import shortest_path
from cheesemaze.envs.maze import generate_maze
from cheesemaze.envs.render import CHEESE, MOUSE, WALL
from cheesemaze.scripts.main import main

pytestmark = pytest.mark.usefixtures("one_torch_thread")


class Relay(torch.nn.Module):
    """The observation's cheese, wall and mouse channels (in that order), passed on through a residual
    addition that a hook can rewrite."""

    def __init__(self) -> None:
        super().__init__()
        self.relay = ResidualAdd()

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        x = obs.float()[:, [CHEESE, WALL, MOUSE]]
        return self.relay(x, torch.zeros_like(x))


class RelayPolicy(torch.nn.Module):
    """What the analysis asks of a policy: a features extractor, its observation space and device."""

    def __init__(self, world: int) -> None:
        super().__init__()
        self.features_extractor = Relay()
        self.observation_space = gym.spaces.Box(0, 1, (3, world, world), np.uint8)
        self.device = torch.device("cpu")

    def extract_features(self, obs: torch.Tensor) -> torch.Tensor:
        return self.features_extractor(obs)


class GoalSeeker:
    """Walks the shortest path to the cell where the relay's cheese channel is largest: its only idea
    of where the cheese is comes from that channel."""

    def __init__(self) -> None:
        self.config = SMALL
        self.policy = RelayPolicy(SMALL.env.world_size)

    @torch.no_grad()
    def distribution(self, obs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        goal = self.policy.extract_features(torch.as_tensor(obs))[:, 0].numpy()
        seen = obs.copy()
        seen[:, CHEESE] = 0
        peak = goal.reshape(len(obs), -1).argmax(axis=1)
        seen[np.arange(len(obs)), CHEESE, peak // goal.shape[-1], peak % goal.shape[-1]] = 1
        return BfsToCheese().distribution(seen)


def test_rewriting_the_known_cheese_channel_sends_the_mouse_to_the_target():
    config = RetargetConfig(layer="relay", channels=1, gain=(1.0,), n=60, n_rank=40)
    result = retarget_agent(GoalSeeker(), config, SMALL.test_levels[0])
    assert result.channels.loc[result.channels["edited"], "channel"].tolist() == [0]
    summary = result.summary.set_index("kind")
    assert summary.loc["none", "p_target"] < 0.5 and summary.loc["none", "p_cheese"] == 1.0
    # it walks to the target on every maze where the cheese does not lie on the way (and ends the episode)
    rows = result.rows[result.rows["kind"] == "cheese_channels"]
    mazes = [generate_maze(int(level), SMALL.env.world_size, None) for level in rows["level_seed"]]
    clear = [m.cheese not in shortest_path(m.walls, m.mouse, (r, c)) for m, r, c in
             zip(mazes, rows["target_r"], rows["target_c"])]
    assert rows["reached_target"].tolist() == clear and sum(clear) > len(clear) / 2
    assert summary.loc["cheese_channels", "effect_low"] > 0.1
    # the wall and mouse channels are not what the policy reads: rewriting them changes nothing
    assert summary.loc["random_channels", "p_target"] == summary.loc["none", "p_target"]
    before, after, target, gain = result.example
    assert gain == 1.0 and before.maze == after.maze and np.isnan(before.probs[target]).any() == False  # noqa: E712


def test_targets_contrast_and_distances_are_what_they_say():
    mazes = [generate_maze(s, 15, None) for s in range(30)]
    targets = random_targets(mazes, seed=0)
    assert all(tuple(t) not in (m.mouse, m.cheese) and not m.walls[tuple(t)] for m, t in zip(mazes, targets))
    assert np.array_equal(targets, random_targets(mazes, seed=0))
    assert path_distance(mazes[0], mazes[0].top_right) == 0 and path_distance(mazes[0], mazes[0].mouse) == 0
    acts = np.zeros((2, 1, 3, 3))
    acts[:, 0] = [[[5, 1, 1], [1, 1, 1], [1, 1, 1]], [[1, 1, 1], [1, 7, 1], [1, 1, 1]]]
    maps = np.zeros((2, 3, 3))
    maps[0, 0, 0] = maps[1, 1, 1] = 1
    at, away = channel_contrast(acts, maps)
    assert (at[0], away[0]) == (6.0, 1.0)


def test_retarget_writes_rates_for_a_group_and_refuses_too_many_channels(tmp_path):
    runs = save_runs(tmp_path / "runs")
    out = tmp_path / "retarget"
    args = ["retarget", f"{runs}/*", "--n", "8", "--n-rank", "20", "--channels", "2", "--gain", "1"]
    assert main([*args, "--out", str(out)]) == 0
    per_agent = pd.read_csv(out / "conditions.csv")
    assert len(per_agent) == 2 * 3 and set(per_agent["kind"]) == {"none", "cheese_channels", "random_channels"}
    assert set(pd.read_csv(out / "across_seeds.csv")["seeds"]) == {2}
    assert {"retarget.png", "vector_field.png"} <= {p.name for p in (out / "figures").iterdir()}
    # the plain words give the cheese channels' change minus the random channels', seed by seed, then the mean
    effect = per_agent.set_index(["kind", "seed"])["effect"]
    diff = (effect["cheese_channels"] - effect["random_channels"]).mean()
    words = (out / "report.md").read_text().split("## In plain words")[1].split("\n## ")[0]
    assert f"cheese minus random {diff:+.3f} (95% " in words and "(2 seeds)" in words
    seconds = json.loads((out / "summary.json").read_text())["seconds"]
    assert len(seconds) == 2 and all(v > 0 for v in seconds.values())
    assert main(["retarget", str(runs / "s0"), "--channels", "99", "--out", str(tmp_path / "x")]) == 2
    assert not (tmp_path / "x").exists()
