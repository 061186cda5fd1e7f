"""Figures render headless and show the data they are given."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.image import AxesImage
from matplotlib.quiver import Quiver
from stand_ins import BfsToCheese

from cheesemaze.analysis.behaviour import behaviour_statistics
from cheesemaze.analysis.cell_maps import cell_map
from cheesemaze.analysis.evaluation import maze_columns
from cheesemaze.analysis.figures.canvas import save_figure
from cheesemaze.analysis.figures.cheese_rate import (
    MIN_PER_CELL,
    binned_rate,
    binned_rate_figure,
    location_grid,
    location_heatmap_figure,
)
from cheesemaze.analysis.figures.outcomes import outcome_rates_figure, outcome_table
from cheesemaze.analysis.figures.policy_maps import actor_critic_figure, trajectories_figure
from cheesemaze.analysis.figures.regression import regression_figure
from cheesemaze.analysis.figures.training import read_progress, training_curves_figure, training_cut
from cheesemaze.agents.config import EnvConfig
from cheesemaze.agents.rollout import rollout
from cheesemaze.envs.maze import generate_maze, region_text
from cheesemaze.envs.text import parse_maze

FORK = """
#######
#.....#
#.#####
#.....#
#.###.#
#M#C..#
#######
"""


@pytest.fixture(scope="module")
def episodes() -> pd.DataFrame:
    """Rows of real mazes, both distributions and policies, with outcomes planted by the cheese's distance."""
    frames = []
    for distribution, region in (("train", 5), ("anywhere", None)):
        mazes = [generate_maze(seed, 15, region) for seed in range(3000, 3600)]
        base = pd.DataFrame([maze_columns(m) for m in mazes]).assign(distribution=distribution, region=region_text(region))
        for policy, shift in (("sampled", 0.0), ("greedy", -0.5)):
            p = 1 / (1 + np.exp(base["d_euclid_cheese_tr"] - 5 + shift))
            draw = np.random.default_rng(len(frames)).random(len(base))
            outcome = np.where(draw < p, "cheese", np.where(draw < p + 0.9 * (1 - p), "top_right", "other"))
            frames.append(base.assign(policy=policy, outcome=outcome))
    return pd.concat(frames, ignore_index=True)


def test_outcome_bars_show_the_rates(episodes):
    fig = outcome_rates_figure(episodes, "title")
    table = outcome_table(episodes)
    for ax, subset in zip(fig.axes, ("all", "with decision square")):
        bars = [c for c in ax.containers if isinstance(c, BarContainer)]
        assert len(bars) == 3  # cheese, top_right, other; no shutdown in this table
        heights = sorted(round(p.get_height(), 9) for c in bars for p in c.patches)
        expected = sorted(round(r, 9) for r in table.loc[table["subset"] == subset, "rate"])
        assert heights == expected
        assert ax.get_ylabel() == "fraction of episodes"
        assert [t.get_text() for t in ax.get_xticklabels()][0].startswith("train\nsampled")
    assert [t.get_text() for t in fig.axes[1].get_legend().get_texts()][0] == "cheese"


def test_binned_rate_on_an_integer_feature_has_one_bin_per_value():
    rows = pd.DataFrame({"f": [1] * 10 + [2] * 10 + [3] * 2, "outcome": ["cheese"] * 7 + ["other"] * 3
                         + ["cheese"] * 2 + ["other"] * 8 + ["cheese"] * 2})
    table = binned_rate(rows, "f", min_count=5)
    assert table["centre"].tolist() == [1.0, 2.0]  # the value 3 has too few episodes
    assert table["rate"].tolist() == [0.7, 0.2] and table["n"].tolist() == [10, 10]
    assert (table["low"] < table["rate"]).all() and (table["rate"] < table["high"]).all()


def test_binned_figure_plots_the_binned_rates(episodes):
    rows = episodes[(episodes["distribution"] == "anywhere") & (episodes["policy"] == "sampled") & episodes["has_dsq"]]
    fig = binned_rate_figure(rows)
    main_axes = [ax for ax in fig.axes if ax.get_ylabel() == "P(cheese)"]
    assert len(main_axes) == 2
    for ax, feature in zip(main_axes, ("d_euclid_cheese_tr", "d_step_dsq_cheese")):
        (bars,) = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
        x, y = bars.lines[0].get_data()
        expected = binned_rate(rows, feature)
        assert np.allclose(x, expected["centre"]) and np.allclose(y, expected["rate"])
        assert ax.get_xlabel().startswith("d_")


def test_location_grid_counts_and_aligns_on_the_top_right():
    maze = generate_maze(3, 15, 5)
    row = maze_columns(maze) | {"outcome": "cheese"}
    rows = pd.DataFrame([row, row, row, row | {"outcome": "other"}])
    rate, counts = location_grid(rows, "world")
    assert counts[maze.cheese] == 4 and counts.sum() == 4 and rate[maze.cheese] == 0.75
    rate, _ = location_grid(rows, "top_right")
    r, c = maze.cheese[0] - maze.top_right[0], 14 - (maze.top_right[1] - maze.cheese[1])
    assert rate[r, c] == 0.75 and np.isfinite(rate).sum() == 1
    with pytest.raises(ValueError, match="align"):
        location_grid(rows, "centre")


