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


def conditions_table(effects: dict[tuple[str, str], list[float]], unedited: float = 0.2) -> pd.DataFrame:
    """A per-agent conditions table at gain 3: the change in P(target) of each (group, kind) for seeds
    0, 1, 2, and the unedited agents' P(target)."""
    rows = []
    for group in dict.fromkeys(g for g, _ in effects):
        for seed in range(3):
            for kind in ("none", "cheese_channels", "random_channels"):
                effect = 0.0 if kind == "none" else effects[group, kind][seed]
                rows.append({"group": group, "agent": f"{group}/s{seed}", "seed": seed, "kind": kind,
                             "gain": 0.0 if kind == "none" else 3.0, "p_target": unedited + effect,
                             "p_target_low": unedited + effect - 0.03, "p_target_high": unedited + effect + 0.03,
                             "p_cheese": 0.9, "p_cheese_low": 0.87, "p_cheese_high": 0.93, "effect": effect,
                             "effect_low": effect - 0.01, "effect_high": effect + 0.01})
    return pd.DataFrame(rows)


def test_the_plain_words_give_the_method_the_groups_difference_and_the_size_against_the_unedited_rate():
    from cheesemaze.analysis.probes import PUBLISHED_CHEESE_CHANNELS
    from cheesemaze.analysis.retarget_report import CONDITION, MEASURES, plain_words
    from cheesemaze.analysis.seeds import across_seeds
    from cheesemaze.analysis.stats import welch_interval

    effects = {("r5", "cheese_channels"): [0.010, 0.012, 0.018], ("r5", "random_channels"): [0.008, -0.006, -0.004],
               ("control", "cheese_channels"): [0.016, 0.018, 0.006],
               ("control", "random_channels"): [0.002, -0.002, -0.006]}
    per_agent = conditions_table(effects)
    across = across_seeds(per_agent, CONDITION, MEASURES)
    config = RetargetConfig(channels=4, gain=(1.0, 3.0))
    words = "\n".join(plain_words(config, per_agent, across))
    # the method: the target, success, and how few channels at which gains, beside the published edit
    assert "a free cell drawn at random" in words and "P(target) is the share of mazes" in words
    assert f"Only 4 channels at {config.layer}" in words and "at gain 1 and 3" in words
    assert f"Turner et al. edited {len(PUBLISHED_CHEESE_CHANNELS)} cheese channels" in words
    # r5 minus control: the difference of the cheese-minus-random changes, Welch over seeds
    diff = [np.subtract(effects[g, "cheese_channels"], effects[g, "random_channels"]) for g in ("r5", "control")]
    d, low, high = welch_interval(*diff)
    assert low < 0 < high
    assert (f"**r5 minus control**, gain 3: cheese minus random {d:+.3f} (95% {low:+.3f} to {high:+.3f}, Welch t over "
            "seeds): the interval includes 0: the data cannot tell r5 and control apart") in words
    # the size against the unedited rate, ours beside theirs
    r5 = np.mean(effects["r5", "cheese_channels"])
    assert f"cheese channels {r5:+.3f}" in words and f"(unedited P(target) 0.200: the change is {r5 / 0.2:+.0%} of it)" in words
    top = max(np.mean(effects[g, "cheese_channels"]) for g in ("r5", "control"))
    assert f"Ours beside theirs: our largest change from editing the cheese channels is {top:+.3f}" in words
    assert f"{top / 0.2:+.0%} of it" in words and "Theirs (Turner et al." in words
    assert "while the edited mouse still reaches the cheese in 0.900 of the mazes" in words  # from the table
    # per group (the table has gain 3 only): cheese, random and their difference; then r5 minus control: 2 x 3 + 1
    assert "These are 7 95% intervals, none corrected for the others" in words


def test_a_difference_between_groups_that_excludes_0_is_said_to_and_one_seed_falls_back_to_the_agents_intervals():
    from cheesemaze.analysis.retarget_report import edit_difference

    apart = conditions_table({("r5", "cheese_channels"): [0.30, 0.32, 0.31], ("r5", "random_channels"): [0.0, 0.01, 0.0],
                              ("control", "cheese_channels"): [0.01, 0.02, 0.0],
                              ("control", "random_channels"): [0.0, 0.01, 0.0]})
    diff, low, high, method = edit_difference(apart, "r5", "control", 3.0)
    assert low > 0 and diff == pytest.approx(0.30) and method == "Welch t over seeds"
    one = apart[apart["seed"] == 0]
    diff, low, high, method = edit_difference(one, "r5", "control", 3.0)
    # each group's cheese-minus-random has half-width hypot(0.01, 0.01); the two combine likewise
    assert diff == pytest.approx(0.30 - 0.01) and high - diff == pytest.approx(0.02) and "one seed" in method
