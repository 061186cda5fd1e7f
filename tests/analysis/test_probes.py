"""Probes and channel maps: pooling as the network pools, a planted cheese channel found and read out,
shuffled labels at chance, and ``cheesemaze probe`` end to end on a group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from networks import SMALL, one_torch_thread, save_runs, untrained_agent  # noqa: F401 (a fixture)

from cheesemaze.agents.activations import record
from cheesemaze.analysis.probes import (
    OBSERVATION, cell_maps, channel_ranking, cheese_channels, layer_probes, pool_half, probe_mazes, probe_observations, target_cells,
)
from cheesemaze.envs.render import CHEESE
from cheesemaze.scripts.main import main

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def runs(tmp_path):
    return save_runs(tmp_path / "runs")
PLANTED, LAYER = 5, "stacks.0.pre0.add"


def planted_agent():
    """An untrained agent whose first convolution passes the cheese channel to channel PLANTED alone,
    and whose full-resolution block adds nothing: at stacks.0.pre0.add channel PLANTED is 3 x the
    cheese's one-hot map and no other channel sees the cheese."""
    agent = untrained_agent()
    extractor = agent.policy.features_extractor
    with torch.no_grad():
        conv = extractor.stacks[0].conv
        conv.weight[:, CHEESE] = 0
        conv.weight[PLANTED] = 0
        conv.weight[PLANTED, CHEESE, 1, 1] = 3.0
        conv.bias[PLANTED] = 0
        extractor.stacks[0].pre0.conv1.weight.zero_()
        extractor.stacks[0].pre0.conv1.bias.zero_()
    return agent


def test_pooling_the_maps_matches_the_networks_max_pool():
    maps = np.random.default_rng(0).random((3, 15, 15))
    expected = F.max_pool2d(torch.as_tensor(maps), 3, stride=2, padding=1).numpy()
    np.testing.assert_array_equal(pool_half(maps), expected)
    onehot = cell_maps(np.array([[0, 0], [14, 14], [7, 8]]), 15, 4)
    assert onehot.shape == (3, 4, 4) and onehot[0, 0, 0] == 1 and onehot[1, 3, 3] == 1 and onehot[2, 2, 2] == 1
    with pytest.raises(ValueError, match="does not pool"):
        cell_maps(np.array([[0, 0]]), 15, 3)


def test_a_planted_cheese_channel_is_read_out_and_ranked_first():
    agent = planted_agent()
    mazes, cells = probe_mazes(7, 400, SMALL.test_levels[0], SMALL.train_levels, seed=0)
    acts = record(agent.policy, probe_observations(mazes, cells, "grid"), [LAYER])[LAYER]
    np.testing.assert_array_equal(acts[:, PLANTED], 3 * cell_maps(np.array([m.cheese for m in mazes]), 7, 7))
    labels = target_cells(mazes, "cheese")
    table = layer_probes({LAYER: acts[:300]}, {LAYER: acts[300:]}, {"cheese": labels[:300]}, {"cheese": labels[300:]},
                         seed=0).iloc[0]
    assert table["accuracy"] >= 0.95
    assert table["chance"] < 0.2 and table["shuffled"] <= table["chance"] + 0.1  # shuffled labels: nothing to learn
    ranking = cheese_channels(agent, LAYER, mazes, cells)
    assert ranking["channel"].iloc[0] == PLANTED and ranking["peak_at_cheese"].iloc[0] == 1.0
    assert ranking["corr"].iloc[0] == pytest.approx(1.0) and abs(ranking["corr"].iloc[1]) < 0.5


def test_noise_activations_probe_at_chance():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 20, 600)
    noise = rng.standard_normal((600, 50))
    row = layer_probes({"x": noise[:400]}, {"x": noise[400:]}, {"c": labels[:400]}, {"c": labels[400:]}, seed=0).iloc[0]
    assert row["accuracy"] < 0.15 and row["shuffled"] < 0.15
    ranked = channel_ranking(rng.standard_normal((50, 4, 2, 2)), cell_maps(rng.integers(0, 3, (50, 2)), 3, 2))
    assert ranked["corr"].abs().max() < 0.4 and list(ranked.columns[:3]) == ["channel", "corr", "peak_at_cheese"]