def test_location_heatmap_shows_the_grid(episodes):
    rows = episodes[(episodes["distribution"] == "anywhere") & (episodes["policy"] == "sampled") & episodes["has_dsq"]]
    fig = location_heatmap_figure(rows)
    images = [im for ax in fig.axes for im in ax.get_images() if isinstance(im, AxesImage)]
    assert len(images) == 2
    expected, counts = location_grid(rows, "world", min_count=MIN_PER_CELL)
    shown = images[0].get_array()
    assert np.array_equal(np.ma.getmaskarray(shown), ~np.isfinite(expected))
    assert np.allclose(shown.compressed(), expected[np.isfinite(expected)])
    # every coloured cell says how many episodes it rests on
    labels = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in fig.axes[0].texts}
    assert labels == {(r, c): str(int(counts[r, c])) for r, c in zip(*np.nonzero(np.isfinite(expected)))}


def test_regression_figure_labels_every_feature(episodes):
    stats = behaviour_statistics(episodes, n_splits=4, n_boot=10)
    fig = regression_figure(stats)
    single_ax, coef_ax = fig.axes[:2]
    assert [t.get_text() for t in single_ax.get_yticklabels()] == stats.single["label"].tolist()[::-1]
    assert [t.get_text() for t in coef_ax.get_yticklabels()] == stats.multiple.coefficients["label"].tolist()[::-1]
    assert "published" in " ".join(t.get_text() for t in single_ax.get_legend().get_texts())
    assert single_ax.get_xlabel().startswith("held-out accuracy")
    # no bars from a cut axis: stems from the majority baseline to each accuracy
    assert not [c for c in single_ax.containers if isinstance(c, BarContainer)]
    baseline = stats.single["baseline"].iloc[0]
    (stems,) = [c for c in single_ax.collections if np.allclose([s[0][0] for s in c.get_segments()], baseline)]
    assert sorted(s[1][0] for s in stems.get_segments()) == sorted(stats.single["accuracy"])


def test_actor_critic_figure_draws_an_arrow_per_likely_move_and_the_value_map():
    maze = parse_maze(FORK)
    cmap = cell_map(BfsToCheese(), maze)
    fig = actor_critic_figure(cmap)
    left, right = fig.axes[:2]
    (quiver,) = [c for c in left.collections if isinstance(c, Quiver)]
    # BfsToCheese puts probability 1 on one move in each open cell but the cheese.
    assert quiver.N == (~maze.walls).sum() - 1
    heat = [im for im in right.get_images() if im.colorbar is not None]
    assert np.allclose(heat[0].get_array().compressed(), cmap.values[np.isfinite(cmap.values)])
    assert left.get_xlabel() == "column" and "actor" in left.get_title() and "critic" in right.get_title()


def test_trajectories_figure_draws_each_episode(tmp_path):
    mazes = [generate_maze(7, 15, None)] * 5
    played = rollout(BfsToCheese(), mazes, greedy=True)
    fig = trajectories_figure(mazes[0], [e.path for e in played], [e.outcome for e in played])
    ax = fig.axes[0]
    paths = [line for line in ax.get_lines() if len(line.get_xdata()) > 1]
    assert len(paths) == 5
    assert "cheese: 5 episodes" in [t.get_text() for t in ax.get_legend().get_texts()]
    # the maze, not blank canvas, fills the figure: it once took a quarter, the legend squeezing it
    fig.canvas.draw()
    box = ax.get_window_extent()
    assert box.height / fig.bbox.height > 0.8 and box.width * box.height / (fig.bbox.width * fig.bbox.height) > 0.45
    png, pdf = save_figure(fig, tmp_path / "traj")
    assert png.read_bytes()[:4] == b"\x89PNG" and pdf.read_bytes()[:4] == b"%PDF"


def test_training_curves_read_resumed_logs_and_skip_missing_series(tmp_path):
    steps = np.arange(1, 11) * 1000
    first = pd.DataFrame({"time/total_timesteps": steps[:6], "time/wall_seconds": steps[:6] / 100,
                          "rollout/ep_rew_mean": np.linspace(0, 5, 6), "eval/train_cheese": [np.nan, 0.2] * 3})
    first.to_csv(tmp_path / "progress.csv", index=False)
    first.iloc[:0].assign(**{c: [] for c in first}).to_csv(tmp_path / "progress.2.csv", index=False)
    second = first.assign(**{"time/total_timesteps": steps[6:10].tolist() + [0, 0],
                             "time/wall_seconds": (steps[6:10] / 100).tolist() + [0, 0]}).head(4)
    second.to_csv(tmp_path / "progress.1.csv", index=False)
    log = read_progress(tmp_path)
    assert log["time/total_timesteps"].tolist() == sorted(steps.tolist())
    fig = training_curves_figure(log)
    reward_ax, cheese_ax = fig.axes[:2]
    assert len(cheese_ax.get_lines()) == 1  # only eval/train_cheese exists
    assert [t.get_text() for t in cheese_ax.get_legend().get_texts()] == ["held-out, training distribution"]
    assert any(getattr(child, "get_xlabel", lambda: "")() == "wall time (minutes)" for child in cheese_ax.child_axes)
    # a log of this project's training (it has the wall clock) without the rate: too few episodes
    # have ended for the reward to mean anything, so it is not drawn
    assert not reward_ax.get_lines()
    assert [t.get_text() for t in reward_ax.texts] == ["too few episodes ended yet"]


