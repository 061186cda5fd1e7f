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
    cell_maps, channel_ranking, cheese_channels, layer_probes, pool_half, probe_mazes, probe_observations, target_cells,
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