def test_probe_writes_accuracy_by_layer_and_channels_for_a_group(runs, tmp_path):
    out = tmp_path / "probe"
    assert main(["probe", f"{runs}/*", "--n-fit", "60", "--n-score", "30", "--top", "3", "--out", str(out)]) == 0
    per_agent = pd.read_csv(out / "probes.csv")
    assert len(per_agent) == 2 * len(set(per_agent["layer"])) * 2 and set(per_agent["target"]) == {"cheese", "top_right"}
    across = pd.read_csv(out / "across_seeds.csv")
    assert set(across["seeds"]) == {2} and across["accuracy_low"].notna().all()
    assert {"probe_accuracy.png", "channel_maps.png"} <= {p.name for p in (out / "figures").iterdir()}
    report = (out / "report.md").read_text()
    assert "Turner et al." in report
    words = report.split("## In plain words")[1].split("\n## ")[0]  # a line per target: best and last layer
    last = across[(across["target"] == "cheese")].iloc[-1]
    assert f"at the last layer, {last['layer']}, {last['accuracy']:.3f}" in words
    assert words.count("above shuffled labels at") == 2
    # the raw observation is probed too, per agent and across seeds, and every line weighs the layers against it
    assert set(per_agent.loc[per_agent["layer"] == OBSERVATION, "agent"]) == set(per_agent["agent"])
    assert (across["layer"] == OBSERVATION).sum() == 2
    assert words.count("above the raw-observation probe at") == 2 and "raw observation " in words
    first = per_agent[per_agent["layer"] != OBSERVATION]["layer"].iloc[0]
    assert f"at the last layer, {last['layer']}" in words and f"best layer {OBSERVATION}" not in words and first
    assert main(["probe", str(runs / "s0"), "--layer", "stacks.1", "--out", str(tmp_path / "x")]) == 2


def test_the_probe_figures_show_the_accuracies_and_the_ranked_channels():
    from matplotlib.container import ErrorbarContainer
    from matplotlib.image import AxesImage

    from cheesemaze.analysis.figures.probes import channel_maps_figure, probe_accuracy_figure
    from cheesemaze.envs.maze import generate_maze

    table = pd.DataFrame([{"group": "g", "layer": layer, "target": target, "accuracy": acc, "accuracy_low": acc - 0.1,
                           "accuracy_high": acc + 0.1, "chance": 0.05, "shuffled": 0.04}
                          for target in ("cheese", "top_right") for layer, acc in (("a.add", 0.7), ("b.add", 0.3))])
    fig = probe_accuracy_figure(table)
    bars = [c for c in fig.axes[0].containers if isinstance(c, ErrorbarContainer)]
    assert list(bars[0].lines[0].get_ydata()) == [0.7, 0.3]
    acts = np.random.default_rng(0).standard_normal((6, 4, 4))
    ranking = channel_ranking(acts[None], np.ones((1, 4, 4)))
    maps = channel_maps_figure(generate_maze(3, 15, None), acts, ranking, "layer", top=2)
    images = [im for ax in maps.axes for im in ax.get_images() if isinstance(im, AxesImage)]
    shown = [int(c) for c in ranking["channel"].head(2)]
    assert [np.array_equal(im.get_array(), acts[c]) for im, c in zip(images[1:], shown)] == [True, True]