def test_a_run_too_short_for_its_clock_to_move_draws_without_a_warning():
    # two rows logged within the same second: a wall-time axis would have no width (matplotlib warned)
    log = pd.DataFrame({"time/total_timesteps": [4096, 8192], "time/wall_seconds": [5.0, 5.0],
                        "rollout/ep_rew_mean": [1.0, 2.0], "rollout/cheese_rate": [np.nan, 0.5],
                        "eval/train_cheese": [0.3, 0.4]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = training_curves_figure(log)
        fig.canvas.draw()
    assert not any(child.get_xlabel() == "wall time (minutes)" for ax in fig.axes[:2] for child in ax.child_axes)


def test_a_checkpoint_at_step_0_marks_no_empty_panel():
    # a run just started holds its step-0 checkpoint: its marker alone gave a panel of no width (a
    # matplotlib warning) and hid that the panel has no data yet
    steps = np.arange(1, 6) * 4096
    log = pd.DataFrame({"time/total_timesteps": steps, "time/wall_seconds": steps / 1000,
                        "rollout/ep_rew_mean": [1, 2, 4, 6, 8]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = training_curves_figure(log, checkpoint_steps=0)
        fig.canvas.draw()
    reward_ax = fig.axes[0]
    assert not reward_ax.get_lines() and [t.get_text() for t in reward_ax.texts] == ["too few episodes ended yet"]


def test_the_reward_curve_is_drawn_only_where_the_training_cheese_rate_is():
    log = pd.DataFrame({"time/total_timesteps": [1000, 2000, 3000, 4000, 5000, 6000],
                        "rollout/ep_rew_mean": [10.0, 9.0, 4.0, 5.0, 10.0, 6.0],
                        "rollout/cheese_rate": [np.nan, np.nan, 0.4, 0.5, np.nan, 0.6]})  # resumed at 5000
    reward_ax, cheese_ax = training_curves_figure(log).axes[:2]

    def drawn(line):  # the steps of the points drawn (NaN breaks the line there)
        x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
        return x[np.isfinite(y)].tolist()

    assert drawn(reward_ax.get_lines()[0]) == [3000, 4000, 6000]
    assert drawn(cheese_ax.get_lines()[0]) == [3000, 4000, 6000]
    assert cheese_ax.get_legend().get_texts()[0].get_text() == "training episodes"
    cut_fig = training_curves_figure(log, cut=training_cut(EnvConfig(max_steps=100)))
    assert cut_fig.axes[1].get_legend().get_texts()[0].get_text() == "training episodes (training's limits)"
    assert cut_fig.get_suptitle() == "training episodes: cut at 100 steps"
    hard = EnvConfig(world_size=25, max_steps_per_size=8.0, size_curriculum_steps=3_000_000)
    assert training_cut(hard) == "cut at 8 steps per cell of maze side (at most 500), small mazes first for 3M steps"
    assert training_cut(EnvConfig()) is None
    no_rate = training_curves_figure(log.drop(columns="rollout/cheese_rate")).axes[0]
    assert len(drawn(no_rate.get_lines()[0])) == 6  # another tool's log: all of it


def test_plot_curves_takes_a_shipped_agents_name(tmp_path, monkeypatch):
    from cheesemaze.scripts.main import main

    monkeypatch.chdir(tmp_path)
    assert main(["plot", "curves", "r5"]) == 0
    assert (tmp_path / "runs" / "r5" / "s0" / "figures" / "training.png").is_file()
    # --out names the figure; a .png ending is not doubled
    assert main(["plot", "curves", "r5", "--out", "curves.png"]) == 0
    assert sorted(p.name for p in tmp_path.glob("curves*")) == ["curves.pdf", "curves.png"]


def test_read_progress_refuses_a_folder_without_logs(tmp_path):
    with pytest.raises(ValueError, match="no training log"):
        read_progress(tmp_path)


def test_a_figure_says_whether_its_intervals_are_over_seeds_or_over_mazes():
    from cheesemaze.analysis.figures.canvas import interval_words

    import pandas as pd

    def words(seeds):
        return interval_words(pd.DataFrame({"seeds": seeds}))

    assert words([2, 5]) == "95% t intervals over seeds"
    assert words([1, 1]) == "95% intervals over mazes (one seed each)"
    assert words([1, 3]) == "95% intervals: t over seeds, over mazes for a group of one seed"
    assert interval_words(pd.DataFrame({"p": [0.5]})) == "95% intervals"