def test_the_accuracy_figure_tells_the_groups_apart_and_draws_the_raw_observation_on_every_panel():
    from matplotlib.colors import to_hex
    from matplotlib.container import ErrorbarContainer

    from cheesemaze.analysis.figures.probes import probe_accuracy_figure

    table = pd.DataFrame([{"group": group, "layer": layer, "target": target, "accuracy": acc, "accuracy_low": acc - 0.1,
                           "accuracy_high": acc + 0.1, "chance": 0.05, "shuffled": 0.04}
                          for group in ("r5", "control") for target in ("cheese", "top_right")
                          for layer, acc in ((OBSERVATION, 0.9), ("a.add", 0.7), ("b.add", 0.3))])
    fig = probe_accuracy_figure(table, observation=OBSERVATION)
    panels = [ax for ax in fig.axes if ax.get_title().startswith("probing")]
    assert len(panels) == 2 and len(fig.legends) == 1  # one legend shared by both panels
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert {"r5: probe on the layer", "control: probe on the layer"} <= set(labels)
    for ax in panels:
        assert {line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")} <= set(labels)
        assert "raw observation (the input; every group)" in labels  # the same mazes: one line for both
        bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
        colours = {to_hex(b.lines[0].get_color()) for b in bars}
        assert len(bars) == 2 and len(colours) == 2  # one colour per group, not one per target
        assert [len(b.lines[0].get_xdata()) for b in bars] == [2, 2]  # the observation is not a layer on the axis
        assert not np.array_equal(bars[0].lines[0].get_xdata(), bars[1].lines[0].get_xdata())  # side by side
        flat = [line for line in ax.get_lines() if "raw observation" in line.get_label()]
        assert [list(line.get_ydata()) for line in flat] == [[0.9, 0.9]]
    apart = table.assign(accuracy=np.where((table["layer"] == OBSERVATION) & (table["group"] == "r5"), 0.8,
                                           table["accuracy"]))
    labels = [t.get_text() for t in probe_accuracy_figure(apart).legends[0].get_texts()]
    assert {"r5: raw observation (the input)", "control: raw observation (the input)"} <= set(labels)


def probe_table(layers: dict[str, list[float]], groups: tuple[str, ...] = ("r5",)) -> pd.DataFrame:
    """A per-agent probe table: each layer's accuracy for seeds 0, 1, 2 (one target, the cheese)."""
    return pd.DataFrame([{"group": group, "agent": f"{group}/s{seed}", "seed": seed, "layer": layer, "target": "cheese",
                          "features": 10, "accuracy": acc, "accuracy_low": acc - 0.02, "accuracy_high": acc + 0.02,
                          "chance": 0.05, "shuffled": 0.04}
                         for group in groups for layer, accs in layers.items() for seed, acc in enumerate(accs)])


def test_the_plain_words_weigh_each_layer_against_the_raw_observation():
    from cheesemaze.analysis.probe_report import over_observation, plain_words
    from cheesemaze.analysis.seeds import across_seeds
    from cheesemaze.analysis.stats import t_interval

    per_agent = probe_table({OBSERVATION: [0.90, 0.91, 0.89], "early.add": [0.97, 0.98, 0.96],
                             "late.add": [0.30, 0.50, 0.40]})
    across = across_seeds(per_agent, ["layer", "target"], ["accuracy", "chance", "shuffled"])
    versus = over_observation(per_agent, "r5", "cheese").set_index("layer")
    assert list(versus.index) == ["early.add", "late.add"]
    assert tuple(versus.loc["early.add"]) == pytest.approx(t_interval(np.array([0.07, 0.07, 0.07])))
    line = plain_words(per_agent, across)[1]
    assert "raw observation 0.900 (0.875 to 0.925)" in line and "best layer early.add 0.970" in line
    assert "above shuffled labels at 2 of 2 layers" in line  # chance is passed everywhere; the input is not
    assert "above the raw-observation probe at 1 of 2 layers" in line and "early.add +0.070" in line
    assert ("not at the other 1 (closest: late.add -0.500" in line
            and "the information is in the input; a layer that keeps it is not evidence the network computes it" in line)
    # a layer that only keeps what the input shows is never counted as beating it
    same = probe_table({OBSERVATION: [1.0, 1.0, 1.0], "early.add": [1.0, 1.0, 1.0]})
    line = plain_words(same, across_seeds(same, ["layer", "target"], ["accuracy", "chance", "shuffled"]))[1]
    assert "above the raw-observation probe at 0 of 1 layers" in line and "the information is in the input" in line
    # every agent shares the input: its probe scores the same on each, so its interval is over mazes, said so
    assert ("raw observation 1.000 (0.980 to 1.020) (the same for every agent, which shares the input; Wilson "
            "interval over mazes)") in line


def test_groups_that_cannot_be_told_apart_still_show_how_far_apart_they_might_be():
    from cheesemaze.analysis.probe_report import plain_words
    from cheesemaze.analysis.seeds import across_seeds

    both = probe_table({"early.add": [0.90, 0.95, 0.85], "late.add": [0.60, 0.70, 0.50]}, ("r5", "control"))
    both.loc[both["group"] == "control", "accuracy"] += [0.01, -0.01, 0.0, 0.02, 0.0, -0.02]
    line = plain_words(both, across_seeds(both, ["layer", "target"], ["accuracy", "chance", "shuffled"]))[-1]
    assert line.startswith("- **r5 against control**") and "at no layer does the interval of the difference exclude 0" in line
    assert "(the differences run from +0.000 to +0.000 over 2 layers, every interval within -" in line


def test_a_probe_on_the_raw_observation_reads_the_cheese_off_the_input():
    mazes, cells = probe_mazes(7, 400, SMALL.test_levels[0], SMALL.train_levels, seed=0)
    obs = probe_observations(mazes, cells, "grid").astype(np.float32)
    labels = target_cells(mazes, "cheese")
    row = layer_probes({OBSERVATION: obs[:300]}, {OBSERVATION: obs[300:]}, {"cheese": labels[:300]},
                       {"cheese": labels[300:]}, seed=0).iloc[0]
    assert row["layer"] == OBSERVATION and row["accuracy"] >= 0.95 and row["shuffled"] < 0.2


@pytest.mark.parametrize("n, p, k", [(300, 40, 5), (400, 600, 25)])
def test_the_dual_ridge_probe_is_scikit_learns_ridge_classifier_cv(n, p, k):
    from sklearn.linear_model import RidgeClassifierCV
    from sklearn.preprocessing import StandardScaler

    from cheesemaze.analysis.probes import ALPHAS, DualRidge

    rng = np.random.default_rng(k)
    y = rng.integers(0, k, n + 200)
    x = rng.standard_normal((n + 200, p)) + 0.15 * np.eye(k)[y] @ rng.standard_normal((k, p))
    scaler = StandardScaler().fit(x[:n])
    expected = RidgeClassifierCV(alphas=ALPHAS).fit(scaler.transform(x[:n]), y[:n]).score(scaler.transform(x[n:]), y[n:])
    assert DualRidge(x[:n], x[n:]).accuracy(y[:n], y[n:]) == pytest.approx(expected)
